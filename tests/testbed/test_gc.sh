#!/bin/bash
# A testbed whose DIR was deleted without stop is found and killed by gc.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$WORK/tb
tb_start "$D" --hosts 2
pids=$(jq -r '.hosts[].pid' "$D/hosts.json")
block=$(jq -r .block "$D/hosts.json")
a1=$(host_field "$D" host-1 address)
rm -rf "$D"
TB_DIRS=()
block_held_by "$block" "$D" || fail "block $block freed before gc"
"$TESTBED" gc
running() { [[ -d /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2> /dev/null; }
for p in $pids; do
        for _ in $(seq 100); do
                running "$p" || break
                sleep 0.05
        done
        ! running "$p" || fail "init $p survived gc"
done
expect_host_gone "${pids%%$'\n'*}" "$a1"
! block_held_by "$block" "$D" || fail "block $block kept after gc"
echo "ok"
