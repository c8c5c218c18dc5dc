"""Workload 2, trigger latency: from the moment the POST is sent to the child's first instruction
(a static C program that reads CLOCK_MONOTONIC first), one run at a time on an idle daemon, next
to a bare posix_spawn of the same child measured the same way. Blocks alternate."""

import os
import subprocess
import time

from common import Daemon, percentile


def read_stamps(path):
    with open(path) as f:
        return {int(tag): int(ns) for tag, ns in (line.split() for line in f)}


def errand_block(api, stamp, path, count, pause):
    sent, returned = {}, {}
    for i in range(count):
        sent[i] = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        run = api.start([stamp, path, str(i)])
        returned[i] = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        api.wait([run["id"]])
        time.sleep(pause)  # let the daemon fall idle again
    child = read_stamps(path)
    return ([(child[i] - sent[i]) / 1e6 for i in range(count)],
            [(returned[i] - sent[i]) / 1e6 for i in range(count)])


def bare_block(bins, path, count):
    out = subprocess.check_output([bins["spawnlat"], str(count), bins["stamp"], path], text=True)
    before = {int(tag): int(ns) for tag, ns in (line.split() for line in out.splitlines())}
    child = read_stamps(path)
    return [(child[i] - before[i]) / 1e6 for i in range(count)]


def summary(ms):
    return {"p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "max_ms": round(max(ms), 3), "samples": len(ms)}


def run(ctx, n, blocks=4, pause=0.005):
    errand, post_rtt, bare = [], [], []
    size = max(1, n // blocks)
    with Daemon(ctx.binary, ctx.work, "latency") as daemon:
        api = daemon.api()
        api.wait([api.start(["/bin/true"])["id"]])  # warm-up
        for b in range(blocks):
            path = os.path.join(daemon.data_dir, f"bare{b}.txt")
            bare += bare_block(ctx.bins, path, size)
            path = os.path.join(daemon.data_dir, f"errand{b}.txt")
            e, rtt = errand_block(api, ctx.bins["stamp"], path, size, pause)
            errand += e
            post_rtt += rtt
        api.close()
    result = {"runs": len(errand), "errand_send_to_child": summary(errand), "bare_spawn_to_child": summary(bare),
              "errand_post_round_trip": summary(post_rtt)}
    result["ratio_p50"] = round(result["errand_send_to_child"]["p50_ms"] / result["bare_spawn_to_child"]["p50_ms"], 2)
    result["ratio_p99"] = round(result["errand_send_to_child"]["p99_ms"] / result["bare_spawn_to_child"]["p99_ms"], 2)
    ctx.log(f"latency: errand p50 {result['errand_send_to_child']['p50_ms']} ms p99 "
            f"{result['errand_send_to_child']['p99_ms']} ms; bare p50 {result['bare_spawn_to_child']['p50_ms']} ms")
    return result
