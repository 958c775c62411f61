#!/bin/bash
# bench/fanout.sh end to end on 2 hosts, one run per row: every comparison row
# is measured, each row names the key exchange the probe sshd saw, and the
# pharos row is either measured or says why not.
set -euo pipefail
# shellcheck source=../lib/on_error.sh
. "$(dirname "$0")/../lib/on_error.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(REPS=1 "$root/bench/fanout.sh" 2 2> /dev/null)
echo "$out"
fail() {
        echo "FAIL: $*" >&2
        exit 1
}
num='[0-9]+\.[0-9]+'
row() { # LABEL KEX
        grep -Eq "^$1 +$2 +$num +[-0-9.]+ +$num +$num +$num$" <<< "$out" || fail "no measured row '$1' with kex $2"
}
row 'OpenSSH xargs -P \(default kex\)' 'sntrup761x25519-sha512(@openssh\.com)?'
row 'OpenSSH xargs -P \(curve25519\)' 'curve25519-sha256'
row 'parallel-ssh' 'sntrup761x25519-sha512(@openssh\.com)?'
row 'ansible -m raw' 'sntrup761x25519-sha512(@openssh\.com)?'
grep -Eq "^pharos exec +([a-z0-9@.-]+ +$num|skipped: .+)" <<< "$out" || fail "pharos row neither measured nor explained"
grep -Eq "^floor: $num s = sshd CPU $num s" <<< "$out" || fail "no floor line"
echo ok
