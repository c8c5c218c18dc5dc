"""Workload 7, API: wrk against GET /api/v1/runs?limit=50 with HISTORY runs in the store.

The history is made by one real run through the daemon, then copied HISTORY - 1 times by sqlite3
into the same database (daemon stopped), renumbered; the daemon is then restarted on it. Posting
100,000 real runs would take minutes on a 2-core machine and measure workload 1 again."""

import os
import re
import subprocess

from common import Daemon, run as sh


def fill_history(db, count):
    columns = [c for c in sh(["sqlite3", db, "SELECT name FROM pragma_table_info('runs')"]).split() if c not in ("id", "name")]
    cols = ", ".join(columns)
    sh(["sqlite3", db, f"""
        WITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x < {count})
        INSERT INTO runs (id, name, {cols}) SELECT x, 'Job' || x, {cols} FROM c, (SELECT * FROM runs WHERE id = 1);
        """])
    return int(sh(["sqlite3", db, "SELECT count(*) FROM runs"]).strip())


def parse_wrk(text):
    def ms(value, unit):
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p = {q: ms(*re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()) for q in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {"requests_per_s": rps, "p50_ms": round(p["50"], 3), "p99_ms": round(p["99"], 3),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else None}


def run(ctx, history, duration):
    daemon = Daemon(ctx.binary, ctx.work, "api")
    with daemon:
        api = daemon.api()
        api.wait([api.start(["/bin/true"])["id"]])
        api.close()
    rows = fill_history(os.path.join(daemon.data_dir, "errand.sqlite"), history)
    with daemon:
        url = f"http://127.0.0.1:{daemon.port}/api/v1/runs?limit=50"
        page = daemon.api().json("GET", "/api/v1/runs?limit=50")
        assert len(page) == 50, len(page)
        out = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url], check=True,
                             capture_output=True, text=True, timeout=duration + 60).stdout
        newest = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}s", "--latency",
                                 f"http://127.0.0.1:{daemon.port}/api/v1/runs?newest=50"], check=True,
                                capture_output=True, text=True, timeout=duration + 60).stdout
    result = {"history_runs": rows, "history_made_by": "sqlite3 copy of one real run (daemon stopped)",
              "duration_s": duration, "limit50": parse_wrk(out), "newest50": parse_wrk(newest)}
    ctx.log(f"api: {result}")
    return result
