"""Shared helpers for the benchmark drivers: a daemon under test, a small HTTP client, statistics."""

import http.client
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import time

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """One keep-alive HTTP/1.1 connection to the daemon (loopback only)."""

    def __init__(self, port, timeout=120):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed a kept-alive connection: reconnect once
                if attempt == 2:
                    raise
        if response.status >= 300:
            raise RuntimeError(f"{method} {path} -> {response.status}: {payload[:300]!r}")
        return payload

    def json(self, method, path, body=None):
        return json.loads(self.call(method, path, body))

    def start(self, argv, **extra):
        return self.json("POST", "/api/v1/runs", {"argv": argv, "environment": ENV, "workingDirectory": "/tmp", **extra})

    def wait(self, ids, timeout_s=600):
        """Long-polls until every run in `ids` finished; bounded by `timeout_s`."""
        query = "&".join(f"id={i}" for i in ids)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = self.json("GET", f"/api/v1/runs/wait?{query}&any=false&timeout=30")
            if result["done"]:
                return result["runs"]
        raise TimeoutError(f"runs {ids} not finished after {timeout_s} s")

    def close(self):
        self.conn.close()


class Daemon:
    """`errand serve` on a free loopback port with its own data directory; always stopped."""

    def __init__(self, binary, work_dir, name, extra_args=()):
        self.binary = binary
        self.data_dir = os.path.join(work_dir, name)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.makedirs(self.data_dir)
        self.extra_args = list(extra_args)
        self.port = None
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.data_dir, "daemon.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir, *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ERRAND_NO_AUTOSTART": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.process.returncode}; see {self.data_dir}/daemon.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    Api(self.port).call("GET", "/healthz")
                    return self
            except (OSError, RuntimeError, http.client.HTTPException):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("daemon did not answer /healthz within 30 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def pid(self):
        return self.process.pid

    def api(self):
        return Api(self.port)

    def status(self, field):
        """A field of /proc/PID/status in KiB (VmRSS, VmHWM)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def reset_peak_rss(self):
        with open(f"/proc/{self.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values):
    return statistics.median(values)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
