#!/bin/bash
# 10 hosts start and all answer; two testbeds started at the same time get
# distinct address blocks, and stopping one keeps the other's. The start time
# is printed, not judged: it depends on the machine's load (timing targets
# belong to bench/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

A=$WORK/a B=$WORK/b C=$WORK/c
TB_DIRS+=("$A" "$B" "$C")
start=$(date +%s%N)
"$TESTBED" start --hosts 10 --dir "$A" --os ubuntu-24.04,rocky-9
ms=$((($(date +%s%N) - start) / 1000000))
echo "10 hosts started in ${ms} ms"

"$TESTBED" start --hosts 5 --dir "$B" > "$WORK/b.log" 2>&1 &
pb=$!
"$TESTBED" start --hosts 5 --dir "$C" > "$WORK/c.log" 2>&1 &
pc=$!
wait "$pb" || { cat "$WORK/b.log" >&2; fail "start B"; }
wait "$pc" || { cat "$WORK/c.log" >&2; fail "start C"; }

ka=$(jq .block "$A/hosts.json")
kb=$(jq .block "$B/hosts.json")
kc=$(jq .block "$C/hosts.json")
[[ "$ka" != "$kb" && "$kb" != "$kc" && "$ka" != "$kc" ]] || fail "blocks not distinct: $ka $kb $kc"
want="host-1 host-2 host-3 host-4 host-5 host-6 host-7 host-8 host-9 host-10 "
for d in "$A" "$B" "$C"; do
        got=$(jq -r '.hosts[].address' "$d/hosts.json" |
                xargs -P 10 -I{} ssh -i "$d/id_ed25519" -o UserKnownHostsFile="$d/known_hosts" \
                        -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes \
                        pharos@{} hostname | sort -V | tr '\n' ' ')
        expect_eq "hosts of $d" "$got" "$want"
        want="host-1 host-2 host-3 host-4 host-5 "
done
"$TESTBED" stop --dir "$B"
! block_held_by "$kb" "$B" || fail "block $kb kept after stop"
block_held_by "$kc" "$C" || fail "stopping B released C's block $kc"
expect_eq "C still up" "$(tb_ssh "$C" "$(host_field "$C" host-5 address)" hostname)" host-5
echo "ok"
