"""Workload 10, fleet: three `errand serve --store postgres://… --instance NAME` daemons (a, b, c) on one
throwaway PostgreSQL (the cluster of workload 9: Debian's initdb/pg_ctl as the `postgres` user, 127.0.0.1, a
free port), next to one daemon on its own SQLite store, all in one invocation. The fleet's timings are the
daemon's defaults: a heartbeat every 2 s, an instance silent for 10 s is declared dead by another one, a lease
lasts 15 s, and instances look at each other's runs (output, states, stop requests) every 200 ms through the
store, woken sooner by LISTEN/NOTIFY.

1. Output across instances: one run on `a` prints `lines` lines, each with its own CLOCK_REALTIME just before
   the write, at random intervals of 0.1–0.3 s; it is received at the same time through `b` (reader `cross`)
   and through `a` (reader `same`) with `POST /api/v1/runs/{id}/receive?reader=…&wait=30` long polls, and a
   third run does the same on the SQLite daemon. Latency = when the long poll answered minus the line's stamp.
2. Stop across instances: a `sleep` run started on `a`, stopped with `POST /api/v1/runs/{id}/stop?grace=5`
   through `b`, through `a`, and on the SQLite daemon (rotating, `stops` times each); the time until the answer.
3. Disruptions, under a one-second schedule (`* * * * * *`, the job appends `$ERRAND_SCHEDULED_FOR` and
   `$ERRAND_INSTANCE` to a file): a singleton continuous job (`is_singleton: true`, `exec sleep`) is deployed;
   `trials` times its holder is killed with SIGKILL (time until another instance has it `Running`, and until
   `GET /api/v1/instances` on a survivor shows the victim `dead`), then `trials` times its holder gets SIGTERM
   (time until another instance has it `Running`); then more SIGKILLs of a random instance until `kills` SIGKILLs
   were done. Every victim is started again (same name and data dir) once its fate is seen, and the next
   disruption waits until all three are alive again: at least two instances are always up. Then the schedule is
   stopped and every due second of the window is checked: executed twice (duplicate) or not at all (missed)."""

import io
import json
import math
import os
import random
import subprocess
import threading
import time
import urllib.parse
import zipfile
from datetime import datetime

from common import Api, Daemon, median, percentile
from stores import Cluster

INSTANCES = ("a", "b", "c")
FINISHED = ("Completed", "Failed", "Stopped")
SLEEP_MARK = "987001"  # the singleton's `sleep` argument: how its leftover processes are recognised
STOP_MARK = "987002"   # the stop runs' `sleep` argument

EMITTER = """import random, sys, time
n, lo, hi, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
time.sleep(1)
for i in range(n):
    time.sleep(random.uniform(lo, hi))
    print(i, time.time_ns(), flush=True)
"""


def leftovers(mark):
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and process_alive(int(e), mark)]


def sweep_leftovers():
    """Ends any `sleep` of this workload (recognised by its argument) that outlived the daemons that ran it."""
    ended = {}
    for name, mark in (("singleton", SLEEP_MARK), ("stop_runs", STOP_MARK)):
        for pid in leftovers(mark):
            try:
                os.kill(pid, 9)
                ended[name] = ended.get(name, 0) + 1
            except OSError:
                pass
    return ended


def script_zip(text):
    """A package of one executable shell script, `run.sh` (found as the entry point)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("run.sh", date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 << 16)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, text)
    return buffer.getvalue()


def deploy(api, name, body, kind, settings, schedule=None):
    params = {"kind": kind, "settings": json.dumps(settings)}
    if schedule:
        params["schedule"] = schedule
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    api.conn.request("PUT", f"/api/v1/jobs/{name}?{query}", body=body, headers={"Content-Type": "application/zip"})
    response = api.conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        raise RuntimeError(f"PUT {name} -> {response.status}: {payload[:300]!r}")


def process_alive(pid, mark):
    """Whether `pid` is a live (not zombie) `sleep MARK`."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and len(argv) >= 2 and os.path.basename(argv[0]) == b"sleep" and argv[1] == mark.encode()


def summary_s(values):
    ok = [v for v in values if v is not None]
    out = {"samples": len(ok), "failed": len(values) - len(ok)}
    if ok:
        out.update({"median_s": round(median(ok), 2), "min_s": round(min(ok), 2), "max_s": round(max(ok), 2),
                    "each_s": [None if v is None else round(v, 2) for v in values]})
    return out


def summary_ms(values):
    if not values:
        return {"samples": 0}
    return {"samples": len(values), "p50_ms": round(percentile(values, 50), 1), "p90_ms": round(percentile(values, 90), 1),
            "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1), "min_ms": round(min(values), 1)}


class Fleet:
    """The three daemons on one database, and a log of what was done to them."""

    def __init__(self, ctx, url):
        self.ctx = ctx
        self.daemons = {n: Daemon(ctx.binary, ctx.work, f"fleet-{n}", ["--store", url, "--instance", n])
                        for n in INSTANCES}
        self.events = []  # (epoch seconds, what, instance)

    def start(self):
        for daemon in self.daemons.values():
            daemon.start()
        self.wait_all_alive()

    def stop(self, wait=5):
        """SIGTERM to every daemon at once; those still running `wait` s later get SIGKILL. Returns how many
        exited on their own, and the most singleton processes seen at once meanwhile."""
        running = [d for d in self.daemons.values() if d.process is not None and d.process.poll() is None]
        for daemon in running:
            daemon.process.terminate()
        deadline = time.monotonic() + wait
        most = 0
        while time.monotonic() < deadline and any(d.process.poll() is None for d in running):
            most = max(most, len(leftovers(SLEEP_MARK)))
            time.sleep(0.2)
        exited = 0
        for daemon in running:
            try:
                daemon.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                exited += 1
            except subprocess.TimeoutExpired:
                daemon.process.kill()
                daemon.process.wait()
            daemon.process = None
        return exited, len(running), most

    def up(self):
        return [n for n, d in self.daemons.items() if d.process is not None and d.process.poll() is None]

    def api(self, name, timeout=30):
        return Api(self.daemons[name].port, timeout=timeout)

    def instances(self, via):
        api = self.api(via)
        try:
            listed = api.json("GET", "/api/v1/instances")
        finally:
            api.close()
        listed = listed.get("instances", listed) if isinstance(listed, dict) else listed
        return {i["name"]: i for i in listed}

    def wait_all_alive(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            via = self.up()[0]
            try:
                listed = self.instances(via)
                if all(listed.get(n, {}).get("state") == "alive" for n in INSTANCES):
                    return
            except (OSError, RuntimeError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the fleet's instances are not all alive after {timeout} s: {self.instances(self.up()[0])}")

    def kill(self, name):
        daemon = self.daemons[name]
        self.events.append((time.time(), "SIGKILL", name))
        daemon.process.kill()
        daemon.process.wait()
        daemon.process = None

    def restart(self, name):
        self.events.append((time.time(), "restart", name))
        self.daemons[name].start()
        self.wait_all_alive()


def solo_running(fleet, via):
    api = fleet.api(via)
    try:
        runs = api.json("GET", "/api/v1/runs?state=Running")
    finally:
        api.close()
    return [r for r in runs if r.get("job") == "solo"]


def holder_of_solo(fleet, timeout=60):
    """The instance the singleton runs on, once exactly one live instance runs it; and that run."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        up = fleet.up()
        seen = [r for r in solo_running(fleet, up[0]) if r.get("location") in up]
        if len(seen) == 1:
            return seen[0]["location"], seen[0]
        time.sleep(0.1)
    raise RuntimeError(f"the singleton does not run on exactly one instance: {seen}")


# -- 1. output across instances ------------------------------------------------------------------

def receiver(port, run_id, reader, out, errors):
    api = Api(port, timeout=60)
    buffer = ""
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            page = api.json("POST", f"/api/v1/runs/{run_id}/receive?reader={reader}&wait=30")
            now = time.time_ns()
            for record in page["records"]:
                if record.get("stream") == "output":
                    buffer += record.get("text", "")
            *lines, buffer = buffer.split("\n")
            for line in lines:
                if line.strip():
                    i, ns = line.split()
                    out.append((int(i), (now - int(ns)) / 1e6))
            if not page["records"] and page["run"]["state"] in FINISHED:
                return
    except Exception as error:  # noqa: BLE001 -- reported by the caller
        errors.append(f"{reader}: {error!r}")
    finally:
        api.close()


def output_latency(ctx, fleet, single, lines):
    argv = ["python3", "-u", "-c", EMITTER, str(lines), "0.1", "0.3"]
    api_a, api_s = fleet.api("a"), single.api()
    run_fleet = api_a.start(argv + ["1"])
    run_single = api_s.start(argv + ["2"])
    api_a.close()
    api_s.close()
    got = {"fleet_a_to_b": [], "fleet_a_to_a": [], "sqlite_single": []}
    errors = []
    threads = [threading.Thread(target=receiver, args=(fleet.daemons["b"].port, run_fleet["id"], "cross",
                                                       got["fleet_a_to_b"], errors)),
               threading.Thread(target=receiver, args=(fleet.daemons["a"].port, run_fleet["id"], "same",
                                                       got["fleet_a_to_a"], errors)),
               threading.Thread(target=receiver, args=(single.port, run_single["id"], "same", got["sqlite_single"],
                                                       errors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = {"lines": lines, "interval_s": [0.1, 0.3], "errors": errors}
    for key, values in got.items():
        indices = [i for i, _ in values]
        result[key] = {**summary_ms([ms for _, ms in values]), "lines_received": len(set(indices)),
                       "lines_received_twice": len(indices) - len(set(indices))}
    ctx.log("fleet: output latency " + "; ".join(
        f"{k} p50 {result[k].get('p50_ms')} p90 {result[k].get('p90_ms')} ms ({result[k]['samples']} lines)" for k in got))
    return result


# -- 2. stop across instances --------------------------------------------------------------------

def stop_latency(ctx, fleet, single, stops, rng):
    modes = {"fleet_a_via_b": ("a", "b"), "fleet_a_via_a": ("a", "a"), "sqlite_single": (None, None)}
    times = {m: [] for m in modes}
    answers = {m: {} for m in modes}
    left = {m: 0 for m in modes}
    for k in range(stops):
        for mode, (on, via) in modes.items():
            starter = single.api() if on is None else fleet.api(on)
            stopper = single.api() if via is None else fleet.api(via)
            run = starter.start(["sleep", STOP_MARK])
            time.sleep(rng.uniform(0.2, 0.6))  # a random phase against the instances' 200 ms looks
            t0 = time.perf_counter()
            answer = stopper.json("POST", f"/api/v1/runs/{run['id']}/stop?grace=5")
            times[mode].append((time.perf_counter() - t0) * 1000)
            answers[mode][answer["state"]] = answers[mode].get(answer["state"], 0) + 1
            if run.get("pid") and process_alive(run["pid"], STOP_MARK):
                left[mode] += 1
            starter.close()
            stopper.close()
    result = {"stops": stops, "grace_s": 5}
    for mode in modes:
        result[mode] = {**summary_ms(times[mode]), "answer_states": answers[mode], "process_left_after_answer": left[mode]}
    ctx.log("fleet: stop latency " + "; ".join(
        f"{m} p50 {result[m]['p50_ms']} p90 {result[m]['p90_ms']} ms {answers[m]}" for m in modes))
    return result


# -- 3. disruptions under a one-second schedule --------------------------------------------------

def watch_after(fleet, victim, t0, old_pid, want_failover, wait_dead, timeout=60):
    """Polls a survivor until the singleton runs elsewhere (if `want_failover`) and, if `wait_dead`, the victim is
    shown dead; also when the victim's singleton process (`old_pid`) was first seen gone."""
    via = next(n for n in fleet.up() if n != victim)
    out = {"failover_s": None, "dead_shown_s": None, "leaving_shown_s": None, "new_holder": None,
           "most_running_at_once": 0, "old_process_gone_s": None}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if old_pid and out["old_process_gone_s"] is None and not process_alive(old_pid, SLEEP_MARK):
            out["old_process_gone_s"] = time.monotonic() - t0
        try:
            runs = [r for r in solo_running(fleet, via) if r.get("location") != victim]
            state = fleet.instances(via).get(victim, {}).get("state")
        except (OSError, RuntimeError):
            time.sleep(0.05)
            continue
        now = time.monotonic() - t0
        out["most_running_at_once"] = max(out["most_running_at_once"], len(runs))
        if want_failover and runs and out["failover_s"] is None:
            out["failover_s"], out["new_holder"] = now, runs[0]["location"]
        if state == "leaving" and out["leaving_shown_s"] is None:
            out["leaving_shown_s"] = now
        if state == "dead" and out["dead_shown_s"] is None:
            out["dead_shown_s"] = now
        if (out["dead_shown_s"] is not None or not wait_dead) and (out["failover_s"] is not None or not want_failover):
            break
        time.sleep(0.05)
    return out


def end_leftover(pid):
    """Ends a killed daemon's singleton process that outlived it (by pid, once recognised as ours)."""
    if pid and process_alive(pid, SLEEP_MARK):
        os.kill(pid, 9)
        return True
    return False


def disruptions(ctx, fleet, trials, extra_kills, rng, term_exit_wait=5):
    """`trials` SIGKILLs of the singleton's holder, `trials` SIGTERMs of it, then `extra_kills` SIGKILLs of any
    instance. A daemon that has not exited `term_exit_wait` s after its SIGTERM (and after the failover) is killed."""
    kill_log, term_log = [], []
    total = 2 * trials + extra_kills
    for k in range(total):
        graceful = trials <= k < 2 * trials
        time.sleep(rng.uniform(0, 1))  # a random phase against heartbeats and seconds
        holder, run = holder_of_solo(fleet)
        victim = holder if k < 2 * trials else rng.choice(INSTANCES)
        old_pid = run.get("pid") if victim == holder else None
        entry = {"victim": victim, "was_holder": victim == holder}
        if graceful:
            process = fleet.daemons[victim].process
            fleet.events.append((time.time(), "SIGTERM", victim))
            t0 = time.monotonic()
            process.terminate()
            entry.update(watch_after(fleet, victim, t0, old_pid, want_failover=True, wait_dead=False, timeout=30))
            while entry["old_process_gone_s"] is None and time.monotonic() < t0 + term_exit_wait:
                if not process_alive(old_pid, SLEEP_MARK):
                    entry["old_process_gone_s"] = time.monotonic() - t0
                time.sleep(0.01)
            try:
                process.wait(timeout=max(0.0, t0 + term_exit_wait - time.monotonic()))
                entry["daemon_exit_s"] = round(time.monotonic() - t0, 2)
            except subprocess.TimeoutExpired:
                entry["daemon_exit_s"] = None  # still running: it never finished its graceful shutdown
                fleet.events.append((time.time(), "SIGKILL after SIGTERM", victim))
                process.kill()
                process.wait()
            fleet.daemons[victim].process = None
            if entry["failover_s"] is not None and entry["old_process_gone_s"] is not None:
                entry["overlap_s"] = round(entry["old_process_gone_s"] - entry["failover_s"], 2)
            entry["old_process_ended_by_bench"] = end_leftover(old_pid)
            term_log.append(entry)
        else:
            t0 = time.monotonic()
            fleet.kill(victim)
            entry.update(watch_after(fleet, victim, t0, old_pid, want_failover=victim == holder, wait_dead=True))
            if old_pid:
                entry["old_process_alive_after_failover"] = process_alive(old_pid, SLEEP_MARK)
            kill_log.append(entry)
        fleet.restart(victim)
        if old_pid and not graceful:
            time.sleep(0.5)
            entry["old_process_alive_after_restart"] = process_alive(old_pid, SLEEP_MARK)
            entry["old_process_ended_by_bench"] = end_leftover(old_pid)
        for key, value in entry.items():
            if isinstance(value, float):
                entry[key] = round(value, 2)
        ctx.log(f"fleet: {'SIGTERM' if graceful else 'SIGKILL'} {k + 1}/{total} of {victim}"
                f"{' (the holder)' if victim == holder else ''}: {entry}")
        time.sleep(rng.uniform(1, 2))
    return kill_log, term_log


def iso_epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_ticks(path):
    """(due epoch second, instance, executed at) per line the tick job wrote; and how many lines did not parse
    (an empty $ERRAND_SCHEDULED_FOR or $ERRAND_INSTANCE shows up here)."""
    ticks, bad = [], 0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                try:
                    ticks.append((round(iso_epoch(parts[0])), parts[1], int(parts[2]) / 1e9))
                except (ValueError, IndexError):
                    bad += 1
    return ticks, bad


def psql(cluster, db, sql):
    out = subprocess.run([f"{cluster.bin}/psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", db,
                          "-At", "-F", "|", "-c", sql], capture_output=True, text=True, timeout=60)
    return [line.split("|") for line in out.stdout.splitlines() if line]


def count_ticks(fleet, cluster, db, path, first, end):
    """Due seconds in [first, end): executed twice, or never; what the store says of the missed ones."""
    ticks, bad = read_ticks(path)
    by_due, per_instance = {}, {}
    lateness = []
    for due, instance, executed_at in ticks:
        by_due.setdefault(due, []).append(instance)
        if first <= due < end:
            per_instance[instance] = per_instance.get(instance, 0) + 1
            lateness.append((executed_at - due) * 1000)
    window = range(first, end)
    missed = [t for t in window if t not in by_due]
    duplicated = {t: v for t, v in by_due.items() if len(v) > 1}
    rows = psql(cluster, db, "SELECT EXTRACT(EPOCH FROM t.due_at)::bigint, r.state, r.instance, COALESCE(r.reason, ''), "
                             "COALESCE(r.exit_code::text, '') FROM schedule_ticks t LEFT JOIN runs r ON r.id = t.run_id "
                             "WHERE t.job_name = 'tick'")
    store = {int(r[0]): r[1:] for r in rows}
    disruptions = [(at, what, who) for at, what, who in fleet.events if what != "restart"]

    def explain(t):
        before = [(t - at, what, who) for at, what, who in disruptions if -1 <= t - at <= 15]
        claim = store.get(t)
        return {"due": t, "store": ({"state": claim[0], "instance": claim[1], "reason": claim[2][:200]}
                                    if claim else "no tick row (never claimed)"),
                "after": [f"{what} of {who} {round(dt, 1)} s before" for dt, what, who in before]}

    return {"window_s": len(window), "due": len(window), "executed": sum(1 for t in window if t in by_due),
            "executions": sum(len(by_due.get(t, [])) for t in window),
            "duplicates": sum(len(v) - 1 for t, v in duplicated.items() if first <= t < end),
            "duplicates_anywhere": sum(len(v) - 1 for v in duplicated.values()),
            "missed": len(missed), "claimed_in_store": sum(1 for t in window if t in store), "unparsed_lines": bad,
            "per_instance": per_instance, "lateness_ms": summary_ms(lateness),
            "missed_detail": [explain(t) for t in missed][:30],
            "duplicated_detail": [{"due": t, "instances": v} for t, v in sorted(duplicated.items())][:30]}


def run(ctx, trials, kills, lines, stops):
    cluster = Cluster(ctx.work)
    if not cluster.bin:
        ctx.log("fleet: PostgreSQL is not installed; skipped")
        return {"skipped": "PostgreSQL is not installed"}
    began = time.monotonic()
    rng = random.Random(15)
    result = {"instances": len(INSTANCES), "failover_trials": trials, "kills": kills, "lines": lines, "stops": stops,
              "timings": {"heartbeat_s": 2, "dead_after_s": 10, "lease_s": 15, "watch_ms": 200}}
    fleet = single = None
    try:
        cluster.start()
        db = "errand_fleet"
        fleet = Fleet(ctx, cluster.database(db))
        single = Daemon(ctx.binary, ctx.work, "fleet-sqlite")
        fleet.start()
        single.start()
        ctx.log(f"fleet: a, b, c alive on PostgreSQL port {cluster.port}; one SQLite daemon beside them")
        result["output"] = output_latency(ctx, fleet, single, lines)
        result["stop"] = stop_latency(ctx, fleet, single, stops, rng)

        tick_file = os.path.join(ctx.work, "fleet-ticks.txt")
        if os.path.exists(tick_file):
            os.remove(tick_file)
        api = fleet.api("a")
        deploy(api, "tick", script_zip('#!/bin/sh\necho "$ERRAND_SCHEDULED_FOR $ERRAND_INSTANCE $(date +%s%N)" '
                                       '>> "$TICK_FILE"\n'),
               "triggered", {"time_zone": "UTC", "env": {"TICK_FILE": tick_file}}, schedule="* * * * * *")
        deploy(api, "solo", script_zip(f"#!/bin/sh\nexec sleep {SLEEP_MARK}\n"), "continuous", {"is_singleton": True})
        api.close()
        first = math.ceil(time.time()) + 3  # every instance knows the jobs after one heartbeat
        holder, _ = holder_of_solo(fleet)
        ctx.log(f"fleet: singleton runs on {holder}; one-second schedule deployed; disruptions begin")
        kill_log, term_log = disruptions(ctx, fleet, trials, max(kills - trials, 0), rng)
        api = fleet.api(fleet.up()[0])
        stopped_at = time.time()
        api.call("POST", "/api/v1/jobs/tick/stop")
        api.call("POST", "/api/v1/jobs/solo/stop")
        api.close()
        time.sleep(2)
        # Two seconds after `job stop`: does the singleton still run anywhere (in the store, or as a process)?
        result["singleton_after_job_stop"] = {"running_in_store": len(solo_running(fleet, fleet.up()[0])),
                                              "processes": len(leftovers(SLEEP_MARK))}
        # Started again, for the teardown: SIGTERM to the whole fleet while the singleton runs.
        api = fleet.api(fleet.up()[0])
        api.call("POST", "/api/v1/jobs/solo/start")
        api.close()
        holder_of_solo(fleet)
        end = math.floor(stopped_at) - 1
        result["ticks"] = count_ticks(fleet, cluster, db, tick_file, first, end)
        result["ticks"]["sigkills"] = len(kill_log)
        result["ticks"]["sigterms"] = len(term_log)
        holder_kills = [e for e in kill_log if e["was_holder"]]
        result["failover_kill"] = summary_s([e["failover_s"] for e in holder_kills])
        result["failover_term"] = summary_s([e["failover_s"] for e in term_log])
        result["detection_kill"] = summary_s([e["dead_shown_s"] for e in kill_log])
        result["singleton_most_running_at_once"] = max([e["most_running_at_once"] for e in kill_log + term_log] or [0])
        result["singleton_process_outlived_killed_daemon"] = sum(
            1 for e in holder_kills if e.get("old_process_alive_after_failover"))
        result["singleton_process_outlived_restart"] = sum(
            1 for e in holder_kills if e.get("old_process_alive_after_restart"))
        result["term_daemon_never_exited"] = sum(1 for e in term_log if e.get("daemon_exit_s") is None)
        result["term_overlap_s"] = [e.get("overlap_s") for e in term_log]
        result["kill_log"] = kill_log
        result["term_log"] = term_log
        ctx.log(f"fleet: failover after SIGKILL {result['failover_kill']}; after SIGTERM {result['failover_term']}; "
                f"dead shown {result['detection_kill']}")
        t = result["ticks"]
        ctx.log(f"fleet: ticks: {t['due']} due, {t['executed']} executed, {t['duplicates']} duplicates, "
                f"{t['missed']} missed over {t['sigkills']} SIGKILLs and {t['sigterms']} SIGTERMs")
    finally:
        if fleet:
            exited, stopped, most = fleet.stop()
            result["teardown_sigterm_exits"] = f"{exited} of {stopped}"
            result["teardown_most_singleton_processes"] = most
        if single:
            single.stop()
        cluster.stop()
        result["leftover_processes_ended"] = sweep_leftovers()
    result["seconds"] = round(time.monotonic() - began, 1)
    return result
