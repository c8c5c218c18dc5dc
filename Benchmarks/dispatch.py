"""Workload 1, dispatch throughput: N runs of /bin/true, at most 2 at once, against the bare
posix_spawn loop, task-spooler and GNU parallel, in interleaved rounds."""

import json
import os
import shutil
import subprocess
import time

from common import Daemon, median


def errand_round(api, n, group):
    """Submits all N runs with throttle limit 2 (they queue as NotStarted and start in order as
    slots free) and waits for the last two: with 2 slots, once they are done, all are done."""
    t0 = time.monotonic()
    ids = [api.start(["/bin/true"], throttleGroup=group, throttleLimit=2)["id"] for _ in range(n)]
    api.wait(ids[-2:])
    seconds = time.monotonic() - t0
    runs = api.json("GET", f"/api/v1/runs?after={ids[0] - 1}&limit={n}")
    completed = sum(1 for r in runs if r["state"] == "Completed" and r["exitCode"] == 0 and r["id"] in set(ids))
    if completed != n:
        raise RuntimeError(f"errand: only {completed} of {n} runs recorded Completed")
    return seconds


def bare_round(bins, n):
    return json.loads(subprocess.check_output([bins["spawnloop"], str(n), "2", "/bin/true"]))["seconds"]


def tsp_round(tsp, work, n):
    """task-spooler with 2 slots; one `tsp /bin/true` client per run from a shell loop, as a user
    would queue them; its per-job output files are kept in `work`."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = {**os.environ, "TS_SOCKET": f"{work}/ts.sock", "TMPDIR": work, "TS_MAXFINISHED": str(n + 10)}
    subprocess.run([tsp, "-S", "2"], env=env, check=True, capture_output=True)
    try:
        t0 = time.monotonic()
        subprocess.run(["sh", "-c", f'i=0; while [ $i -lt {n} ]; do "{tsp}" /bin/true >/dev/null; i=$((i+1)); done'],
                       env=env, check=True, timeout=600)
        for job in (n - 2, n - 1):  # a fresh server numbers its jobs from 0
            subprocess.run([tsp, "-w", str(job)], env=env, check=True, capture_output=True, timeout=600)
        seconds = time.monotonic() - t0
        listing = subprocess.check_output([tsp, "-l"], env=env, text=True).splitlines()[1:]
        finished = sum(1 for line in listing if line.split()[1] == "finished")
        if finished != n:
            raise RuntimeError(f"tsp: {finished} of {n} jobs finished")
        return seconds
    finally:
        subprocess.run([tsp, "-K"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def parallel_round(n):
    t0 = time.monotonic()
    subprocess.run(["parallel", "--will-cite", "-j2", "-N0", "/bin/true"], input="\n".join(["x"] * n) + "\n",
                   text=True, check=True, timeout=600, stdout=subprocess.DEVNULL)
    return time.monotonic() - t0


def run(ctx, n, rounds, profile=None):
    """Returns the workload's result dict. `profile`, when given, wraps one Errand round: it is
    called with the daemon's pid and a function that runs the round."""
    seconds = {"bare": [], "errand": [], "tsp": [], "parallel": []}
    daemon_cpu_ms = []
    with Daemon(ctx.binary, ctx.work, "dispatch") as daemon:
        api = daemon.api()
        api.start(["/bin/true"])  # warm-up: first-run costs (page cache, connections) are not the subject
        for r in range(rounds):
            seconds["bare"].append(bare_round(ctx.bins, n))
            cpu = daemon.cpu_seconds()
            seconds["errand"].append(errand_round(api, n, f"dispatch{r}"))
            daemon_cpu_ms.append((daemon.cpu_seconds() - cpu) * 1000 / n)
            if ctx.tsp:
                seconds["tsp"].append(tsp_round(ctx.tsp, os.path.join(ctx.work, "tsp"), n))
            seconds["parallel"].append(parallel_round(n))
            ctx.log(f"dispatch round {r + 1}/{rounds}: " + ", ".join(
                f"{k} {n / v[-1]:.0f}/s" for k, v in seconds.items() if v))
        if profile:
            profile(daemon.pid, lambda: errand_round(api, n, "dispatch-profile"))
        api.close()
    rates = {k: [n / s for s in v] for k, v in seconds.items() if v}
    medians = {k: median(v) for k, v in rates.items()}
    return {
        "runs": n, "rounds": rounds, "concurrency": 2,
        "runs_per_second": {k: [round(x, 1) for x in v] for k, v in rates.items()},
        "median_runs_per_second": {k: round(v, 1) for k, v in medians.items()},
        "ratio_to_bare": {k: round(v / medians["bare"], 3) for k, v in medians.items()},
        "errand_daemon_cpu_ms_per_run": round(median(daemon_cpu_ms), 3),
    }
