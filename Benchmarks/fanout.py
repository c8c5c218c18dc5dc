"""Workload 8, fan-out: what `errand invoke` costs next to doing the same by hand.

- Daemon hosts: one `POST /api/v1/invocations` of `echo` to H daemons, timed until the parent has
  finished (its output merged in the local daemon), next to the baseline a script would write: start
  the same run on each of the H daemons directly (one thread per host), wait for each and read its
  output. Rounds alternate.
- Wide: one invocation with W children (W labels for the same daemon, so the width is not limited by
  the number of daemons) at throttle limit 32, children per second, next to W direct starts on that
  daemon from 32 threads.
- SSH: `true` on one ssh:// host through the daemon, next to the system `ssh` with the same shared
  connection (ControlMaster), when sshd is installed; otherwise skipped and said so.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time

from common import Api, Daemon, free_port, median


def in_threads(work, items):
    """Runs `work(item)` for every item, one thread each; re-raises the first failure."""
    errors = []

    def guarded(item):
        try:
            work(item)
        except Exception as error:  # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def direct_round(apis, argv):
    """Start on every host at once, wait, read the output: the baseline by hand."""
    def one(api):
        run = api.json("POST", "/api/v1/runs", {"argv": argv})
        api.wait([run["id"]])
        api.json("GET", f"/api/v1/runs/{run['id']}/output?after=0")

    in_threads(one, apis)


def invoke_round(local, hosts, argv, throttle=None):
    body = {"argv": argv, "on": hosts}
    if throttle:
        body["throttleLimit"] = throttle
    parent = local.json("POST", "/api/v1/invocations", body)
    done = local.wait([parent["id"]])[0]
    if done["state"] != "Completed":
        raise RuntimeError(f"fan-out ended {done['state']}: {done.get('reason')}")
    return parent["id"]


def timed(fn):
    start = time.monotonic()
    fn()
    return (time.monotonic() - start) * 1000


def summary(ms):
    return {"median_ms": round(median(ms), 2), "min_ms": round(min(ms), 2), "max_ms": round(max(ms), 2), "samples": len(ms)}


class SSHServer:
    """sshd on a free loopback port with its own keys; a client config that trusts only its host key."""

    def __init__(self, work):
        self.dir = tempfile.mkdtemp(prefix="sshd-", dir=work)
        self.port = free_port()
        self.process = None

    def __enter__(self):
        d = self.dir
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/{key}"], check=True)
        shutil.copy(f"{d}/client_key.pub", f"{d}/authorized_keys")
        if os.getuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)
        with open(f"{d}/sshd_config", "w") as f:
            f.write(f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n"
                    f"PidFile {d}/sshd.pid\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n")
        with open(f"{d}/host_key.pub") as f:
            host_key = f.read()
        with open(f"{d}/known_hosts", "w") as f:
            f.write(f"[127.0.0.1]:{self.port} {host_key}")
        self.config = f"{d}/ssh_config"
        with open(self.config, "w") as f:
            f.write(f"Host *\n  IdentityFile {d}/client_key\n  IdentitiesOnly yes\n  UserKnownHostsFile {d}/known_hosts\n")
        self.process = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-e", "-f", f"{d}/sshd_config"],
                                        stdout=subprocess.DEVNULL, stderr=open(f"{d}/sshd.log", "w"))
        self.user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(100):
            if subprocess.run(self.ssh_argv(None) + ["true"], capture_output=True).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"sshd did not accept the key; see {d}/sshd.log")

    def ssh_argv(self, control_dir):
        argv = ["ssh", "-F", self.config, "-T", "-o", "BatchMode=yes"]
        if control_dir:
            argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control_dir}/%C", "-o", "ControlPersist=60"]
        return argv + ["-p", str(self.port), "-l", self.user, "--", "127.0.0.1"]

    def __exit__(self, *exc):
        if self.process:
            self.process.terminate()
            self.process.wait()


def run(ctx, hosts, rounds, wide):
    result = {"hosts": hosts, "rounds": rounds, "wide_children": wide}
    daemons = [Daemon(ctx.binary, ctx.work, f"fanout-host{i}").start() for i in range(hosts)]
    try:
        sshd = SSHServer(ctx.work).__enter__() if shutil.which("sshd") or os.path.exists("/usr/sbin/sshd") else None
    except Exception as error:  # noqa: BLE001 - the figure is skipped, with the reason
        sshd = None
        result["ssh_skipped"] = f"sshd would not start: {error}"
    extra = ["--ssh-config", sshd.config] if sshd else []
    local_daemon = Daemon(ctx.binary, ctx.work, "fanout-local", extra_args=extra).start()
    try:
        local = local_daemon.api()
        apis = [d.api() for d in daemons]
        targets = [{"name": f"h{i}", "url": f"http://127.0.0.1:{d.port}"} for i, d in enumerate(daemons)]
        argv = ["echo", "hello"]
        invoke_round(local, targets, argv)  # warm-up: connections, first runs
        direct_round(apis, argv)
        fan, by_hand = [], []
        for _ in range(rounds):
            fan.append(timed(lambda: invoke_round(local, targets, argv)))
            by_hand.append(timed(lambda: direct_round(apis, argv)))
        result["daemons"] = {"errand_invoke": summary(fan), "by_hand": summary(by_hand)}
        result["daemons"]["ratio"] = round(result["daemons"]["errand_invoke"]["median_ms"] / result["daemons"]["by_hand"]["median_ms"], 2)

        one = [{"name": f"w{i}", "url": f"http://127.0.0.1:{daemons[0].port}"} for i in range(wide)]
        wide_ms = timed(lambda: invoke_round(local, one, ["true"], throttle=32))
        pool = [daemons[0].api() for _ in range(32)]

        def by_hand_wide():
            def worker(share):
                api, count = share
                for _ in range(count):
                    run = api.json("POST", "/api/v1/runs", {"argv": ["true"]})
                    api.wait([run["id"]])

            in_threads(worker, [(api, len(range(i, wide, 32))) for i, api in enumerate(pool)])

        direct_ms = timed(by_hand_wide)
        result["wide"] = {"errand_children_per_s": round(wide / wide_ms * 1000, 1),
                          "by_hand_runs_per_s": round(wide / direct_ms * 1000, 1),
                          "errand_ms": round(wide_ms, 1), "by_hand_ms": round(direct_ms, 1)}
        result["wide"]["ratio"] = round(result["wide"]["errand_children_per_s"] / result["wide"]["by_hand_runs_per_s"], 2)

        if sshd:
            host = [{"name": "s", "url": f"ssh://{sshd.user}@127.0.0.1:{sshd.port}"}]
            control = tempfile.mkdtemp(prefix="mux-", dir="/tmp")
            plain = sshd.ssh_argv(control) + ["true"]
            invoke_round(local, host, ["true"])
            subprocess.run(plain, check=True)
            through, direct = [], []
            for _ in range(rounds):
                through.append(timed(lambda: invoke_round(local, host, ["true"])))
                direct.append(timed(lambda: subprocess.run(plain, check=True)))
            result["ssh"] = {"errand_invoke": summary(through), "ssh_shared_connection": summary(direct)}
            result["ssh"]["ratio"] = round(result["ssh"]["errand_invoke"]["median_ms"] / result["ssh"]["ssh_shared_connection"]["median_ms"], 2)
        elif "ssh_skipped" not in result:
            result["ssh_skipped"] = "sshd is not installed"
        for api in [local, *apis, *pool]:
            api.close()
    finally:
        local_daemon.stop()
        for d in daemons:
            d.stop()
        if sshd:
            sshd.__exit__()
    d = result["daemons"]
    ctx.log(f"fanout: {hosts} daemons {d['errand_invoke']['median_ms']} ms vs by hand {d['by_hand']['median_ms']} ms; "
            f"wide {result['wide']['errand_children_per_s']}/s vs {result['wide']['by_hand_runs_per_s']}/s; "
            f"ssh {result.get('ssh', {}).get('ratio', result.get('ssh_skipped'))}")
    return result
