# Helpers for the testbed's own tests (sourced).
# shellcheck shell=bash
# shellcheck source=../lib/on_error.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/on_error.sh"

TESTBED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testbed
WORK=$(mktemp -d /tmp/pharos-testbed-test.XXXXXX)
TB_DIRS=()

tb_cleanup() {
        local rc=$? d
        for d in "${TB_DIRS[@]}"; do
                "$TESTBED" stop --dir "$d" || rc=1
        done
        rm -rf "$WORK"
        exit "$rc"
}
trap tb_cleanup EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# tb_start DIR ARGS...: start a testbed that is stopped on exit whatever happens.
tb_start() {
        local d=$1
        shift
        TB_DIRS+=("$d")
        "$TESTBED" start --dir "$d" "$@"
}

# tb_ssh DIR ADDRESS CMD: plain OpenSSH with only the testbed's key and known_hosts.
tb_ssh() {
        local d=$1 addr=$2
        shift 2
        ssh -i "$d/id_ed25519" -o UserKnownHostsFile="$d/known_hosts" -o GlobalKnownHostsFile=/dev/null \
                -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes \
                -o ConnectTimeout="${TB_SSH_TIMEOUT:-5}" "pharos@$addr" "$@"
}

# host_field DIR NAME FIELD: a field of a host from hosts.json.
host_field() {
        jq -r --arg n "$2" --arg f "$3" \
                '(.hosts + [.bastion]) | map(select(. != null and .name == $n))[0][$f]' "$1/hosts.json"
}

expect_eq() { # WHAT GOT WANT
        [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# The host's processes are gone and its address no longer listens.
expect_host_gone() { # PID ADDRESS
        local hex a b c d
        if [[ -d /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2> /dev/null; then
                fail "init $1 still alive after stop"
        fi
        IFS=. read -r a b c d <<< "$2"
        hex=$(printf '%02X%02X%02X%02X:0016' "$d" "$c" "$b" "$a")
        if awk '$4 == "0A" { print $2 }' /proc/net/tcp | grep -qx "$hex"; then
                fail "$2:22 still listening after stop"
        fi
}

# Whether address block K is still held by the testbed in DIR. Another test's
# testbed may take a freed block at once, so a block directory that exists
# again after a stop is not this testbed's unless it names DIR as its owner.
block_held_by() { # K DIR
        [[ "$(cat "/run/pharos-testbed/block-$1/owner" 2> /dev/null)" == "$(cd "$2" 2> /dev/null && pwd -P || echo "$2")" ]]
}

# Every process in the namespaces NS... (as readlink names them), as "pid
# starttime": namespace ids are reused by namespaces created later (other
# tests run in parallel), so what must be gone after a stop are these
# processes.
ns_members() { # NS...
        local pid
        { find /proc/[0-9]*/ns/mnt /proc/[0-9]*/ns/pid /proc/[0-9]*/ns/uts -maxdepth 0 \
                -printf '%p %l\n' 2> /dev/null || true; } |
                awk -v set=" $* " 'index(set, " " $2 " ") { split($1, a, "/"); print a[3] }' |
                sort -u | while read -r pid; do
                echo "$pid $(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$pid/stat" 2> /dev/null)"
        done
}

# The namespaces (mnt, pid, uts) of the processes PID..., for ns_members.
namespaces_of() { # PID...
        local p ns
        for p in "$@"; do
                for ns in mnt pid uts; do
                        readlink "/proc/$p/ns/$ns"
                done
        done
}

# Whether process PID with start time START (from /proc/PID/stat) still runs:
# a pid reused by another process, or a zombie, does not.
proc_running() { # PID START
        local stat
        stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
        stat=${stat##*) }
        [[ ${stat:0:1} != Z && "$(awk '{ print $20 }' <<< "$stat")" == "$2" ]]
}
