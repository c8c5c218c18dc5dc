#!/usr/bin/env python3
"""Schedule engine speed: next-occurrence computations per second, Errand (release build of
Benchmarks/ScheduleSpeed) next to cronsim, same expressions and zones, in the same invocation.

Usage: schedule_speed.py PATH_TO_schedule-speed [SECONDS_PER_CASE]  -> JSON on stdout
"""
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

EXPRESSIONS = ["*/5 * * * *", "0 9 * * MON-FRI", "30 2 * * *", "0 0 1,15 * *", "0 0 L * *", "0 12 * * FRI#2"]
ZONES = ["UTC", "America/New_York"]


def cronsim_rate(expression, zone, seconds):
    from cronsim import CronSim

    start = datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))
    iterator = CronSim(expression, start)
    count = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        for _ in range(200):
            next(iterator)
            count += 1
    return count / (time.perf_counter() - began)


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    errand = {}
    output = subprocess.run([binary, str(seconds), *EXPRESSIONS], check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        row = json.loads(line)
        errand[(row["expression"], row["zone"])] = row["perSecond"]
    cases = []
    for zone in ZONES:
        for expression in EXPRESSIONS:
            reference = cronsim_rate(expression, zone, seconds)
            ours = errand[(expression, zone)]
            cases.append({"expression": expression, "zone": zone, "errand": ours, "cronsim": round(reference),
                          "ratio": round(ours / reference, 1)})
    summary = {
        "errandMedian": statistics.median(c["errand"] for c in cases),
        "cronsimMedian": statistics.median(c["cronsim"] for c in cases),
        "errandMin": min(c["errand"] for c in cases),
    }
    summary["ratioOfMedians"] = round(summary["errandMedian"] / summary["cronsimMedian"], 1)
    json.dump({"cases": cases, "summary": summary}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
