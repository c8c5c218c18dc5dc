#!/usr/bin/env bash
# A Kudu WebJobs script, unchanged but for the URL: deploys a triggered job with curl through Errand's
# Kudu-compatible routes, runs it with arguments, follows the Location header until the run has finished,
# prints the run's output and removes the job. Usage: docs/examples/kudu-run.sh [URL] (default
# $SCM_URL, else http://127.0.0.1:7420). Exits non-zero unless the run succeeded.
set -euo pipefail
url="${1:-${SCM_URL:-http://127.0.0.1:7420}}"
job="kudu-example-$$"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir "$work/job"
cat >"$work/job/run.sh" <<'SCRIPT'
#!/bin/sh
for word in "$@"; do printf '[%s]\n' "$word"; done
SCRIPT
chmod +x "$work/job/run.sh"
(cd "$work/job" && zip -q ../job.zip run.sh)

# Deploy: PUT the zip; Kudu requires a file name in Content-Disposition.
curl -fsS -X PUT "$url/api/triggeredwebjobs/$job" \
  -H 'Content-Type: application/zip' -H 'Content-Disposition: attachment; filename=job.zip' \
  --data-binary @"$work/job.zip" >/dev/null

# Run: 202 Accepted, the run's URL in Location.
location="$(curl -fsS -o /dev/null -D - -X POST -G "$url/api/triggeredwebjobs/$job/run" \
  --data-urlencode "arguments=one \"two three\" 'four'" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
[ -n "$location" ] || { echo "no Location header" >&2; exit 1; }

# Poll the run until it has finished.
status=""
for _ in $(seq 1 150); do
  run="$(curl -fsS "$location")"
  status="$(printf '%s' "$run" | sed -n 's/.*"status":"\([A-Za-z]*\)".*/\1/p')"
  case "$status" in Success | Failed | Stopped) break ;; esac
  sleep 0.2
done

# Its output (stdout and stderr, as Kudu's output_log.txt).
output_url="$(printf '%s' "$run" | sed -n 's/.*"output_url":"\([^"]*\)".*/\1/p')"
curl -fsS "$output_url"

curl -fsS -X DELETE "$url/api/triggeredwebjobs/$job" >/dev/null
[ "$status" = Success ] || { echo "run ended with status '$status'" >&2; exit 1; }
