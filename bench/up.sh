#!/bin/bash
# `pharos up` on N testbed hosts (3 masters, N-3 workers): a full run, then
# a no-change run, with wall time and peak RSS of each (/usr/bin/time -v).
#
#   bench/up.sh N [N...]      (default: 5 20 50; env: PHAROS=path to pharos)
#
# Prints one table row per N. Uses the plugins built in build/plugins.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed
PHAROS=${PHAROS:-$ROOT/build/plugins/pharos}
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
cleanup() {
        "$TESTBED" stop --dir "$WORK/tb" >/dev/null 2>&1 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

# Runs pharos up under /usr/bin/time -v; prints "WALL_S RSS_MIB".
timed_up() {
        local log=$WORK/time.log
        if ! /usr/bin/time -v -o "$log" "$PHAROS" up -c "$WORK/tb/cluster.yml" >"$WORK/up.out" 2>&1; then
                echo "pharos up failed on $n hosts:" >&2
                tail -20 "$WORK/up.out" >&2
                exit 1
        fi
        awk -F': ' '/Elapsed \(wall clock\)/ {
                        n = split($2, t, ":"); s = 0
                        for (i = 1; i <= n; i++) s = s * 60 + t[i]
                        wall = s
                }
                /Maximum resident set size/ { rss = $2 / 1024 }
                END { printf "%.2f %.1f\n", wall, rss }' "$log"
}

printf '%-6s %-14s %-14s %-16s %-16s %s\n' hosts "up wall s" "up RSS MiB" "no-change s" "no-change MiB" "load (1m)"
for n in "${sizes[@]}"; do
        export PHAROS_KNOWN_HOSTS=$WORK/known_hosts
        "$TESTBED" start --hosts "$n" --masters 3 --dir "$WORK/tb" >/dev/null
        read -r w1 r1 < <(timed_up)
        read -r w2 r2 < <(timed_up)
        grep -q "no changes" "$WORK/up.out" || { echo "second run on $n hosts changed something" >&2; exit 1; }
        printf '%-6s %-14s %-14s %-16s %-16s %s\n' "$n" "$w1" "$r1" "$w2" "$r2" "$(cut -d' ' -f1 /proc/loadavg)"
        "$TESTBED" stop --dir "$WORK/tb" >/dev/null
        rm -f "$WORK/known_hosts"
done
