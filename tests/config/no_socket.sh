#!/usr/bin/env bash
# Validation never opens a socket: `pharos config validate` on a broken and
# on a good cluster.yml, and `pharos exec` on the broken one, traced with
# strace, make no socket() or connect().
# (LeakSanitizer cannot run under ptrace, hence detect_leaks=0 for sanitizer builds.)
# usage: no_socket.sh PHAROS GOOD_FILE BAD_FILE
set -euo pipefail

pharos=$1
good=$2
bad=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rc=0
strace -f -q -e trace=socket,connect -o "$work/bad.trace" \
        env PHAROS_NO_SYSTEM_PLUGINS=1 ASAN_OPTIONS=detect_leaks=0 "$pharos" config validate -c "$bad" >/dev/null 2>&1 || rc=$?
if [[ $rc -ne 2 ]]; then
        echo "FAIL: validating $bad exited $rc, expected 2"
        exit 1
fi
# A command that does connect must still validate first: nothing is dialled.
rc=0
strace -f -q -e trace=socket,connect -o "$work/exec.trace" \
        env PHAROS_NO_SYSTEM_PLUGINS=1 ASAN_OPTIONS=detect_leaks=0 "$pharos" exec -c "$bad" -- true \
        >/dev/null 2>&1 || rc=$?
if [[ $rc -ne 2 ]]; then
        echo "FAIL: pharos exec on $bad exited $rc, expected 2"
        exit 1
fi
strace -f -q -e trace=socket,connect -o "$work/good.trace" \
        env PHAROS_NO_SYSTEM_PLUGINS=1 ASAN_OPTIONS=detect_leaks=0 "$pharos" config validate -c "$good" >/dev/null 2>&1 || true

status=0
for t in bad exec good; do
        if grep -E '(^|[[:space:]])(socket|connect)\(' "$work/$t.trace"; then
                echo "FAIL: the $t file's validation made the socket calls above"
                status=1
        fi
done
# The trace must have worked at all: strace records the exit of the traced process.
if ! grep -q 'exited with 2' "$work/bad.trace"; then
        echo "FAIL: strace recorded nothing; is ptrace allowed here?"
        cat "$work/bad.trace"
        status=1
fi
[[ $status -eq 0 ]] && echo "no socket or connect call during validation"
exit "$status"
