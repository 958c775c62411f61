#!/bin/bash
# A testbed ends with the process that owns it (the one that ran `testbed
# start`, or --owner PID), however that process dies: its owner SIGKILLed,
# as ctest's timeout does, the testbed's watcher stops it within seconds (no
# host process, mirror, switch, forwarder or cgroup left, its address block
# free, DIR's state gone). A testbed whose watcher was killed too is stopped
# by gc; gc leaves one whose owner lives; --owner none outlives its starter.
# With --tier real, the first case on one real-tier host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tier=emulated
[[ ${1:-} == --tier ]] && tier=${2:-}

# owned_start DIR ARGS...: a testbed started by a child bash that then sleeps
# (the owner, its pid in $owner), returning once the testbed is up.
owned_start() {
        local d=$1 i
        shift
        TB_DIRS+=("$d")
        bash -c '"$0" start --dir "$@" && exec sleep 900' "$TESTBED" "$d" "$@" > "$WORK/start.log" 2>&1 &
        owner=$!
        disown "$owner" # its SIGKILL is the test's, not news for the job table
        for ((i = 0; i < 3000; i++)); do
                [[ -f "$d/hosts.json" ]] && return 0
                kill -0 "$owner" 2> /dev/null || { cat "$WORK/start.log" >&2; fail "start in $d failed"; }
                sleep 0.1
        done
        fail "start in $d took over 300s"
}

# What a testbed runs, as "pid starttime" lines: every process in its hosts'
# namespaces and its own processes (mirror, watcher, real tier's switch and
# forwarder). Read before it ends.
testbed_processes() { # DIR
        local f
        # shellcheck disable=SC2046 # one pid a word
        ns_members $(namespaces_of $(jq -r '.hosts[].pid' "$1/hosts.json"))
        for f in mirror watcher switch forward; do
                [[ -f "$1/.testbed/$f.start" ]] && cat "$1/.testbed/$f.start"
        done
        return 0
}

# Waits up to 30 s for DIR's testbed to be gone: PROCESSES (testbed_processes
# from before) ended, the block free, the state and cgroup directories
# CGROUPS removed.
expect_testbed_gone() { # DIR BLOCK PROCESSES CGROUPS WHY
        local d=$1 block=$2 procs=$3 cgroups=$4 i p st left cg
        for ((i = 0; i < 300; i++)); do
                left=""
                while read -r p st; do
                        proc_running "$p" "$st" && left+=" $p"
                done <<< "$procs"
                [[ -z "$left" && ! -e "$d/.testbed" ]] && ! block_held_by "$block" "$d" && break
                sleep 0.1
        done
        left=${left# }
        [[ -z "$left" ]] || fail "$5: processes $left of $d still run after 30 s: $(ps -o comm= -p "${left// /,}" | xargs)"
        [[ ! -e "$d/.testbed" ]] || fail "$5: $d/.testbed left"
        ! block_held_by "$block" "$d" || fail "$5: address block $block still held"
        for cg in $cgroups; do
                [[ ! -d "$cg" ]] || fail "$5: cgroup $cg left"
        done
        echo "$5: testbed gone after $((i / 10)).$((i % 10)) s"
}

A=$WORK/a
if [[ $tier == real ]]; then
        owned_start "$A" --tier real --hosts 1
        # Booted, so that its systemd's services and their cgroups are there too.
        tb_ssh "$A" "$(host_field "$A" host-1 address)" 'systemctl is-system-running --wait' > /dev/null || true
        cgroups=$(cat "$A/.testbed/hosts/host-1/cgroups")
        [[ -n "$cgroups" ]] || fail "no cgroups of host-1"
else
        owned_start "$A" --hosts 2
        cgroups=""
fi
procs=$(testbed_processes "$A")
(($(wc -l <<< "$procs") >= 4)) || fail "expected at least 4 processes of the testbed: $procs"
block=$(jq -r .block "$A/hosts.json")
kill -KILL "$owner"
expect_testbed_gone "$A" "$block" "$procs" "$cgroups" "owner SIGKILLed"
[[ $tier == real ]] && { echo "ok"; exit 0; }

# gc: a testbed whose owner lives, one that has none, and one whose owner and
# watcher were both SIGKILLed.
B=$WORK/b
tb_start "$B" --hosts 1
C=$WORK/c
TB_DIRS+=("$C")
bash -c '"$0" start --owner none --dir "$1" --hosts 1' "$TESTBED" "$C" > /dev/null
[[ ! -e "$C/.testbed/watcher.start" ]] || fail "--owner none started a watcher"
E=$WORK/e
owned_start "$E" --hosts 1
procs=$(testbed_processes "$E")
block=$(jq -r .block "$E/hosts.json")
read -r watcher _ < "$E/.testbed/watcher.start"
kill -KILL "$watcher" "$owner"
sleep 1
[[ -d "$E/.testbed" ]] || fail "$E stopped without its watcher"
"$TESTBED" gc
expect_testbed_gone "$E" "$block" "$procs" "" "owner and watcher SIGKILLed, then gc"
for d in "$B" "$C"; do
        read -r p st < "$d/.testbed/hosts/host-1/init.start"
        proc_running "$p" "$st" || fail "host-1 of $d stopped by gc"
        expect_eq "host-1 of $d after gc" "$(tb_ssh "$d" "$(host_field "$d" host-1 address)" hostname)" host-1
done
echo "ok"
