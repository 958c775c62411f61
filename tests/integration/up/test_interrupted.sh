#!/usr/bin/env bash
# Interrupted `pharos up` runs are repaired by the next one. Run 1 loses a
# worker mid-run (its sshd and SSH sessions killed once the runtime phase
# starts, as a host that goes away); run 2 gets Ctrl-C (SIGINT) while
# `kubeadm init` is under way, at a point taken from the --output json event
# stream: it ends with status 130 and a final "interrupted" event, and releases
# the cluster lock. Run 3 gets Ctrl-C while every host's sshd is stopped (its
# commands can't finish): it keeps waiting for them, and a second Ctrl-C ends
# it at once, leaving its lock behind. Run 4 waits for that lock to expire and
# repairs everything to a Ready cluster; run 5 says "no changes".
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../runtime/lib.sh
. "$here/../runtime/lib.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
dir=$(mktemp -d)
pharos_pid=""
cleanup() {
        if [[ -n "$pharos_pid" ]]; then kill "$pharos_pid" 2>/dev/null || true; fi
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" "${ALL_PLUGINS[@]}"
export PHAROS_PLUGIN_PATH=$dir/plugins
"$TESTBED" start --hosts 3 --dir "$dir/tb" --os ubuntu-24.04 >/dev/null
cfg=$dir/cluster.yml
cp "$dir/tb/cluster.yml" "$cfg"
cfg_edit "$cfg" 'd["network"] = {"provider": "weave"}'
a3=$(jq -r '.hosts[2].address' "$dir/tb/hosts.json")

# up_until EVENT_FILTER [OPTION...]: starts `pharos up --output json` in the background
# and returns once an event matches the jq filter (pharos_pid is its pid).
up_until() {
        local i filter=$1
        shift
        : >"$dir/events"
        # A script's background job starts with SIGINT ignored; a terminal's Ctrl-C
        # reaches pharos with the default action, so restore that before exec.
        python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
                "$PHAROS" up -c "$cfg" --output json "$@" >"$dir/events" 2>"$dir/stderr" &
        pharos_pid=$!
        for ((i = 0; i < 600; i++)); do
                # any(): jq -e judges only the last input, and events keep coming.
                jq -n -e "any(inputs; $filter)" "$dir/events" >/dev/null 2>&1 && return 0
                kill -0 "$pharos_pid" 2>/dev/null || break
                sleep 0.2
        done
        out=$(cat "$dir/events") err=$(cat "$dir/stderr")
        fail "no event matching $filter"
}
# up_wait: the exit status of the background run.
up_wait() {
        rc=0
        wait "$pharos_pid" || rc=$?
        pharos_pid=""
        out=$(cat "$dir/events")
        err=$(cat "$dir/stderr")
}

# Run 1: host-3 goes away when the runtime phase starts and stays away (no
# retry budget: the run gives up on it at once instead of waiting for it).
up_until '.phase == "runtime" and .status == "start"' --retry-budget 0
# shellcheck disable=SC2016 # expanded inside the host
"$TESTBED" exec --dir "$dir/tb" --host host-3 -- sh -c \
        'kill -KILL $(ps -e -o pid=,comm= | awk "\$2 == \"sshd\" {print \$1}")'
up_wait
expect_rc 1 "run 1 fails on the lost host"
expect_contains "$err" "$a3" "the failure names the lost host"
expect_eq "$(jq -r 'select(.phase == "up") | .status' <<<"$out")" "failed" "run 1 ends failed"
"$TESTBED" sshd-start --dir "$dir/tb" --host host-3

# Run 2: Ctrl-C while kubeadm init is under way on the master.
up_until '.phase == "control-plane" and .status == "start"'
for ((i = 0; i < 300; i++)); do
        on "$dir/tb" host-1 test -e /etc/kubernetes/pki/ca.crt && break
        sleep 0.2
done
kill -INT "$pharos_pid"
up_wait
events=$out
expect_eq "$rc" "130" "run 2 ends with SIGINT's status"
[[ "$out" == *'"phase":"up"'*'"status":"done"'* ]] && fail "run 2 finished before the interrupt"
run on "$dir/tb" host-1 test -e /etc/kubernetes/pki/ca.crt
expect_rc 0 "run 2 was interrupted inside kubeadm init's work"
expect_eq "$(jq -r 'select(.phase == "up") | .status' <<<"$events")" "interrupted" "run 2's final event"
expect_contains "$(jq -r 'select(.phase == "up") | .detail' <<<"$events")" "interrupted by SIGINT" \
        "run 2's final event says why"
expect_eq "$(jq -r 'select(.phase == "join" and .status == "start") | .phase' <<<"$events")" "" \
        "no phase started after the interrupt"
run on "$dir/tb" host-1 test -e /run/pharos/cluster.lock
expect_rc 1 "run 2 released the cluster lock"

# Run 3: Ctrl-C while no host answers, then Ctrl-C again.
# sshd_signal SIGNAL: sends SIGNAL to every sshd process of every host.
sshd_signal() {
        local h
        for h in host-1 host-2 host-3; do
                # shellcheck disable=SC2016 # expanded inside the host
                "$TESTBED" exec --dir "$dir/tb" --host "$h" -- sh -c \
                        'kill -'"$1"' $(ps -e -o pid=,comm= | awk "\$2 ~ /^sshd/ {print \$1}")'
        done
}
up_until '.phase == "prepare-host" and .status == "start"'
sshd_signal STOP
kill -INT "$pharos_pid"
sleep 2
kill -0 "$pharos_pid" 2>/dev/null || fail "run 3 ended at the first Ctrl-C with commands still running"
t0=$(date +%s%N)
kill -INT "$pharos_pid"
for ((i = 0; i < 50; i++)); do
        kill -0 "$pharos_pid" 2>/dev/null || break
        sleep 0.1
done
took=$((($(date +%s%N) - t0) / 1000000))
up_wait
sshd_signal CONT
expect_eq "$rc" "130" "run 3 ends with SIGINT's status"
((took < 3000)) || fail "the second Ctrl-C took $took ms to end run 3"
expect_eq "$(jq -r 'select(.phase == "up") | .status' <<<"$out")" "" "run 3 ended without a final event"
expect_contains "$err" "interrupted again" "run 3 says it stops at once"
run on "$dir/tb" host-1 test -e /run/pharos/cluster.lock
expect_rc 0 "run 3 left its lock behind"

# Run 4 waits for run 3's lock to expire and repairs everything; run 5 has nothing left to do.
t0=$SECONDS
run "$PHAROS" up -c "$cfg"
expect_rc 0 "run 4 repairs"
expect_contains "$out" "waiting" "run 4 waited for the lock run 3 left"
((SECONDS - t0 >= 5)) || fail "run 4 did not wait for run 3's lock"
kubeconfig_for "$dir" "$cfg"
expect_eq "$(nodes_ready "$dir" 3)" "3/3" "every node Ready after the repair"
before=$(changes_all "$dir/tb")
run "$PHAROS" up -c "$cfg" --output json
expect_rc 0 "run 5"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "run 5 says no changes"
expect_eq "$(changes_all "$dir/tb")" "$before" "no mutating command on any host"
finish
