#!/bin/bash
# `pharos up` on N testbed hosts (3 masters, N-3 workers), and what a run where
# nothing changed costs against the floor of reaching the same hosts at all:
#
#   bench/up.sh N [N...]      (default: 5 20 50; env: PHAROS=path to pharos,
#                              REPS=3 timed runs of each short measurement,
#                              DELAY_MS=0: a network's round-trip time)
#
# Per N, one row:
#   up s, up MiB          the first `pharos up` (bare hosts), wall and peak RSS
#   no-change s, MiB      median wall of REPS no-change runs, and its peak RSS
#   pharos/machine CPU    of one no-change run: pharos' own CPU seconds (user+sys)
#                         and the whole machine's (/proc/stat), which is mostly
#                         the hosts checking themselves: on this tier they
#                         share the machine's cores, on real hosts each has its own
#   trips max/mean        SSH round trips per host of a no-change run (pharos -v
#                         counts each command, script, upload and read sent,
#                         the cluster lock's connection included)
#   fan-out s             median wall of REPS `pharos exec -- true` on the same
#                         hosts (connect, one command, disconnect)
#   ratio                 no-change s / fan-out s
#   add-worker s          `pharos up` after one more worker (N+1-th host, bare)
#                         joined cluster.yml
# and last: add-worker s at the largest N / at the smallest N (flat in cluster
# size is 1). Both commands use their default concurrency (30 hosts at once).
# With DELAY_MS > 0, pharos reaches every host (SSH, and the API through its
# tunnel) through bench/delay_proxy.py, which adds that round-trip time to
# each connection; the hosts still reach each other directly, as on a LAN.
# An older pharos that does not count its round trips gets "-" there.
# Uses the plugins built in build/plugins.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed
PHAROS=${PHAROS:-$ROOT/build/plugins/pharos}
REPS=${REPS:-3}
DELAY_MS=${DELAY_MS:-0}
if ! [[ "$DELAY_MS" =~ ^[0-9]+$ ]]; then
        echo "DELAY_MS: not a number of milliseconds: $DELAY_MS" >&2
        exit 2
fi
# The delay proxy's listeners: each host's address at this port.
DPORT=2200
export PHAROS_PLUGIN_PATH=${PHAROS_PLUGIN_PATH:-$ROOT/build/plugins}
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(5 20 50)
for n in "${sizes[@]}"; do
        if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 3 ]; then
                echo "usage: bench/up.sh N... (N >= 3)" >&2
                exit 2
        fi
done

WORK=$(mktemp -d /tmp/pharos-bench-up.XXXXXX)
# shellcheck source=delay_proxy.sh
. "$ROOT/bench/delay_proxy.sh"
cleanup() {
        delay_proxy_stop
        "$TESTBED" stop --dir "$WORK/tb" >/dev/null 2>&1 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

# busy_ticks: the machine's busy CPU ticks so far (/proc/stat: all but idle
# and iowait).
busy_ticks() {
        awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# timed CMD...: runs CMD under /usr/bin/time -v (output in $WORK/out);
# prints "WALL_S RSS_MIB CPU_S MACHINE_CPU_S" (CMD's user+sys, the machine's).
timed() {
        local log=$WORK/time.log b0
        b0=$(busy_ticks)
        if ! /usr/bin/time -v -o "$log" "$@" >"$WORK/out" 2>&1; then
                echo "failed on $n hosts: $*" >&2
                tail -20 "$WORK/out" >&2
                exit 1
        fi
        awk -F': ' '/Elapsed \(wall clock\)/ {
                        n = split($2, t, ":"); s = 0
                        for (i = 1; i <= n; i++) s = s * 60 + t[i]
                        wall = s
                }
                /Maximum resident set size/ { rss = $2 / 1024 }
                /User time \(seconds\)|System time \(seconds\)/ { cpu += $2 }
                END { printf "%.2f %.1f %.2f %.2f\n", wall, rss, cpu, m }' \
                m="$(awk -v a="$b0" -v b="$(busy_ticks)" -v t="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / t }')" "$log"
}

# median_of CMD...: median wall of REPS timed runs (and the last run's RSS).
median_of() {
        local i w r walls=()
        for ((i = 0; i < REPS; i++)); do
                read -r w r _ < <(timed "$@")
                walls+=("$w")
        done
        printf '%s\n' "${walls[@]}" | sort -n | awk -v r="$r" '{a[NR] = $1}
                END { printf "%.2f %s\n", a[int((NR + 1) / 2)], r }'
}

declare -A add_s=()
if [ "$DELAY_MS" -gt 0 ]; then
        echo "every pharos connection through delay_proxy.py: round-trip time $DELAY_MS ms"
fi
printf '%-6s %-8s %-8s %-12s %-14s %-20s %-14s %-10s %-7s %-12s %s\n' hosts "up s" "up MiB" \
        "no-change s" "no-change MiB" "pharos/machine CPU s" "trips max/mean" "fan-out s" ratio "add-worker s" "load (1m)"
for n in "${sizes[@]}"; do
        export PHAROS_KNOWN_HOSTS=$WORK/known_hosts
        "$TESTBED" start --hosts "$((n + 1))" --masters 3 --dir "$WORK/tb" >/dev/null
        # cluster.yml without the last host, which joins later as the added
        # worker, and with it; both through the delay proxy if there is one.
        port=22
        if [ "$DELAY_MS" -gt 0 ]; then
                port=$DPORT
                python3 -c 'import json, sys
for h in json.load(open(sys.argv[1]))["hosts"]:
    print(h["address"])' "$WORK/tb/hosts.json" >"$WORK/addrs"
                delay_proxy_start "$DELAY_MS" "$DPORT" "$WORK/addrs" "$WORK/proxy.out"
        fi
        python3 - "$WORK/tb/cluster.yml" "$WORK/cluster.yml" "$WORK/cluster-all.yml" "$port" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
if sys.argv[4] != "22":
    for h in d["hosts"]:
        h["ssh_port"] = int(sys.argv[4])
yaml.safe_dump(d, open(sys.argv[3], "w"), sort_keys=False)
d["hosts"] = d["hosts"][:-1]
yaml.safe_dump(d, open(sys.argv[2], "w"), sort_keys=False)
PY
        cfg=$WORK/cluster.yml
        read -r w1 r1 _ < <(timed "$PHAROS" up -c "$cfg")
        [ -n "$w1" ] || exit 1
        read -r w2 r2 < <(median_of "$PHAROS" up -c "$cfg")
        [ -n "$w2" ] || exit 1
        grep -q "no changes" "$WORK/out" || { echo "a second run on $n hosts changed something" >&2; exit 1; }
        read -r _ _ cpu mcpu < <(timed "$PHAROS" -v up -c "$cfg")
        [ -n "$mcpu" ] || exit 1
        trips=$(sed -n 's/^\[[^]]*\] \([0-9]*\) round trips (.*/\1/p' "$WORK/out" |
                awk '{ s += $1; if ($1 > m) m = $1 } END { if (NR) printf "%d/%.2f", m, s / NR }')
        trips=${trips:--}
        read -r wf _ < <(median_of "$PHAROS" exec -c "$cfg" -- true)
        [ -n "$wf" ] || exit 1
        ratio=$(awk -v a="$w2" -v b="$wf" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        read -r wa _ < <(timed "$PHAROS" up -c "$WORK/cluster-all.yml")
        [ -n "$wa" ] || exit 1
        add_s[$n]=$wa
        printf '%-6s %-8s %-8s %-12s %-14s %-20s %-14s %-10s %-7s %-12s %s\n' "$n" "$w1" "$r1" "$w2" "$r2" \
                "$cpu/$mcpu" "$trips" "$wf" "$ratio" "$wa" "$(cut -d' ' -f1 /proc/loadavg)"
        delay_proxy_stop
        "$TESTBED" stop --dir "$WORK/tb" >/dev/null
        rm -f "$WORK/known_hosts"
done
first=${sizes[0]} last=${sizes[${#sizes[@]} - 1]}
if [ "$first" != "$last" ]; then
        awk -v a="${add_s[$last]}" -v b="${add_s[$first]}" -v l="$last" -v f="$first" \
                'BEGIN { printf "add one worker: %s s at %s hosts / %s s at %s hosts = %.2f\n", a, l, b, f, (b > 0 ? a / b : 0) }'
fi
