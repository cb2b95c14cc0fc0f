#!/usr/bin/env bash
# pair.sh - CPU per system report of two nexusmon builds, measured side by
# side: both start together in the peers configuration (system report each
# second, every other report off, storage and the events file on, console,
# HTTP and probes off), so that both see the same machine at the same time.
# On a shared machine this tells a 10 % change apart where two sequential
# runs of bench/peers.sh cannot.
#
# For each round it waits WARM seconds, then counts the on-CPU time of every
# thread (/proc/PID/task/*/schedstat) and the reports in the events file over
# DUR seconds, and prints ms of CPU per report for each build.
#
# Usage: bench/pair.sh NEW_BIN OLD_BIN   env: DUR=30 ROUNDS=4 WARM=4
set -euo pipefail
A=${1:?usage: bench/pair.sh NEW_BIN OLD_BIN}
B=${2:?usage: bench/pair.sh NEW_BIN OLD_BIN}
DUR=${DUR:-30} ROUNDS=${ROUNDS:-4} WARM=${WARM:-4}
for bin in "$A" "$B"; do [[ -x "$bin" ]] || { echo "pair.sh: $bin is not executable" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/nexusmon-pair.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ns() { # pid: on-CPU ns of its live threads
    local s=0 ns _ f
    for f in /proc/"$1"/task/*/schedstat; do read -r ns _ <"$f" && s=$((s + ns)); done
    echo "$s"
}
reports() { grep -c detailed_system_monitoring "$1" 2>/dev/null || echo 0; }

start() { # name bin -> sets PID
    local dir=$WORK/$1-$r
    mkdir -p "$dir"
    cat >"$dir/nexusmon.yaml" <<YAML
reports:
  system: {interval: 1s, mode: post}
  network: {interval: 1h, mode: "off"}
  memory: {interval: 1h, mode: "off"}
  commands: {interval: 1h, mode: "off"}
  health: {interval: 1h, mode: "off"}
probes: {discord_api: "http://127.0.0.1:9/", internet: []}
storage: {path: $dir/nexusmon.db}
output: {console: "off", jsonl: $dir/nexusmon.jsonl}
http: {listen: ""}
YAML
    "$2" run --config "$dir/nexusmon.yaml" >"$dir/stdout" 2>"$dir/stderr" &
    PID=$!
    PIDS+=("$PID")
}

echo "| round | new ms/report | old ms/report | reports | load |"
echo "|---:|---:|---:|---:|---:|"
for r in $(seq "$ROUNDS"); do
    start new "$A"; pa=$PID
    start old "$B"; pb=$PID
    sleep "$WARM"
    ja=$WORK/new-$r/nexusmon.jsonl jb=$WORK/old-$r/nexusmon.jsonl
    ca=$(cpu_ns "$pa") cb=$(cpu_ns "$pb") na=$(reports "$ja") nb=$(reports "$jb")
    sleep "$DUR"
    ca=$(( $(cpu_ns "$pa") - ca )) cb=$(( $(cpu_ns "$pb") - cb ))
    na=$(( $(reports "$ja") - na )) nb=$(( $(reports "$jb") - nb ))
    kill "$pa" "$pb"; wait "$pa" "$pb" 2>/dev/null || true
    PIDS=()
    if (( na == 0 || nb == 0 )); then echo "pair.sh: a build made no report (see $WORK)" >&2; trap - EXIT; exit 1; fi
    awk -v r="$r" -v ca="$ca" -v cb="$cb" -v na="$na" -v nb="$nb" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN { printf "| %d | %.3f | %.3f | %d / %d | %s |\n", r, ca/1e6/na, cb/1e6/nb, na, nb, l }'
done
