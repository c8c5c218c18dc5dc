"""Samples the daemon (and its children until they exec) with `perf record -e cpu-clock -g` while one Errand dispatch round runs, and keeps the top
shared objects and symbols (self time, all threads) for the report."""

import os
import shutil
import subprocess


def perf_works():
    if not shutil.which("perf"):
        return False
    # cpu-clock is a software event: it works in VMs without hardware counters.
    probe = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o", "/dev/null", "true"], capture_output=True)
    return probe.returncode == 0


def top(data, sort, limit, children=False):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", "--sort", sort,
                          "--children" if children else "--no-children", "--percent-limit", "0.5"],
                         capture_output=True, text=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            parts = line.split()
            if children:  # "Children Self name…": keep the inclusive share
                parts = parts[:1] + parts[2:]
            rows.append({"share_percent": float(parts[0].rstrip("%")), "name": " ".join(parts[1:])})
    rows = rows[:limit]
    names = demangle([r["name"] for r in rows])
    for row, name in zip(rows, names):
        row["name"] = name
    return rows


def demangle(names):
    """Readable Swift names (`swift demangle --simplified`); perf's trailing "- -" dropped."""
    names = [n.removesuffix(" - -").strip() for n in names]
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names) + "\n",
                             capture_output=True, text=True, timeout=60).stdout.splitlines()
        return out if len(out) == len(names) else names
    except OSError:
        return names


def profiler(work, results, frequency=999):
    """Returns the `profile` hook for dispatch.run, filling `results`."""
    def hook(pid, round_fn):
        data = os.path.join(work, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", str(frequency), "-g",
                                 "-p", str(pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            results["round_seconds"] = round(round_fn(), 3)
        finally:
            perf.send_signal(2)
            perf.wait(timeout=60)
        results["by_thread"] = top(data, "comm", 8)
        results["by_object"] = top(data, "dso", 10)
        results["by_symbol"] = top(data, "dso,symbol", 25)
        results["by_symbol_inclusive"] = top(data, "symbol", 40, children=True)
    return hook
