#!/bin/bash
# 10 hosts start and all answer; two testbeds started at the same time get
# distinct address blocks, and stopping one keeps the other's; a block whose
# mirror address something else listens on is skipped. The start time
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

# A listener on the mirror address of the first block no testbed holds (a mirror
# left behind, or a testbed under another /run): the next testbed must not take
# that block, whose mirror could not start.
D=$WORK/d
TB_DIRS+=("$D")
for ((k = 0; k < 256; k++)); do
        [[ -d /run/pharos-testbed/block-$k ]] && continue
        python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443))
s.listen()
print("bound", flush=True)
time.sleep(600)' "127.0.$k.10" > "$WORK/squat.out" 2>/dev/null &
        squat=$!
        for _ in $(seq 50); do
                grep -q bound "$WORK/squat.out" && break
                kill -0 "$squat" 2>/dev/null || break
                sleep 0.1
        done
        grep -q bound "$WORK/squat.out" && break
        wait "$squat" || true
done
grep -q bound "$WORK/squat.out" || fail "no free block's mirror address to listen on"
"$TESTBED" start --hosts 1 --dir "$D" > "$WORK/d.log" 2>&1 || { kill "$squat"; cat "$WORK/d.log" >&2; fail "start D"; }
kill "$squat"
kd=$(jq .block "$D/hosts.json")
[[ "$kd" != "$k" ]] || fail "block $k given out while 127.0.$k.10:443 was taken"
echo "ok"
