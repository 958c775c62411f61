#!/bin/bash
# Two testbeds started at the same time get distinct address blocks; 10 hosts
# start within 10 s and all answer.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

A=$WORK/a B=$WORK/b
TB_DIRS+=("$A" "$B")
start=$(date +%s%N)
"$TESTBED" start --hosts 10 --dir "$A" --os ubuntu-24.04,rocky-9 > "$WORK/a.log" 2>&1 &
pa=$!
"$TESTBED" start --hosts 10 --dir "$B" > "$WORK/b.log" 2>&1 &
pb=$!
wait "$pa" || { cat "$WORK/a.log" >&2; fail "start A"; }
wait "$pb" || { cat "$WORK/b.log" >&2; fail "start B"; }
ms=$((($(date +%s%N) - start) / 1000000))
echo "two testbeds of 10 hosts started in ${ms} ms"
((ms < 10000)) || fail "10 hosts took ${ms} ms (limit 10 s)"

ka=$(jq .block "$A/hosts.json")
kb=$(jq .block "$B/hosts.json")
[[ "$ka" != "$kb" ]] || fail "both testbeds got block $ka"
for d in "$A" "$B"; do
        got=$(jq -r '.hosts[].address' "$d/hosts.json" |
                xargs -P 10 -I{} ssh -i "$d/id_ed25519" -o UserKnownHostsFile="$d/known_hosts" \
                        -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes \
                        pharos@{} hostname | sort -V | tr '\n' ' ')
        expect_eq "hosts of $d" "$got" "host-1 host-2 host-3 host-4 host-5 host-6 host-7 host-8 host-9 host-10 "
done
"$TESTBED" stop --dir "$A"
[[ ! -e /run/pharos-testbed/block-$ka ]] || fail "block $ka kept after stop"
[[ -e /run/pharos-testbed/block-$kb ]] || fail "stopping A released B's block $kb"
echo "ok"
