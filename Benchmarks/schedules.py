"""Workload 4, schedules: N deployed jobs with 6-field cron schedules, job i firing once a minute at
second i % 60 (N/60 runs a second), left to fire for a window; then firing lateness (the child's own
CLOCK_REALTIME at its first instruction minus the tick's due time), missed ticks (ticks due in the
window without a run) and duplicates (more than one run for one job and due time). The store's view
(runs.started_at - schedule_ticks.due_at, millisecond resolution) is reported beside the child's.

Also the idle cost of N loaded schedules that do not fire in the window (yearly), next to a daemon
with nothing loaded, both running over the same window; and the deploy rate through the API.

Every job's package is one small dynamically linked C program, `run` (Benchmarks/c/wallstamp.c),
deployed as a zip with `PUT /api/v1/jobs/{name}`; `is_in_place` is left at its default (false: every
run gets a fresh copy of the package) unless `in_place` is set."""

import io
import json
import math
import os
import sqlite3
import threading
import time
import urllib.parse
import zipfile

from common import Api, Daemon, median, percentile

YEARLY = "0 0 0 1 1 *"  # midnight on January 1st: never fires in a measurement


def package(binary):
    """A zip holding the child as an executable named `run` (found as the entry point)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("run", date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 << 16)
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(binary, "rb") as f:
            z.writestr(info, f.read())
    return buffer.getvalue()


def schedule_of(i, every_second):
    return "* * * * * *" if every_second else f"{i % 60} * * * * *"


def deploy_all(port, names, body, schedule, settings, clients):
    """PUTs every job, `clients` connections at once; returns the seconds it took."""
    errors = []
    chunks = [names[k::clients] for k in range(clients)]

    def worker(chunk):
        api = Api(port)
        try:
            for name in chunk:
                query = urllib.parse.urlencode({"kind": "triggered", "schedule": schedule(name),
                                                "settings": json.dumps(settings)},
                                               quote_via=urllib.parse.quote)
                api.conn.request("PUT", f"/api/v1/jobs/{name}?{query}", body=body,
                                 headers={"Content-Type": "application/zip"})
                response = api.conn.getresponse()
                payload = response.read()
                if response.status >= 300:
                    errors.append(f"PUT {name} -> {response.status}: {payload[:200]!r}")
                    return
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(repr(error))
        finally:
            api.close()

    began = time.monotonic()
    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"deploy failed: {errors[:3]}")
    return time.monotonic() - began


def deploy_rate(ctx, daemon, n, body, schedule, settings, clients, label):
    names = [f"s{i:05d}" for i in range(n)]
    seconds = deploy_all(daemon.port, names, body, lambda name: schedule(int(name[1:])), settings, clients)
    rate = n / seconds
    ctx.log(f"schedules: deployed {n} {label} jobs in {seconds:.1f} s ({rate:,.0f}/s, {clients} connections)")
    return {"jobs": n, "seconds": round(seconds, 2), "per_second": round(rate, 1), "connections": clients}


def idle_pair(ctx, n, body, seconds, clients):
    """A daemon with N yearly schedules and an empty one, measured over the same window."""
    loaded = Daemon(ctx.binary, ctx.work, "sched-yearly")
    empty = Daemon(ctx.binary, ctx.work, "sched-empty")
    try:
        loaded.start()
        rss_before = loaded.status("VmRSS") / 1024
        deploy = deploy_rate(ctx, loaded, n, body, lambda i: YEARLY, {"time_zone": "UTC"}, clients, "yearly")
        empty.start()
        time.sleep(min(3, seconds))  # let both settle (flush timers)
        cpu0 = {d: d.cpu_seconds() for d in (loaded, empty)}
        t0 = time.monotonic()
        time.sleep(seconds)
        t1 = time.monotonic()
        cpu1 = {d: d.cpu_seconds() for d in (loaded, empty)}
        figures = {}
        for key, d in (("loaded", loaded), ("empty", empty)):
            figures[key] = {"rss_MiB": round(d.status("VmRSS") / 1024, 1),
                            "cpu_percent": round(100 * (cpu1[d] - cpu0[d]) / (t1 - t0), 3),
                            "threads": len(os.listdir(f"/proc/{d.pid}/task"))}
        api = loaded.api()
        listed = len(api.json("GET", "/api/v1/jobs"))
        api.close()
        figures["loaded"]["jobs_listed"] = listed
        figures["loaded"]["rss_before_deploy_MiB"] = round(rss_before, 1)
    finally:
        loaded.stop()
        empty.stop()
    return deploy, {"window_s": seconds, **figures}


def expected_ticks(n, every_second, t0, t1):
    """(job index, due epoch second) of every tick due in [t0, t1)."""
    ticks = set()
    for t in range(t0, t1):
        if every_second:
            ticks.update((i, t) for i in range(n))
        else:
            ticks.update((i, t) for i in range(t % 60, n, 60))
    return ticks


def read_stamps(path):
    stamps = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                tag, ns = line.split()
                stamps.append((int(tag[1:]), int(ns)))
    return stamps


def firing(ctx, n, body, seconds, every_second, in_place, clients):
    label = "in place" if in_place else "copied"
    with Daemon(ctx.binary, ctx.work, "sched-fire-inplace" if in_place else "sched-fire") as daemon:
        stamps_path = os.path.join(daemon.data_dir, "stamps.txt")
        settings = {"time_zone": "UTC", "env": {"STAMP_FILE": stamps_path}}
        if in_place:
            settings["is_in_place"] = True
        deploy = deploy_rate(ctx, daemon, n, body, lambda i: schedule_of(i, every_second), settings, clients,
                             f"firing ({label})")
        t0 = math.ceil(time.time()) + 2  # the window starts at a whole second once every job is loaded
        t1 = t0 + seconds
        time.sleep(max(0, t0 - time.time()))
        cpu0, m0 = daemon.cpu_seconds(), time.monotonic()
        peak = peak_fds = 0
        cpu1 = m1 = None
        while time.time() < t1 and daemon.process.poll() is None:
            time.sleep(1)
            try:
                peak = max(peak, daemon.status("VmRSS"))
                peak_fds = max(peak_fds, len(os.listdir(f"/proc/{daemon.pid}/fd")))
                cpu1, m1 = daemon.cpu_seconds(), time.monotonic()
            except (OSError, KeyError):  # the daemon died: /proc/PID holds a zombie
                break
        time.sleep(1.5)  # the last ticks' children finish writing
        died = daemon.process.poll()
        if died is not None:
            ctx.log(f"schedules: the daemon DIED during the window (exit status {died}); see {daemon.data_dir}/daemon.log")
            rss = None
        else:
            rss = daemon.status("VmRSS") / 1024
        ctx.log(f"schedules: window {t0}..{t1} over; reading stamps and the store")
    db = sqlite3.connect(os.path.join(daemon.data_dir, "errand.sqlite"))
    # Ticks and runs due in the window, with the store's lateness (started_at - due_at) in ms.
    rows = db.execute(
        "SELECT t.job_name, CAST(round((julianday(t.due_at) - 2440587.5) * 86400) AS INTEGER), r.state, "
        "(julianday(r.started_at) - julianday(t.due_at)) * 86400000.0 "
        "FROM schedule_ticks t LEFT JOIN runs r ON r.id = t.run_id").fetchall()
    runs_per_tick = db.execute(
        "SELECT COUNT(*) FROM runs WHERE trigger = 'schedule' AND job_name IS NOT NULL").fetchone()[0]
    db.close()
    expected = expected_ticks(n, every_second, t0, t1)
    claimed = {}
    store_lateness, states = [], {}
    for job, due, state, late in rows:
        key = (int(job[1:]), due)
        if key in expected:
            claimed[key] = claimed.get(key, 0) + 1
            states[state] = states.get(state, 0) + 1
            if late is not None:
                store_lateness.append(late)
    # The child's view: each start belongs to the latest tick of its job due at or before it.
    executed = {}
    lateness = []  # (due second, ms)
    for i, ns in read_stamps(stamps_path):
        second = ns // 1_000_000_000
        due = second if every_second else second - ((second - i % 60) % 60)
        key = (i, due)
        if key in expected:
            executed[key] = executed.get(key, 0) + 1
            lateness.append((due, (ns - due * 1_000_000_000) / 1e6))
    result = {
        "in_place": in_place, "deploy": deploy, "window_s": seconds, "window_start": t0,
        "expected_ticks": len(expected), "claimed_ticks": len(claimed),
        "executed_ticks": len(executed), "missed": len(expected - set(executed)),
        "missed_claims": len(expected - set(claimed)),
        "duplicates": sum(c - 1 for c in executed.values() if c > 1),
        "duplicate_claims": sum(c - 1 for c in claimed.values() if c > 1),
        "states": states, "scheduled_runs_in_store": runs_per_tick,
        "runs_per_second": round(len(expected) / seconds, 1),
        "daemon_cpu_percent": round(100 * (cpu1 - cpu0) / (m1 - m0), 1) if m1 else None,
        "daemon_peak_rss_MiB": round(peak / 1024, 1), "daemon_rss_after_MiB": rss and round(rss, 1),
        "daemon_peak_open_fds": peak_fds, "daemon_exit_status": died,
    }
    if died is not None:
        log = open(os.path.join(daemon.data_dir, "daemon.log"), errors="replace").read().splitlines()
        result["daemon_last_log_lines"] = [line for line in log if "deployed (scheduled" not in line][-3:]
    if lateness:
        ms = [x for _, x in lateness]
        result["lateness_ms"] = {"p50": round(percentile(ms, 50), 2), "p99": round(percentile(ms, 99), 2),
                                 "max": round(max(ms), 2), "samples": len(ms)}
        # p99 per third of the window (by due time): shows whether the scheduler keeps up or drifts
        bounds = [t0 + k * seconds // 3 for k in range(4)]
        result["lateness_p99_by_third_ms"] = [
            round(percentile([x for due, x in lateness if a <= due < b] or [0], 99), 1)
            for a, b in zip(bounds, bounds[1:])]
    if store_lateness:
        result["store_lateness_ms"] = {"p50": round(percentile(store_lateness, 50), 2),
                                       "p99": round(percentile(store_lateness, 99), 2),
                                       "max": round(max(store_lateness), 2), "samples": len(store_lateness)}
    ctx.log(f"schedules ({label}): {result}")
    return result


def run(ctx, n, seconds, idle_seconds, every_second=False, in_place=False, clients=4):
    body = package(ctx.bins["wallstamp"])
    result = {"jobs": n, "schedule": "* * * * * *" if every_second else "S * * * * * (S = i % 60)",
              "package_bytes": len(body)}
    deploy, result["idle"] = idle_pair(ctx, n, body, idle_seconds, clients)
    result["deploys"] = [deploy]
    result["firing"] = [firing(ctx, n, body, seconds, every_second, False, clients)]
    if in_place:
        result["firing"].append(firing(ctx, n, body, seconds, every_second, True, clients))
    result["deploys"] += [f["deploy"] for f in result["firing"]]
    result["deploy_per_second_median"] = round(median([d["per_second"] for d in result["deploys"]]), 1)
    i = result["idle"]
    ctx.log(f"schedules: idle loaded {i['loaded']} empty {i['empty']}")
    return result
