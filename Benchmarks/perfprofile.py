"""Samples the daemon with `perf record` while one Errand dispatch round runs, and keeps the top
shared objects and symbols (self time, all threads) for the report."""

import os
import shutil
import subprocess


def perf_works():
    if not shutil.which("perf"):
        return False
    probe = subprocess.run(["perf", "stat", "-e", "instructions", "true"], capture_output=True, text=True)
    return probe.returncode == 0 and "not supported" not in probe.stderr


def top(data, sort, limit):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                          "--percent-limit", "0.5"], capture_output=True, text=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            share, _, name = line.strip().partition(" ")
            rows.append({"share_percent": float(share.rstrip("%")), "name": name.strip()})
    return rows[:limit]


def profiler(work, results, frequency=999):
    """Returns the `profile` hook for dispatch.run, filling `results`."""
    def hook(pid, round_fn):
        data = os.path.join(work, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-F", str(frequency), "-p", str(pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            results["round_seconds"] = round(round_fn(), 3)
        finally:
            perf.send_signal(2)
            perf.wait(timeout=60)
        results["by_thread"] = top(data, "comm", 8)
        results["by_object"] = top(data, "dso", 10)
        results["by_symbol"] = top(data, "dso,symbol", 25)
    return hook
