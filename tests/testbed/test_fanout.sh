#!/bin/bash
# bench/fanout.sh end to end on 2 hosts, one run per row, through the delay
# proxy: every comparison row is measured, names the key exchange the probe
# sshd saw and gives the round trips of one command (a figure from two wall
# times of one run each, which the machine's load moves: only its presence is
# checked), the pharos row is either measured or says why not, and the bulk
# rows give host-1's sshd CPU.
set -euo pipefail
# shellcheck source=../lib/on_error.sh
. "$(dirname "$0")/../lib/on_error.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
errs=$(mktemp)
trap 'rm -f "$errs"' EXIT
if ! out=$(REPS=1 DELAY_MS=40 BULK_MB=5 "$root/bench/fanout.sh" 2 2> "$errs"); then
        echo "$out"
        tail -30 "$errs"
        echo "FAIL: bench/fanout.sh exited non-zero" >&2
        exit 1
fi
echo "$out"
fail() {
        echo "FAIL: $*" >&2
        exit 1
}
num='[0-9]+\.[0-9]+'
row() { # LABEL KEX
        grep -Eq "^$1 +$2 +$num +[-0-9.]+ +$num +$num +$num +-?$num$" <<< "$out" ||
                fail "no measured row '$1' with kex $2 and its round trips"
}
row 'OpenSSH xargs -P \(default kex\)' 'sntrup761x25519-sha512(@openssh\.com)?'
row 'OpenSSH xargs -P \(curve25519\)' 'curve25519-sha256'
row 'parallel-ssh' 'sntrup761x25519-sha512(@openssh\.com)?'
row 'ansible -m raw' 'sntrup761x25519-sha512(@openssh\.com)?'
grep -Eq "^pharos exec +([a-z0-9@.-]+ +$num|skipped: .+)" <<< "$out" || fail "pharos row neither measured nor explained"
grep -Eq "^floor: $num s = sshd CPU $num s" <<< "$out" || fail "no floor line"
grep -q "round-trip time 40 ms" <<< "$out" || fail "the delay is not reported"
for b in 'OpenSSH \(chacha20-poly1305\)' 'OpenSSH \(aes128-ctr, hmac-sha2-256\)'; do
        grep -Eq "^$b +$num s$" <<< "$out" || fail "no bulk row '$b'"
done
echo ok
