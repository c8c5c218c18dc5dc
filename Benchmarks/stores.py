"""Workload 9, stores: the same daemon on SQLite and on PostgreSQL, measured in interleaved rounds in one
invocation: dispatch throughput (as workload 1), trigger latency (as workload 2), output capture in 64 KiB
blocks (as workload 3), and a capture across `pg_ctl restart -m immediate` (no byte may be lost).

PostgreSQL is a throwaway cluster of Debian's packages (initdb/pg_ctl as the `postgres` user, 127.0.0.1, a
free port, fsync on: its default), one fresh database per daemon. Skipped when PostgreSQL is not installed."""

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time

import capture
import dispatch
import latency
from common import Daemon, free_port, median


class Cluster:
    def __init__(self, work):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = bins[-1] if bins else None
        self.dir = None  # a folder of its own under /tmp: the postgres user cannot enter the bench's private one
        self.port = None

    def su(self, command):
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, capture_output=True, timeout=120)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="errand-bench-pg.")
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.su(f"{self.bin}/initdb -D {self.dir}/data -A trust -U postgres")
        self.su(f"{self.bin}/pg_ctl -D {self.dir}/data -l {self.dir}/log -w -o "
                f"'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1' start")

    def restart(self):
        self.su(f"{self.bin}/pg_ctl -D {self.dir}/data -l {self.dir}/log -w -m immediate -o "
                f"'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1' restart")

    def database(self, name):
        self.su(f"{self.bin}/createdb -h 127.0.0.1 -p {self.port} {name}")
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.port:
            subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", f"{self.bin}/pg_ctl -D {self.dir}/data -m fast stop"],
                           capture_output=True, timeout=120)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def capture_through_restart(ctx, cluster, daemon, size):
    """A run writing `size` bytes in blocks while PostgreSQL restarts (immediate mode) a second in."""
    restarted = {}

    def restart():
        time.sleep(1)
        t0 = time.monotonic()
        cluster.restart()
        restarted["seconds"] = round(time.monotonic() - t0, 2)

    thread = threading.Thread(target=restart)
    thread.start()
    s, expected = capture.shell_redirect(ctx.bins["writer"], "blocks", size, os.path.join(ctx.work, "redirect.out"))
    seconds, digest, total, _, _, _ = capture.errand_capture(daemon, ctx.bins["writer"], "blocks", size)
    thread.join()
    return {"bytes": size, "seconds": round(seconds, 2), "bytes_stored": total, "checksum_equal": digest == expected,
            "restart_seconds": restarted.get("seconds")}


def run(ctx, dispatch_runs, rounds, latency_runs, capture_bytes):
    cluster = Cluster(ctx.work)
    if not cluster.bin:
        ctx.log("stores: PostgreSQL is not installed; skipped")
        return {"skipped": "PostgreSQL is not installed"}
    cluster.start()
    result = {"dispatch_runs": dispatch_runs, "rounds": rounds, "latency_runs": latency_runs, "capture_bytes": capture_bytes}
    try:
        daemons = {"sqlite": Daemon(ctx.binary, ctx.work, "stores-sqlite"),
                   "postgres": Daemon(ctx.binary, ctx.work, "stores-pg", ["--store", cluster.database("errand_bench")])}
        for daemon in daemons.values():
            daemon.start()
        rates = {k: [] for k in daemons}
        lat = {k: [] for k in daemons}
        cap = {k: [] for k in daemons}
        cpu = {k: [] for k in daemons}
        try:
            for r in range(rounds):
                for name, daemon in daemons.items():
                    api = daemon.api()
                    c0 = daemon.cpu_seconds()
                    seconds = dispatch.errand_round(api, dispatch_runs, f"bench{r}")
                    cpu[name].append(1000 * (daemon.cpu_seconds() - c0) / dispatch_runs)
                    rates[name].append(dispatch_runs / seconds)
                    path = os.path.join(daemon.data_dir, f"stamps{r}.txt")
                    sent, _ = latency.errand_block(api, ctx.bins["stamp"], path, max(1, latency_runs // rounds), 0.005)
                    lat[name] += sent
                    api.close()
                    s, _, total, _, _, _ = capture.errand_capture(daemon, ctx.bins["writer"], "blocks", capture_bytes)
                    cap[name].append(total / s / 1e6)
                ctx.log("stores round %d: dispatch %s; capture %s" % (
                    r + 1, ", ".join(f"{k} {rates[k][-1]:,.0f}/s" for k in daemons),
                    ", ".join(f"{k} {cap[k][-1]:,.0f} MB/s" for k in daemons)))
            result["restart"] = capture_through_restart(ctx, cluster, daemons["postgres"], min(capture_bytes, 256 << 20))
            ctx.log(f"stores: capture through a PostgreSQL restart: {result['restart']}")
        finally:
            for daemon in daemons.values():
                daemon.stop()
        for name in daemons:
            result[name] = {"dispatch_runs_per_second": round(median(rates[name]), 1),
                            "dispatch_each_round": [round(x, 1) for x in rates[name]],
                            "daemon_cpu_ms_per_run": round(median(cpu[name]), 3),
                            "latency": latency.summary(lat[name]),
                            "capture_blocks_MB_per_s": round(median(cap[name]), 1)}
        result["ratio_dispatch"] = round(result["postgres"]["dispatch_runs_per_second"]
                                         / result["sqlite"]["dispatch_runs_per_second"], 3)
        result["ratio_latency_p50"] = round(result["postgres"]["latency"]["p50_ms"] / result["sqlite"]["latency"]["p50_ms"], 2)
        result["ratio_capture"] = round(result["postgres"]["capture_blocks_MB_per_s"]
                                        / result["sqlite"]["capture_blocks_MB_per_s"], 3)
    finally:
        cluster.stop()
    return result
