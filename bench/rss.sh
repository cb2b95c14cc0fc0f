#!/usr/bin/env bash
# rss.sh - peak resident memory of the agent at its default intervals.
#
# Runs `nexusmon run` for DUR seconds (default 600: two health reports with
# their chart, at 5 and 10 minutes) on the default report intervals, with the
# probes on (pointed at the agent's own loopback /healthz, so they succeed
# without leaving the machine), storage and the events file on, console off.
# Every second it reads VmHWM and VmRSS from /proc/PID/status and prints, at
# the end, the peak, when it was first reached, the resident size at the end,
# the binary's size, and how many reports the events file holds.
#
# Usage: bench/rss.sh   env: DUR=600 NEXUSMON_BIN=bin/nexusmon PORT=39190 KEEP=1
set -euo pipefail

DUR=${DUR:-600}
BIN=${NEXUSMON_BIN:-bin/nexusmon}
PORT=${PORT:-39190}
[[ -x "$BIN" ]] || { echo "rss.sh: $BIN missing (make build)" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
    [[ -n "${PID:-}" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    if [[ -n "${KEEP:-}" ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

cat >"$WORK/nexusmon.yaml" <<YAML
storage: {path: $WORK/nexusmon.db}
output: {console: "off", jsonl: $WORK/nexusmon.jsonl}
http: {listen: 127.0.0.1:$PORT}
probes:
  discord_api: http://127.0.0.1:$PORT/healthz
  internet: [http://127.0.0.1:$PORT/healthz]
  interval: 60s
YAML

"$BIN" run --config "$WORK/nexusmon.yaml" >"$WORK/stdout" 2>"$WORK/stderr" &
PID=$!

peak=0 peak_at=0 rss=0
for ((t = 1; t <= DUR; t++)); do
    sleep 1
    read -r hwm cur < <(awk '/^VmHWM:/{h=$2} /^VmRSS:/{r=$2} END{print h, r}' "/proc/$PID/status" 2>/dev/null) || {
        echo "rss.sh: the agent exited after ${t}s; its stderr:" >&2; cat "$WORK/stderr" >&2; exit 1; }
    if ((hwm > peak)); then peak=$hwm peak_at=$t; fi
    rss=$cur
done

reports() { grep -c "\"$1\"" "$WORK/nexusmon.jsonl" 2>/dev/null || true; }
printf 'binary             %s bytes\n' "$(stat -c %s "$BIN")"
printf 'duration           %d s\n' "$DUR"
awk -v p="$peak" -v at="$peak_at" -v r="$rss" 'BEGIN{
    printf "peak RSS (VmHWM)   %.1f MiB, first reached at %d s\n", p / 1024, at
    printf "RSS at the end     %.1f MiB\n", r / 1024 }'
printf 'reports            system %s, health %s\n' "$(reports detailed_system_monitoring)" "$(reports comprehensive_health_report)"
