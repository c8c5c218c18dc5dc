#!/usr/bin/env python3
"""Runs the benchmark workloads against a release `errand` and their baselines, and writes
docs/benchmarks.md and docs/benchmarks.json. Called by scripts/bench, which builds everything."""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api  # noqa: E402
import capture  # noqa: E402
import continuous  # noqa: E402
import dispatch  # noqa: E402
import fanout  # noqa: E402
import fleet  # noqa: E402
import idle  # noqa: E402
import latency  # noqa: E402
import perfprofile as profiling  # noqa: E402
import report  # noqa: E402
import schedules  # noqa: E402
import stores  # noqa: E402

FULL = {"dispatch_runs": 5000, "dispatch_rounds": 3, "latency_runs": 1000, "capture_bytes": 1 << 30,
        "capture_rounds": 1, "idle_seconds": 30, "api_history": 100_000, "api_seconds": 10,
        "schedules_jobs": 10_000, "schedules_seconds": 180, "schedules_idle_seconds": 30, "schedules_every_second": 0,
        "schedules_in_place": 0, "schedules_deploy_connections": 4, "continuous_trials": 5, "continuous_seconds": 60,
        "fanout_hosts": 4, "fanout_rounds": 20, "fanout_wide": 1000,
        "stores_dispatch_runs": 3000, "stores_rounds": 3, "stores_latency_runs": 600, "stores_capture_bytes": 1 << 30,
        "fleet_failover_trials": 3, "fleet_kills": 10, "fleet_lines": 150, "fleet_stops": 10}
SMOKE = {"dispatch_runs": 60, "dispatch_rounds": 1, "latency_runs": 20, "capture_bytes": 4 << 20,
         "capture_rounds": 1, "idle_seconds": 2, "api_history": 2000, "api_seconds": 1,
         "schedules_jobs": 20, "schedules_seconds": 4, "schedules_idle_seconds": 1, "schedules_every_second": 1,
         "schedules_in_place": 0, "schedules_deploy_connections": 2, "continuous_trials": 1, "continuous_seconds": 2,
         "fanout_hosts": 2, "fanout_rounds": 2, "fanout_wide": 20,
         "stores_dispatch_runs": 40, "stores_rounds": 1, "stores_latency_runs": 10, "stores_capture_bytes": 4 << 20,
         "fleet_failover_trials": 1, "fleet_kills": 1, "fleet_lines": 10, "fleet_stops": 2}
WORKLOADS = ("dispatch", "latency", "capture", "schedules", "continuous", "idle", "api", "fanout", "stores", "fleet")


class Context:
    def __init__(self, args):
        self.binary = os.path.abspath(args.binary)
        self.bins = {name: os.path.join(args.bin_dir, name) for name in ("spawnloop", "spawnlat", "stamp", "writer", "wallstamp")}
        self.work = args.work_dir
        self.tsp = shutil.which("tsp") or shutil.which("ts")

    def log(self, message):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return "?"
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_GiB": round(mem / 2**20, 1), "kernel": platform.release(),
            "load_before": os.getloadavg()[0],
            "swift": out(["swift", "--version"]).splitlines()[0] if out(["swift", "--version"]) else "?",
            "commit": out(["git", "rev-parse", "--short", "HEAD"]),
            "dirty": bool(out(["git", "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift"])),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def merge_previous(results, path):
    """A run of some workloads (`--only`) keeps the other workloads' figures of the previous full-size
    report in the same directory, each marked with the run it came from (`carried_over`)."""
    if results["smoke"] or not os.path.exists(path):
        return
    try:
        previous = json.load(open(path))
    except ValueError:
        return
    if previous.get("smoke"):
        return
    origin = {k: previous["machine"].get(k) for k in ("date", "commit", "dirty", "load_before", "load_after")}
    carried = dict(previous.get("carried_over", {}))
    for name, figures in previous.get("workloads", {}).items():
        if name not in results["workloads"]:
            results["workloads"][name] = figures
            carried[name] = carried.get(name, origin)
    for name in results["ran"]:
        carried.pop(name, None)
    if carried:
        results["carried_over"] = carried
        results["sizes"] = {**previous.get("sizes", {}), **results["sizes"]}
        if "profile" in previous and "profile" not in results and "dispatch" in carried:
            results["profile"] = previous["profile"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True, help="release errand binary")
    parser.add_argument("--bin-dir", required=True, help="where the C helpers were compiled")
    parser.add_argument("--work-dir", required=True, help="scratch directory (data dirs, temporary files)")
    parser.add_argument("--out", default="docs", help="directory for benchmarks.md and benchmarks.json")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that the suite works")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads to run")
    parser.add_argument("--profile", action="store_true", help="perf-sample the daemon during one dispatch round")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a size, e.g. capture_bytes=104857600")
    args = parser.parse_args()
    sizes = dict(SMOKE if args.smoke else FULL)
    for item in args.set:
        key, value = item.split("=", 1)
        sizes[key] = int(value)
    ctx = Context(args)
    os.makedirs(ctx.work, exist_ok=True)
    results = {"smoke": args.smoke, "sizes": sizes, "machine": machine(), "peers": {
        "tsp": ctx.tsp, "parallel": shutil.which("parallel"), "wrk": shutil.which("wrk"),
        "supervisord": shutil.which("supervisord")}, "workloads": {}}
    chosen = args.only.split(",")
    results["ran"] = [name for name in WORKLOADS if name in chosen]
    w = results["workloads"]
    if "dispatch" in chosen:
        hook = None
        if args.profile and profiling.perf_works():
            results["profile"] = {"workload": "dispatch", "runs": sizes["dispatch_runs"]}
            hook = profiling.profiler(ctx.work, results["profile"])
        w["dispatch"] = dispatch.run(ctx, sizes["dispatch_runs"], sizes["dispatch_rounds"], profile=hook)
    if "latency" in chosen:
        w["latency"] = latency.run(ctx, sizes["latency_runs"])
    if "capture" in chosen:
        w["capture"] = capture.run(ctx, sizes["capture_bytes"], sizes["capture_rounds"])
    if "schedules" in chosen:
        w["schedules"] = schedules.run(ctx, sizes["schedules_jobs"], sizes["schedules_seconds"],
                                       sizes["schedules_idle_seconds"], every_second=bool(sizes["schedules_every_second"]),
                                       in_place=bool(sizes["schedules_in_place"]),
                                       clients=sizes["schedules_deploy_connections"])
    if "continuous" in chosen:
        w["continuous"] = continuous.run(ctx, sizes["continuous_trials"], sizes["continuous_seconds"])
    if "idle" in chosen:
        w["idle"] = idle.run(ctx, sizes["idle_seconds"])
    if "api" in chosen:
        w["api"] = api.run(ctx, sizes["api_history"], sizes["api_seconds"])
    if "fanout" in chosen:
        w["fanout"] = fanout.run(ctx, sizes["fanout_hosts"], sizes["fanout_rounds"], sizes["fanout_wide"])
    if "stores" in chosen:
        w["stores"] = stores.run(ctx, sizes["stores_dispatch_runs"], sizes["stores_rounds"], sizes["stores_latency_runs"],
                                 sizes["stores_capture_bytes"])
    if "fleet" in chosen:
        w["fleet"] = fleet.run(ctx, sizes["fleet_failover_trials"], sizes["fleet_kills"], sizes["fleet_lines"],
                               sizes["fleet_stops"])
    results["machine"]["load_after"] = os.getloadavg()[0]
    os.makedirs(args.out, exist_ok=True)
    merge_previous(results, os.path.join(args.out, "benchmarks.json"))
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "benchmarks.md"), "w") as f:
        f.write(report.markdown(results))
    ctx.log(f"wrote {args.out}/benchmarks.md and {args.out}/benchmarks.json")


if __name__ == "__main__":
    main()
