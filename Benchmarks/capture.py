"""Workload 3, output capture: one run writing BYTES as 100-byte lines and one in 64 KiB blocks,
against the same writer redirected to a file by the shell; the daemon's peak RSS growth; and the
sha256 of GET /runs/{id}/log equal to the checksum of the writer's own output."""

import hashlib
import http.client
import os
import subprocess
import time

from common import Daemon, median


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def shell_redirect(writer, mode, size, path):
    t0 = time.monotonic()
    subprocess.run(["sh", "-c", f'exec "$0" {mode} {size} > "$1"', writer, path], check=True, timeout=900)
    seconds = time.monotonic() - t0
    digest = sha256_file(path)
    os.remove(path)
    return seconds, digest


def log_sha256(port, run_id):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", f"/api/v1/runs/{run_id}/log")
    response = conn.getresponse()
    h, total = hashlib.sha256(), 0
    while chunk := response.read(1 << 20):
        h.update(chunk)
        total += len(chunk)
    conn.close()
    return h.hexdigest(), total


def errand_capture(daemon, writer, mode, size):
    api = daemon.api()
    daemon.reset_peak_rss()
    rss_before = daemon.status("VmRSS")
    t0 = time.monotonic()
    run = api.start([writer, mode, str(size)])
    finished = api.wait([run["id"]], timeout_s=900)[0]
    seconds = time.monotonic() - t0
    peak = daemon.status("VmHWM")
    daemon.reset_peak_rss()
    rss_before_log = daemon.status("VmRSS")
    digest, total = log_sha256(daemon.port, run["id"])
    log_growth = (daemon.status("VmHWM") - rss_before_log) / 1024
    api.call("DELETE", f"/api/v1/runs/{run['id']}")  # keep the disk small between rounds
    api.close()
    if finished["state"] != "Completed":
        raise RuntimeError(f"capture run ended {finished['state']}: {finished.get('reason')}")
    return seconds, digest, total, (peak - rss_before) / 1024, rss_before / 1024, log_growth


def run(ctx, size, rounds):
    result = {"bytes": size, "rounds": rounds}
    with Daemon(ctx.binary, ctx.work, "capture") as daemon:
        api = daemon.api()
        api.wait([api.start(["/bin/true"])["id"]])  # warm-up
        api.close()
        for mode in ("lines", "blocks"):
            shell_s, errand_s, growth, lost, log_growth = [], [], [], [], []
            for _ in range(rounds):
                s, expected = shell_redirect(ctx.bins["writer"], mode, size, os.path.join(ctx.work, "redirect.out"))
                shell_s.append(s)
                s, digest, total, grown, rss0, log_grown = errand_capture(daemon, ctx.bins["writer"], mode, size)
                log_growth.append(log_grown)
                errand_s.append(s)
                growth.append(grown)
                lost.append(size - total if digest != expected or total != size else 0)
                if digest != expected:
                    lost[-1] = max(lost[-1], 1)
                ctx.log(f"capture {mode}: shell {size / shell_s[-1] / 1e6:.0f} MB/s, errand {size / s / 1e6:.0f} MB/s, "
                        f"RSS +{grown:.1f} MiB (log download +{log_grown:.1f} MiB), checksum {'equal' if digest == expected else 'DIFFERENT'}")
            shell_rate, errand_rate = size / median(shell_s) / 1e6, size / median(errand_s) / 1e6
            result[mode] = {
                "shell_redirect_MB_per_s": round(shell_rate, 1), "errand_MB_per_s": round(errand_rate, 1),
                "ratio": round(errand_rate / shell_rate, 3), "peak_rss_growth_MiB": round(max(growth), 1),
                "checksums_equal": all(x == 0 for x in lost), "rounds_with_loss": sum(1 for x in lost if x),
                "daemon_rss_before_MiB": round(rss0, 1),
                "log_download_peak_rss_growth_MiB": round(max(log_growth), 1),
            }
    return result
