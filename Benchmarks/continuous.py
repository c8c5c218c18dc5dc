"""Workload 5, continuous supervision: a continuous job whose process exits at once (exit 0), kept
running by Errand and by supervisord. The child (Benchmarks/c/wallstamp.c) appends its CLOCK_REALTIME
at its first instruction to a file, so a restart's latency is the next start minus this start (the
process lives well under a millisecond, so this is the supervisor's reaction plus its backoff).

First restart: `trials` fresh starts each (Errand: a new job deployed, supervisord: a new supervisord),
interleaved, the gap between the first and second start. Steady state: one job left alone for
`seconds`, every gap between starts.

supervisord runs unprivileged from the system's point of view (its own config in a temporary
directory, `-n`, no system service), in two configurations of one `[program]`: `fast`, with
`autorestart=true` and `startsecs=0` (a process counts as started at once, so an exit is a normal
exit and supervisord starts it again at once: its fastest restart), and `default`, the same with
supervisord's default `startsecs=1` and `startretries=3` (a process that lives under a second is a
failed start: BACKOFF 1 s, 2 s, 3 s, then FATAL, given up)."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse

from common import Daemon, median, percentile

SUPERVISORD = {
    "fast": {"startsecs": 0, "startretries": 3},
    "default": {"startsecs": 1, "startretries": 3},
}


def read_starts(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(line.split()[1]) for line in f if line.strip()]


def wait_for_starts(path, count, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read_starts(path)) >= count:
            return True
        time.sleep(0.01)
    return False


def gaps_ms(starts):
    return [round((b - a) / 1e6, 2) for a, b in zip(starts, starts[1:])]


# -- Errand --------------------------------------------------------------------------------------

def errand_deploy(api, name, body, stamps):
    query = urllib.parse.urlencode({"kind": "continuous", "settings": json.dumps({"env": {"STAMP_FILE": stamps}})},
                                   quote_via=urllib.parse.quote)
    api.conn.request("PUT", f"/api/v1/jobs/{name}?{query}", body=body, headers={"Content-Type": "application/zip"})
    response = api.conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"PUT {name} -> {response.status}: {payload[:300]!r}")


def errand_first_restart(daemon, api, body, k):
    stamps = os.path.join(daemon.data_dir, f"first{k}.txt")
    errand_deploy(api, f"first{k}", body, stamps)
    ok = wait_for_starts(stamps, 2, 30)
    api.call("POST", f"/api/v1/jobs/first{k}/stop")
    starts = read_starts(stamps)
    return (starts[1] - starts[0]) / 1e6 if ok else None


def errand_steady(daemon, api, body, seconds):
    stamps = os.path.join(daemon.data_dir, "steady.txt")
    errand_deploy(api, "steady", body, stamps)
    cpu0 = daemon.cpu_seconds()
    time.sleep(seconds)
    cpu1 = daemon.cpu_seconds()
    api.call("POST", "/api/v1/jobs/steady/stop")
    starts = read_starts(stamps)
    starts = [s for s in starts if s - starts[0] <= seconds * 1e9] if starts else []
    return {"starts": len(starts), "gaps_ms": gaps_ms(starts),
            "supervisor_cpu_percent": round(100 * (cpu1 - cpu0) / seconds, 2),
            "end_state": "still restarting (exponential backoff)"}


# -- supervisord ---------------------------------------------------------------------------------

def supervisord_config(directory, wallstamp, stamps, startsecs, startretries):
    path = os.path.join(directory, "supervisord.conf")
    with open(path, "w") as f:
        f.write(f"""[supervisord]
nodaemon=true
logfile={directory}/supervisord.log
pidfile={directory}/supervisord.pid
childlogdir={directory}
loglevel=info

[program:stamp]
command={wallstamp} stamp {stamps}
autostart=true
autorestart=true
startsecs={startsecs}
startretries={startretries}
exitcodes=0
redirect_stderr=true
stdout_logfile={directory}/stamp.log
""")
    return path


class Supervisord:
    def __init__(self, ctx, name, config):
        self.directory = os.path.join(ctx.work, name)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        self.stamps = os.path.join(self.directory, "stamps.txt")
        self.conf = supervisord_config(self.directory, ctx.bins["wallstamp"], self.stamps, **config)
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(["supervisord", "-n", "-c", self.conf], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def gave_up(self):
        log = os.path.join(self.directory, "supervisord.log")
        return os.path.exists(log) and "entered FATAL state" in open(log).read()


def supervisord_first_restart(ctx, config_name, k):
    with Supervisord(ctx, f"supervisord-{config_name}-first{k}", SUPERVISORD[config_name]) as s:
        ok = wait_for_starts(s.stamps, 2, 30)
    starts = read_starts(s.stamps)
    return (starts[1] - starts[0]) / 1e6 if ok else None


def supervisord_steady(ctx, config_name, seconds):
    with Supervisord(ctx, f"supervisord-{config_name}-steady", SUPERVISORD[config_name]) as s:
        wait_for_starts(s.stamps, 1, 30)
        cpu0 = s.cpu_seconds()
        time.sleep(seconds)
        cpu1 = s.cpu_seconds()
        gave_up = s.gave_up()
    starts = read_starts(s.stamps)
    starts = [x for x in starts if x - starts[0] <= seconds * 1e9] if starts else []
    return {"starts": len(starts), "gaps_ms": gaps_ms(starts),
            "supervisor_cpu_percent": round(100 * (cpu1 - cpu0) / seconds, 2),
            "end_state": "FATAL (gave up)" if gave_up else "still restarting"}


def summary(gaps):
    return {"median_ms": round(median(gaps), 2), "min_ms": round(min(gaps), 2), "max_ms": round(max(gaps), 2),
            "samples": len(gaps)}


def steady_summary(s):
    g = s["gaps_ms"]
    out = dict(s)
    if len(g) > 20:  # a tight loop: keep the shape, not thousands of numbers
        out["gaps_ms"] = g[:10]
        out["gaps_ms_elided"] = len(g) - 10
        out["gap_p50_ms"], out["gap_p99_ms"] = round(percentile(g, 50), 2), round(percentile(g, 99), 2)
        out["restarts_per_second"] = round(len(g) / (sum(g) / 1000), 1) if sum(g) else None
    return out


def run(ctx, trials, seconds):
    from schedules import package

    body = package(ctx.bins["wallstamp"])
    have_supervisord = shutil.which("supervisord") is not None
    systems = ["errand"] + ([f"supervisord_{c}" for c in SUPERVISORD] if have_supervisord else [])
    first = {s: [] for s in systems}
    steady = {}
    with Daemon(ctx.binary, ctx.work, "continuous") as daemon:
        api = daemon.api()
        for k in range(trials):  # interleaved
            first["errand"].append(errand_first_restart(daemon, api, body, k))
            for c in SUPERVISORD if have_supervisord else ():
                first[f"supervisord_{c}"].append(supervisord_first_restart(ctx, c, k))
        steady["errand"] = errand_steady(daemon, api, body, seconds)
        api.close()
    for c in SUPERVISORD if have_supervisord else ():
        steady[f"supervisord_{c}"] = supervisord_steady(ctx, c, seconds)
    result = {"trials": trials, "steady_seconds": seconds, "supervisord_available": have_supervisord,
              "first_restart": {}, "steady": {k: steady_summary(v) for k, v in steady.items()}}
    if have_supervisord:
        result["supervisord_version"] = subprocess.run(["supervisord", "--version"], capture_output=True,
                                                       text=True).stdout.strip()
        result["supervisord_configs"] = SUPERVISORD
    for s, values in first.items():
        ok = [v for v in values if v is not None]
        result["first_restart"][s] = summary(ok) if ok else {"samples": 0}
        result["first_restart"][s]["failed_trials"] = len(values) - len(ok)
    if have_supervisord and result["first_restart"]["supervisord_fast"].get("median_ms"):
        result["ratio_first_restart_to_supervisord_fast"] = round(
            result["first_restart"]["errand"]["median_ms"] / result["first_restart"]["supervisord_fast"]["median_ms"], 2)
    ctx.log(f"continuous: first restart {result['first_restart']}; steady starts "
            f"{ {k: v['starts'] for k, v in steady.items()} }")
    return result
