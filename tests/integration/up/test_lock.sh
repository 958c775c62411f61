#!/usr/bin/env bash
# One run per cluster. Run A builds a 1 master + 1 worker cluster; B, started
# while A holds the lock on the first master (no API yet), gives up after its
# --lock-timeout naming A (host, pid, user, start time); C waits for A and then
# finds nothing to do. D, on the built cluster, holds the Lease
# kube-system/pharos-lock and is killed (SIGKILL): E waits for D's lock to
# expire, then runs, and releases both locks. F's state write is refused
# (HTTP 409) after someone else changed the stored state during F; the
# ConfigMap keeps the other writer's version; G stores the state. `reset`,
# started while H holds the lock, gives up naming H.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../runtime/lib.sh
. "$here/../runtime/lib.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../lib/stop_at.sh
. "$here/../../lib/stop_at.sh"
dir=$(mktemp -d)
declare -A pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" "${ALL_PLUGINS[@]}"
export PHAROS_PLUGIN_PATH=$dir/plugins
"$TESTBED" start --hosts 2 --dir "$dir/tb" --os ubuntu-24.04 >/dev/null
cfg=$dir/cluster.yml
cp "$dir/tb/cluster.yml" "$cfg"
a1=$(jq -r '.hosts[0].address' "$dir/tb/hosts.json")

# start_up NAME [OPTION...]: `pharos up --output json` in the background, its
# events in $dir/NAME.events and its stderr in $dir/NAME.err; pid in pids[NAME].
# With STOP_AT=PHASE, the run stops itself when PHASE starts (PHAROS_STOP_AT).
start_up() {
        local name=$1
        shift
        PHAROS_STOP_AT=${STOP_AT:-} "$PHAROS" up -c "$cfg" --output json "$@" \
                >"$dir/$name.events" 2>"$dir/$name.err" &
        pids[$name]=$!
}
# stopped_at NAME PHASE: returns once run NAME, started with STOP_AT=PHASE, stopped there.
stopped_at() {
        wait_stopped "${pids[$1]}" && jq -n -e "any(inputs; .phase == \"$2\" and .status == \"start\")" \
                "$dir/$1.events" >/dev/null && return 0
        out=$(cat "$dir/$1.events") err=$(cat "$dir/$1.err")
        fail "run $1 did not stop at the start of $2"
        return 1
}
# wait_event NAME FILTER: returns once run NAME printed an event matching the jq filter.
wait_event() {
        local i
        for ((i = 0; i < 900; i++)); do
                # any(): jq -e judges only the last input, and events keep coming.
                jq -n -e "any(inputs; $2)" "$dir/$1.events" >/dev/null 2>&1 && return 0
                kill -0 "${pids[$1]}" 2>/dev/null || break
                sleep 0.2
        done
        out=$(cat "$dir/$1.events") err=$(cat "$dir/$1.err")
        fail "run $1: no event matching $2"
        return 1
}
# wait_up NAME: rc, out and err of run NAME once it ended.
wait_up() {
        rc=0
        wait "${pids[$1]}" || rc=$?
        unset "pids[$1]"
        out=$(cat "$dir/$1.events")
        err=$(cat "$dir/$1.err")
}
final() { jq -r "select(.phase == \"up\") | .$1" <<<"$out"; }
lease() {
        kubectl --kubeconfig "$dir/kubeconfig" -n kube-system get lease pharos-lock -o json
}

# A holds the lock before any API exists: B gives up after 3 s naming A.
start_up A
wait_event A '.phase == "prepare-host" and .status == "start"'
on "$dir/tb" host-1 test -f /etc/kubernetes/admin.conf && fail "the API existed before A's control-plane phase"
t0=$SECONDS
run "$PHAROS" up -c "$cfg" --lock-timeout 3
expect_rc 1 "B fails while A holds the lock"
((SECONDS - t0 >= 3)) || fail "B gave up before its --lock-timeout"
expect_contains "$err" "locked by another pharos run" "B says the cluster is locked"
expect_contains "$err" "host $(hostname)" "B names the holder's host"
expect_contains "$err" "pid ${pids[A]}," "B names the holder's pid"
expect_contains "$err" "user $(id -un)," "B names the holder's user"
expect_contains "$err" "started $(date -u +%Y-%m-%d)" "B names the holder's start time"
expect_contains "$err" "$a1" "B names the host that has the lock"

# C waits for A, then has nothing to do.
start_up C
wait_event C '.phase == "lock" and .status == "waiting"' &&
        expect_contains "$(jq -r 'select(.phase == "lock") | .detail' "$dir/C.events")" "pid ${pids[A]}," \
                "C waits naming A"
wait_up A
expect_rc 0 "A builds the cluster"
wait_up C
expect_rc 0 "C runs once A is done"
expect_eq "$(final detail)" "no changes" "C finds A's work done"
run on "$dir/tb" host-1 test -e /run/pharos/cluster.lock
expect_rc 1 "no lock file left on the first master"
kubeconfig_for "$dir" "$cfg"
expect_eq "$(lease | jq -r '.spec.holderIdentity // ""')" "" "the Lease is released"

# D holds the Lease and is killed; E waits for D's locks to expire.
STOP_AT=facts start_up D
stopped_at D facts
holder=$(lease | jq -r '.spec.holderIdentity')
expect_contains "$holder" ":${pids[D]}:" "D holds the Lease"
expect_contains "$(lease | jq -r '.metadata.annotations["pharos.kontena.io/lock-holder"]')" "pid ${pids[D]}," \
        "the Lease says who holds it"
expect_eq "$(lease | jq -r '.spec.leaseDurationSeconds')" "30" "the Lease's duration"
transitions=$(lease | jq -r '.spec.leaseTransitions')
kill -KILL "${pids[D]}"
wait_up D
expect_eq "$(lease | jq -r '.spec.holderIdentity')" "$holder" "a killed run leaves its Lease"
t0=$SECONDS
run "$PHAROS" up -c "$cfg" --output json --lock-timeout 120
expect_rc 0 "E runs once D's lock expired"
expect_eq "$(jq -r 'select(.phase == "lock") | .status' <<<"$out" | sort -u)" "waiting" "E waited for the lock"
((SECONDS - t0 < 100)) || fail "E waited $((SECONDS - t0)) s for a lock that expires after 30 s"
expect_eq "$(lease | jq -r '.spec.holderIdentity // ""')" "" "E released the Lease"
expect_eq "$(lease | jq -r '.spec.leaseTransitions')" "$((transitions + 1))" "E took the Lease over from D"

# F's state write finds the stored state changed by someone else: refused.
cfg_edit "$cfg" 'd["hosts"][1].setdefault("labels", {})["lock-test"] = "yes"'
STOP_AT=prepare-host start_up F
stopped_at F prepare-host
kubectl --kubeconfig "$dir/kubeconfig" -n kube-system annotate configmap pharos-config \
        other-writer=yes >/dev/null
kill -CONT "${pids[F]}"
wait_up F
expect_rc 1 "F's stale state write fails"
expect_contains "$err" "changed by someone else during this run" "F says why"
expect_contains "$err" "not overwritten" "F says nothing was overwritten"
cm=$(kubectl --kubeconfig "$dir/kubeconfig" -n kube-system get configmap pharos-config -o json)
expect_eq "$(jq -r '.metadata.annotations["other-writer"]' <<<"$cm")" "yes" "the other writer's version stays"
expect_not_contains "$(jq -r '.data["cluster.yml"]' <<<"$cm")" "lock-test" "F's state was not stored"

run "$PHAROS" up -c "$cfg"
expect_rc 0 "G stores the state"
expect_contains "$(kubectl --kubeconfig "$dir/kubeconfig" -n kube-system get configmap pharos-config \
        -o jsonpath='{.data.cluster\.yml}')" "lock-test" "G's state is stored"

# reset takes the same lock: while H runs, it gives up naming H and changes nothing.
# H, a no-change run, is stopped while it holds the lock: it would otherwise
# be done in about a second, before reset asks.
STOP_AT=facts start_up H
stopped_at H facts
run "$PHAROS" reset -c "$cfg" -y --lock-timeout 2
kill -CONT "${pids[H]}"
expect_rc 1 "reset fails while H holds the lock"
expect_contains "$err" "pid ${pids[H]}," "reset names the holder"
wait_up H
expect_rc 0 "H runs undisturbed"
expect_eq "$(final detail)" "no changes" "H finds the cluster as G left it"
finish
