#!/usr/bin/env bash
# peers.sh - anchor numbers: what do well-known host-metrics agents spend (CPU
# time, peak RSS) to collect host metrics at a fixed 1 s rate on this machine?
#
# For each peer it: starts it in the background, bound to 127.0.0.1 only, with
# its config and state in a temp dir; waits until it is ready and warmed up;
# takes a CPU snapshot; drives / lets it collect once per second for DUR
# seconds; takes a second snapshot; stops it by PID; prints a markdown table.
#
# Peers (each skipped when its binary is missing):
#   node_exporter-default  all default collectors; scraped by curl once a second
#   node_exporter-min      only cpu,meminfo,loadavg,diskstats,netdev,filesystem
#                          (+ its own process_* and go_* metrics, which stay on)
#   collectd               Interval 1; cpu memory disk interface load processes
#                          (+ Process "collectd" for one process's metrics) -> csv
#   netdata-min            update every 1; internal proc plugin limited to
#                          /proc/{stat,meminfo,loadavg,diskstats,net/dev} +
#                          diskspace; db mode ram; no health, statsd, cgroups,
#                          apps, tc, idlejitter, timex, self-monitoring, plugins
#   netdata-default        update every 1; stock settings (dbengine, health,
#                          external plugins as installed), only dirs/bind changed
#   floor-c, floor-go      floor_c/floor.c and floor_go/main.go: open/read/parse
#                          /proc/{stat,meminfo,loadavg,diskstats,net/dev} and
#                          /proc/self/{stat,status} once a second; nothing else
#   floor-deps             floor_deps/main.go: floor-go's reads, plus what nexusmon's
#                          chosen libraries cost for a report's work: as many points
#                          as nexusmon's system collection through the OTel metric
#                          SDK (ManualReader), a report's JSON appended to a file,
#                          SQLite (modernc) every 5 s; nothing of nexusmon's own
#
# Measurements (whole process tree: the PID, its live descendants, and for
# ticks also the children it already reaped):
#   CPU ticks   utime+stime (+cutime+cstime) from /proc/PID/stat, / CLK_TCK
#               -> 10 ms resolution; "CPU ms total" is this, whole life.
#   CPU ns      sum of /proc/PID/task/*/schedstat field 1 (on-CPU ns of the
#               live threads) -> used for the steady per-collection figure,
#               which is too small for 10 ms ticks on the cheap peers.
#   peak RSS    VmHWM from /proc/PID/status of the main PID (tree sum shown
#               separately when the peer has child processes).
# "before window" = startup + warm-up collections, excluded from ms/collection.
#
# Usage: (in the project checkout) bench/peers.sh, or make bench-peers   env: DUR=60 PEERS="..." NEXUSMON_BIN=bin/nexusmon BASE_PORT=39100 KEEP=1 (keep temp dir)
#        NEXUSMON_BEFORE_BIN=path adds the peer nexusmon-before (another build, e.g. the previous release) to the
#        default list, so that a change is measured before and after in one run
#                             COLLECTD_PLUGINS="cpu memory disk interface load processes"
# Needs: curl, gcc, go; peers from Debian (skipped when absent):
#   apt-get install --no-install-recommends prometheus-node-exporter collectd-core netdata-core
# Root is not required (netdata runs as the invoking user).
set -euo pipefail

DUR=${DUR:-60}
INTERVAL=1
PEERS=${PEERS:-"node_exporter-default node_exporter-min collectd netdata-min netdata-default floor-c floor-go floor-deps nexusmon${NEXUSMON_BEFORE_BIN:+ nexusmon-before}"}
BASE_PORT=${BASE_PORT:-39100}
COLLECTD_PLUGINS=${COLLECTD_PLUGINS:-"cpu memory disk interface load processes"}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/peers-bench.XXXXXX)
GO_ENV=(HOME="/tmp/peers-bench-home" GOCACHE="/tmp/peers-bench-gocache" GOPATH="/tmp/peers-bench-gopath"
        GOTOOLCHAIN=local GOFLAGS= GO111MODULE=off CGO_ENABLED=0)

# "pid:starttime" of every process this script started; starttime guards
# against killing a recycled PID.
STARTED=()
PID=
ROWS=()

log() { printf '[peers %s] %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s.%N; }
# Interruptible sleep: a foreground sleep would hold off the INT/TERM trap.
NAP_PID=
nap() { sleep "$1" & NAP_PID=$!; wait "$NAP_PID" || true; NAP_PID=; }

# Field N (1-based, as in proc(5)) of /proc/PID/stat, robust to spaces in comm.
stat_field() { # pid n
    local rest
    rest=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${rest##*) }
    # after "comm) " the first field is #3 (state)
    awk -v n="$(( $2 - 2 ))" '{print $n}' <<<"$rest"
}

alive() { # "pid:starttime"
    local pid=${1%%:*} st=${1##*:} cur
    cur=$(stat_field "$pid" 22 2>/dev/null) || return 1
    [[ "$cur" == "$st" ]]
}

# PID and all its descendants (live), one per line, PID first.
tree_pids() { # pid
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { kids[$2] = kids[$2] " " $1 }
        END { q[1] = root; n = 1; i = 1
              while (i <= n) { p = q[i++]; print p
                  m = split(kids[p], a, " "); for (j = 1; j <= m; j++) q[++n] = a[j] } }'
}

# Echoes: ticks ns procs hwm_main_kib hwm_tree_kib
snapshot() { # pid
    local root=$1 ticks=0 ns=0 procs=0 hwm_main=0 hwm_tree=0 p rest f t h
    for p in $(tree_pids "$root"); do
        rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${rest##*) }
        read -r -a f <<<"$rest"
        # f[11]=utime(14) f[12]=stime(15) f[13]=cutime(16) f[14]=cstime(17)
        ticks=$(( ticks + f[11] + f[12] ))
        if [[ "$p" == "$root" ]]; then ticks=$(( ticks + f[13] + f[14] )); fi
        for t in /proc/"$p"/task/*/schedstat; do
            read -r h _ 2>/dev/null <"$t" || continue
            ns=$(( ns + h ))
        done
        h=$(awk '/^VmHWM:/{print $2}' "/proc/$p/status" 2>/dev/null || true)
        h=${h:-0}
        hwm_tree=$(( hwm_tree + h ))
        if [[ "$p" == "$root" ]]; then hwm_main=$h; fi
        procs=$(( procs + 1 ))
    done
    echo "$ticks $ns $procs $hwm_main $hwm_tree"
}

start_bg() { # name cmd... ; starts cmd in the background (stdout/stderr to $WORK/name.out/.err), sets PID
    local name=$1 st; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
    PID=$!
    st=$(stat_field "$PID" 22) || { log "$name died at once"; cat "$WORK/$name.err" >&2; return 1; }
    STARTED+=("$PID:$st")
}

# Stops a started process and its descendants by PID: TERM, wait <=10 s, KILL.
stop_tree() { # pid
    local root=$1 entry st p i
    local -a victims=()
    for entry in "${STARTED[@]}"; do
        [[ "${entry%%:*}" == "$root" ]] && st=${entry##*:}
    done
    [[ -n "${st:-}" ]] || return 0
    alive "$root:$st" || return 0
    for p in $(tree_pids "$root"); do
        victims+=("$p:$(stat_field "$p" 22 2>/dev/null || echo gone)")
    done
    kill -TERM "$root" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$root:$st" || break; sleep 0.1; done
    for entry in "${victims[@]}"; do
        if alive "$entry"; then kill -TERM "${entry%%:*}" 2>/dev/null || true; fi
    done
    for ((i = 0; i < 30; i++)); do
        local left=0
        for entry in "${victims[@]}"; do alive "$entry" && left=1; done
        [[ $left == 0 ]] && break
        sleep 0.1
    done
    for entry in "${victims[@]}"; do
        if alive "$entry"; then log "KILL ${entry%%:*} (ignored TERM)"; kill -KILL "${entry%%:*}" 2>/dev/null || true; fi
    done
    wait "$root" 2>/dev/null || true
}

cleanup() {
    local rc=$? entry
    trap - EXIT INT TERM
    if [[ -n "$NAP_PID" ]]; then kill "$NAP_PID" 2>/dev/null || true; fi
    for entry in "${STARTED[@]}"; do stop_tree "${entry%%:*}"; done
    if [[ "${KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

wait_until() { # timeout_s cmd... ; polls cmd every 0.2 s
    local deadline
    deadline=$(awk -v n="$(now)" -v t="$1" 'BEGIN{printf "%.3f", n + t}'); shift
    until "$@" >/dev/null 2>&1; do
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN{exit !(n > d)}'; then return 1; fi
        sleep 0.2
    done
}

sleep_until() { # absolute epoch seconds (fractional)
    local d
    d=$(awk -v n="$(now)" -v t="$1" 'BEGIN{d = t - n; if (d < 0) d = 0; if (d > 5) d = 5; printf "%.3f", d}')
    nap "$d"
}

# Adds a result row. args: peer pid collections series note t0_snapshot t0_wall
finish_row() {
    local peer=$1 pid=$2 coll=$3 series=$4 note=$5 s0=$6 w0=$7 w1 s1
    s1=$(snapshot "$pid"); w1=$(now)
    read -r k0 n0 _ _ _ <<<"$s0"
    read -r k1 n1 procs hwm_main hwm_tree <<<"$s1"
    ROWS+=("$(awk -v peer="$peer" -v coll="$coll" -v series="$series" -v note="$note" \
        -v k0="$k0" -v k1="$k1" -v n0="$n0" -v n1="$n1" -v w0="$w0" -v w1="$w1" \
        -v procs="$procs" -v hm="$hwm_main" -v ht="$hwm_tree" -v tck="$CLK_TCK" 'BEGIN {
        tot = k1 * 1000 / tck; pre = k0 * 1000 / tck
        win = w1 - w0; dns = (n1 - n0) / 1e6
        per_t = coll > 0 ? (k1 - k0) * 1000 / tck / coll : 0
        per_n = coll > 0 ? dns / coll : 0
        pct = win > 0 ? dns / (win * 1000) * 100 : 0
        rss = hm / 1024; rsst = (procs > 1) ? sprintf("%.1f (%d procs)", ht / 1024, procs) : "-"
        printf "| %s | %d | %.0f | %.0f | %.3f | %.2f | %.3f | %.1f | %s | %s | %s |",
            peer, coll, tot, pre, per_n, per_t, pct, rss, rsst, series, note }')")
}

# ---------------------------------------------------------------- peers

run_node_exporter() { # variant
    local variant=$1 bin port url pid s0 w0 t0 i ok=0 series extra=()
    bin=$(command -v prometheus-node-exporter || command -v node_exporter || true)
    [[ -n "$bin" ]] || { log "node_exporter not installed, skipped"; return 0; }
    port=$BASE_PORT
    if [[ "$variant" == min ]]; then
        extra=(--collector.disable-defaults --collector.cpu --collector.meminfo --collector.loadavg
               --collector.diskstats --collector.netdev --collector.filesystem)
    fi
    mkdir -p "$WORK/ne-textfile"
    start_bg "node_exporter-$variant" "$bin" --web.listen-address="127.0.0.1:$port" \
        --collector.textfile.directory="$WORK/ne-textfile" "${extra[@]}"
    pid=$PID
    url="http://127.0.0.1:$port"
    wait_until 15 curl -sf --max-time 2 -o /dev/null "$url/" || { log "node_exporter not ready"; return 1; }
    series=$(curl -sf --max-time 5 "$url/metrics" | grep -vc '^#' || true)   # warm-up scrape
    nap 1
    s0=$(snapshot "$pid"); w0=$(now); t0=${w0}
    for ((i = 0; i < DUR; i++)); do
        sleep_until "$(awk -v t="$t0" -v i="$i" -v iv="$INTERVAL" 'BEGIN{printf "%.3f", t + i * iv}')"
        if curl -sf --max-time 5 -o /dev/null "$url/metrics"; then ok=$((ok + 1)); fi
    done
    finish_row "node_exporter-$variant" "$pid" "$ok" "$series" "scrapes by curl (client cost not counted)" "$s0" "$w0"
    stop_tree "$pid"
}

run_collectd() {
    local bin conf data pid s0 w0 l0 l1 series
    bin=$(command -v collectd || ls /usr/sbin/collectd 2>/dev/null || true)
    [[ -n "$bin" ]] || { log "collectd not installed, skipped"; return 0; }
    data=$WORK/collectd; conf=$data/collectd.conf; mkdir -p "$data/csv"
    cat >"$conf" <<EOF
Hostname "bench"
FQDNLookup false
BaseDir "$data"
PIDFile "$data/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval $INTERVAL
$(for p in $COLLECTD_PLUGINS; do echo "LoadPlugin $p"; done)
LoadPlugin csv
$(if [[ " $COLLECTD_PLUGINS " == *" processes "* ]]; then printf '<Plugin processes>\n  Process "collectd"\n</Plugin>\n'; fi)
<Plugin csv>
  DataDir "$data/csv"
  StoreRates false
</Plugin>
EOF
    "$bin" -t -C "$conf" || { log "collectd config test failed"; return 1; }
    start_bg collectd "$bin" -f -C "$conf"; pid=$PID
    lines() { cat "$data"/csv/bench/load/load-* 2>/dev/null | wc -l; }
    wait_until 15 test -d "$data/csv/bench/load" || { log "collectd not writing"; return 1; }
    nap 2
    s0=$(snapshot "$pid"); w0=$(now); l0=$(lines)
    nap "$DUR"
    l1=$(lines)
    series=$(find "$data/csv" -type f -newermt "5 seconds ago" -exec head -qn1 {} + | awk -F, '{n += NF - 1} END {print n}')
    local label=collectd
    [[ "$COLLECTD_PLUGINS" == "cpu memory disk interface load processes" ]] || label="collectd ($COLLECTD_PLUGINS)"
    finish_row "$label" "$pid" "$((l1 - l0))" "$series" "csv writer; collections = new lines in load csv" "$s0" "$w0"
    stop_tree "$pid"
}

run_netdata() { # variant
    local variant=$1 bin d port pid s0 w0 url series
    bin=$(command -v netdata || ls /usr/sbin/netdata 2>/dev/null || true)
    [[ -n "$bin" ]] || { log "netdata not installed, skipped"; return 0; }
    d=$WORK/netdata-$variant; port=$((BASE_PORT + 1))
    mkdir -p "$d"/{conf,cache,lib,log,run}
    {
        cat <<EOF
[global]
	run as user = $(id -un)
	hostname = bench
[db]
	update every = $INTERVAL
$(if [[ "$variant" == min ]]; then printf '\tmode = ram\n\tretention = 3600\n'; fi)
[directories]
	config = $d/conf
	stock config = /usr/lib/netdata/conf.d
	log = $d/log
	cache = $d/cache
	lib = $d/lib
	lock = $d/run
	plugins = /usr/lib/netdata/plugins.d
	web = /usr/share/netdata/web
[web]
	bind to = 127.0.0.1:$port
[registry]
	enabled = no
EOF
        if [[ "$variant" == min ]]; then
            cat <<'EOF'
[logs]
	access = none
[health]
	enabled = no
[ml]
	enabled = no
[plugins]
	timex = no
	idlejitter = no
	netdata monitoring = no
	tc = no
	diskspace = yes
	proc = yes
	cgroups = no
	enable running new plugins = no
	statsd = no
	apps = no
	perf = no
	nfacct = no
	slabinfo = no
	ebpf = no
	python.d = no
	go.d = no
	charts.d = no
[plugin:proc]
	/proc/net/dev = yes
	/proc/stat = yes
	/proc/loadavg = yes
	/proc/meminfo = yes
	/proc/diskstats = yes
	/proc/pagetypeinfo = no
	/proc/uptime = no
	/proc/sys/kernel/random/entropy_avail = no
	/proc/pressure = no
	/proc/interrupts = no
	/proc/softirqs = no
	/proc/vmstat = no
	/sys/kernel/mm/ksm = no
	/sys/block/zram = no
	/sys/devices/system/edac/mc = no
	/sys/devices/system/node = no
	/proc/net/wireless = no
	/proc/net/sockstat = no
	/proc/net/sockstat6 = no
	/proc/net/netstat = no
	/proc/net/sctp/snmp = no
	/proc/net/softnet_stat = no
	/proc/net/ip_vs/stats = no
	/sys/class/infiniband = no
	/proc/net/stat/conntrack = no
	/proc/net/stat/synproxy = no
	/proc/mdstat = no
	/proc/net/rpc/nfsd = no
	/proc/net/rpc/nfs = no
	/proc/spl/kstat/zfs/arcstats = no
	/proc/spl/kstat/zfs/pool/state = no
	/sys/fs/btrfs = no
	ipc = no
	/sys/class/power_supply = no
EOF
        fi
    } >"$d/conf/netdata.conf"
    start_bg "netdata-$variant" "$bin" -D -c "$d/conf/netdata.conf"; pid=$PID
    url="http://127.0.0.1:$port"
    wait_until 60 curl -sf --max-time 2 -o /dev/null "$url/api/v1/info" || { log "netdata not ready"; return 1; }
    nap 5
    s0=$(snapshot "$pid"); w0=$(now)
    nap "$DUR"
    series=$(curl -sf --max-time 5 "$url/api/v1/charts" | grep -o '"dimensions_count"[^,]*' | head -1 | tr -dc '0-9' || true)
    cp "$d/conf/netdata.conf" "$WORK/netdata-$variant.conf.used" 2>/dev/null || true
    curl -sf --max-time 5 "$url/netdata.conf" >"$WORK/netdata-$variant.conf.effective" || true
    finish_row "netdata-$variant" "$pid" "$(awk -v d="$DUR" -v i="$INTERVAL" 'BEGIN{printf "%d", d / i}')" \
        "${series:-?}" "internal timer; collections = DUR/interval" "$s0" "$w0"
    stop_tree "$pid"
}

build_floor() { # lang -> path of binary
    case $1 in
        c)  gcc -O2 -Wall -o "$WORK/floor-c" "$HERE/floor_c/floor.c" && echo "$WORK/floor-c" ;;
        go) mkdir -p /tmp/peers-bench-home /tmp/peers-bench-gocache
            (cd "$HERE/floor_go" && env "${GO_ENV[@]}" go build -trimpath -o "$WORK/floor-go" main.go) &&
                echo "$WORK/floor-go" ;;
        deps) (cd "$HERE/.." && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$WORK/floor-deps" ./bench/floor_deps) &&
                echo "$WORK/floor-deps" ;;
    esac
}

run_floor() { # lang
    local lang=$1 bin pid s0 w0 series note
    case $lang in
        c)  command -v gcc >/dev/null || { log "gcc missing, floor-c skipped"; return 0; } ;;
        go|deps) command -v go >/dev/null || { log "go missing, floor-$lang skipped"; return 0; } ;;
    esac
    bin=$(build_floor "$lang") || { log "floor-$lang build failed"; return 1; }
    start_bg "floor-$lang" "$bin" "$((INTERVAL * 1000))" "$((DUR + 30))" "$WORK"; pid=$PID
    nap 2
    s0=$(snapshot "$pid"); w0=$(now)
    nap "$DUR"
    series=$(sed -n 's/^values=\([0-9]*\).*/\1/p' "$WORK/floor-$lang.out" 2>/dev/null | head -1)
    note="reads+parses 7 /proc files, nothing else"
    [[ $lang == deps ]] && note="the same + $(sed -n 's/.*points=//p' "$WORK/floor-$lang.out" | head -1) points through the OTel SDK, JSON to a file, SQLite every 5 s"
    finish_row "floor-$lang" "$pid" "$(awk -v d="$DUR" -v i="$INTERVAL" 'BEGIN{printf "%d", d / i}')" \
        "${series:-?}" "$note" "$s0" "$w0"
    stop_tree "$pid"
}

run_nexusmon() { # the project's agent: one collection per second (the system report), nothing posted
    local name=$1 bin=$2 pid s0 w0 n0 n1
    [[ -x "$bin" ]] || { log "$name binary $bin missing, skipped"; return 0; }
    cat >"$WORK/$name.yaml" <<YAML
reports:
  system: {interval: ${INTERVAL}s, mode: post}
  network: {interval: 1h, mode: "off"}
  memory: {interval: 1h, mode: "off"}
  commands: {interval: 1h, mode: "off"}
  health: {interval: 1h, mode: "off"}
probes: {discord_api: "http://127.0.0.1:9/", internet: []}
storage: {path: $WORK/$name.db}
output: {console: "off", jsonl: $WORK/$name.jsonl}
http: {listen: ""}
YAML
    start_bg "$name" "$bin" run --config "$WORK/$name.yaml"; pid=$PID
    nap 3
    n0=$(grep -c detailed_system_monitoring "$WORK/$name.jsonl" 2>/dev/null || echo 0)
    s0=$(snapshot "$pid"); w0=$(now)
    nap "$DUR"
    n1=$(grep -c detailed_system_monitoring "$WORK/$name.jsonl" 2>/dev/null || echo 0)
    finish_row "$name" "$pid" "$(( n1 - n0 ))" "-" "system report each second: collect, build, store, JSONL" "$s0" "$w0"
    stop_tree "$pid"
}

# ---------------------------------------------------------------- main

log "work dir $WORK; DUR=${DUR}s interval=${INTERVAL}s; peers: $PEERS"
for peer in $PEERS; do
    log "== $peer"
    case $peer in
        node_exporter-default) run_node_exporter default ;;
        node_exporter-min)     run_node_exporter min ;;
        collectd)              run_collectd ;;
        netdata-min)           run_netdata min ;;
        netdata-default)       run_netdata default ;;
        floor-c)               run_floor c ;;
        floor-deps)            run_floor deps ;;
        floor-go)              run_floor go ;;
        nexusmon)              run_nexusmon nexusmon "${NEXUSMON_BIN:-bin/nexusmon}" ;;
        nexusmon-before)       run_nexusmon nexusmon-before "${NEXUSMON_BEFORE_BIN:-}" ;;
        *) log "unknown peer $peer, skipped" ;;
    esac || log "$peer failed (see above); continuing"
done

ver() { "$@" 2>&1 | head -1 || true; }
echo
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  nproc: $(nproc)  kernel: $(uname -r)  CLK_TCK: $CLK_TCK  DUR: ${DUR}s  interval: ${INTERVAL}s"
echo "versions: node_exporter $(dpkg-query -W -f='${Version}' prometheus-node-exporter 2>/dev/null || echo -);" \
     "collectd $(dpkg-query -W -f='${Version}' collectd-core 2>/dev/null || echo -);" \
     "netdata $(dpkg-query -W -f='${Version}' netdata-core 2>/dev/null || echo -);" \
     "gcc $(gcc -dumpfullversion 2>/dev/null || echo -); $(go version 2>/dev/null | awk '{print $3}')"
echo
echo "| peer | collections | CPU ms total (ticks, whole life) | CPU ms before window (startup+warm-up) | CPU ms/collection (schedstat) | CPU ms/collection (ticks) | avg CPU % of one core (window) | peak RSS MiB (main) | peak RSS MiB (tree sum) | series/values per collection | note |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
for r in "${ROWS[@]}"; do echo "$r"; done
