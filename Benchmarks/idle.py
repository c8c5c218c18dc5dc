"""Workload 6, idle daemon: RSS and CPU over a quiet window after some runs, and the store's
system calls per second meanwhile, counted by `strace -c` attached to every thread of the daemon.

SQLite reads that hit its page cache make no system call, so the count is an upper bound on
writes (pwrite64/fsync) and on lock traffic (fcntl), and a lower bound on reads; the total of
all system calls per second is reported too, as the daemon's wake-up rate."""

import os
import re
import shutil
import subprocess
import time

from common import Daemon

STORE_CALLS = ("pread64", "pwrite64", "fcntl", "fsync", "fdatasync")


def strace_counts(pid, seconds):
    tids = os.listdir(f"/proc/{pid}/task")
    cmd = ["strace", "-c", "-f", "-qq"] + [x for t in tids for x in ("-p", t)]
    tracer = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    time.sleep(seconds)
    tracer.send_signal(2)  # SIGINT: detach and print the summary
    _, summary = tracer.communicate(timeout=30)
    counts = {}
    for line in summary.splitlines():
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m and m.group(2) != "total":
            counts[m.group(2)] = int(m.group(1))
    return counts


def run(ctx, seconds, warm_runs=100):
    with Daemon(ctx.binary, ctx.work, "idle") as daemon:
        api = daemon.api()
        ids = [api.start(["/bin/true"])["id"] for _ in range(warm_runs)]
        api.wait(ids[-8:])
        api.close()
        time.sleep(1)  # let the last flush timers end
        cpu0, t0 = daemon.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = daemon.cpu_seconds(), time.monotonic()
        rss = daemon.status("VmRSS") / 1024
        result = {"window_s": seconds, "rss_MiB": round(rss, 1),
                  "cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 3),
                  "threads": len(os.listdir(f"/proc/{daemon.pid}/task"))}
        if shutil.which("strace"):
            counts = strace_counts(daemon.pid, seconds)
            result["store_syscalls_per_s"] = round(sum(counts.get(c, 0) for c in STORE_CALLS) / seconds, 3)
            result["all_syscalls_per_s"] = round(sum(counts.values()) / seconds, 3)
            result["syscall_counts"] = counts
    ctx.log(f"idle: {result}")
    return result
