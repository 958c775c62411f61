#!/usr/bin/env bash
# Fault injection into `pharos up` on the emulated testbed. Each case starts
# `pharos up --output json`, injects one fault at a deterministic point (a
# phase boundary, where the run stops itself through PHAROS_STOP_AT, or inside
# a long step once the host shows the step's work under way), and checks that
#   - pharos exits non-zero and names the host and the step (event and stderr),
#     or finishes with exit 0 (or, kept to the phase, 130 at the next
#     boundary) if it rode the fault out;
#   - nothing was lost: etcd members and keys, every file under
#     /etc/kubernetes/pki on the masters, the stored state (kube-system/pharos-config);
#   - after the fault is healed, the next `up` repairs the cluster and the one
#     after reports "no changes".
# Then it prints the table. FAULT_CASES (space-separated case names) picks cases.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../lib/assert.sh
. "$here/../lib/assert.sh"
# shellcheck source=../integration/runtime/lib.sh
. "$here/../integration/runtime/lib.sh"
# shellcheck source=../integration/up/lib.sh
. "$here/../integration/up/lib.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../lib/stop_at.sh
. "$here/../lib/stop_at.sh"
work=$(mktemp -d)
pharos_pid=""
tb=""
cleanup() {
        if [[ -n "$pharos_pid" ]]; then kill "$pharos_pid" 2>/dev/null || true; fi
        if [[ -n "$tb" ]]; then "$TESTBED" stop --dir "$tb" >/dev/null 2>&1 || true; fi
        rm -rf "$work" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
tb_setup "$work" "${ALL_PLUGINS[@]}"
export PHAROS_PLUGIN_PATH=$work/plugins
# A run that neither finishes nor fails within this is a hang, itself a failure.
RUN_LIMIT=${FAULT_RUN_LIMIT:-420}
rows=()
injected=0 survived=0 repaired=0 n_runs=0

log() { echo "[${SECONDS}s] $*"; }

# testbed N NAME: a fresh testbed of N hosts in $work/NAME ($tb), cluster.yml at $cfg.
testbed() {
        if [[ -n "$tb" ]]; then "$TESTBED" stop --dir "$tb" >/dev/null 2>&1 || true; fi
        tb=$work/$2/tb
        mkdir -p "$work/$2"
        export PHAROS_KNOWN_HOSTS=$work/$2/known_hosts
        "$TESTBED" start --hosts "$1" --dir "$tb" >/dev/null
        cfg=$work/$2/cluster.yml
}

# hosts_cfg NAME:ROLE...: cluster.yml with those hosts and weave.
hosts_cfg() {
        local spec
        {
                echo "hosts:"
                for spec in "$@"; do
                        printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    role: %s\n' \
                                "$(tb_addr "$tb" "${spec%%:*}")" "$tb/id_ed25519" "${spec#*:}"
                done
                echo "network: {provider: weave}"
        } >"$cfg"
}

# up_bg [PHASE]: `pharos up --output json` in the background with no retry
# budget, so a lasting fault fails the run at once; events in $ev, stderr in
# $er. With PHASE, the run stops itself once PHASE starts (PHAROS_STOP_AT).
up_bg() {
        ev=$work/events er=$work/stderr
        : >"$ev"
        PHAROS_STOP_AT=${1:-} "$PHAROS" up -c "$cfg" --output json --retry-budget 0 >"$ev" 2>"$er" &
        pharos_pid=$!
}
# wait_event FILTER: until an event matches the jq filter (1 if the run ended first).
wait_event() {
        local i
        for ((i = 0; i < RUN_LIMIT * 10; i++)); do
                # Not `jq -e select(...)`: on a still empty file that exits 0.
                jq -R -n -e "[inputs | fromjson? | select($1)] | length > 0" "$ev" >/dev/null 2>&1 && return 0
                kill -0 "$pharos_pid" 2>/dev/null || return 1
                sleep 0.1
        done
        return 1
}
# wait_host CMD...: until CMD (run here, e.g. a test on the host's root) succeeds.
wait_host() {
        local i
        for ((i = 0; i < RUN_LIMIT * 20; i++)); do
                "$@" && return 0
                kill -0 "$pharos_pid" 2>/dev/null || return 1
                sleep 0.05
        done
        return 1
}
# up_end: the background run's exit status in $rc (killed after RUN_LIMIT: 124).
up_end() {
        local i
        rc=0
        for ((i = 0; i < RUN_LIMIT * 10; i++)); do
                kill -0 "$pharos_pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pharos_pid" 2>/dev/null; then
                kill -KILL "$pharos_pid"
                wait "$pharos_pid" 2>/dev/null || true
                rc=124
        else
                wait "$pharos_pid" || rc=$?
        fi
        pharos_pid=""
}

up_ok() { # WHAT: a plain up that must succeed
        run "$PHAROS" up -c "$cfg" --output json
        expect_rc 0 "$1"
        [[ "$rc" == 0 ]]
}

# fault_run FAULT HOST POINT: one `up` with FAULT injected on HOST at POINT
# (see reach), then the fault healed. Sets
# f_why (why the run did not survive; empty if it did) and f_named (what the
# failure named). NAMED is the host the failure must name, as the failed
# event's host or in its error (a step on another host that reached NAMED's
# API through the cut connection names it in the URL); unset: HOST; "": any
# host, as the API is reached through any master. BEFORE is a snapshot
# taken before the run (or empty: no cluster yet); MASTERS the masters to snapshot.
# With ONE_PHASE set, a run that rides the fault out is stopped at the next
# boundary and interrupted there (exit 130), so that a fault that passes (a
# cut connection pharos opens again) leaves the rest of the cluster's build
# to the next points of the walk.
fault_run() {
        local fault=$1 host=$2 point=$3 named failed_ev h s e lost_now stops="" next="" past=""
        named=${NAMED-$(tb_addr "$tb" "$host")}
        f_why="" f_named="-"
        injected=$((injected + 1))
        [[ "$point" == *@* ]] || stops=$point
        [[ -n "${ONE_PHASE:-}" ]] && next=$(next_boundary "${point%%@*}")
        [[ -n "$next" ]] && stops=${stops:+$stops,}$next
        up_bg "$stops"
        if reach "$point"; then
                "fault_$fault" "$tb" "$host"
                kill -CONT "$pharos_pid"
                # The next boundary's event comes only once the run went on.
                if [[ -n "$next" ]] && wait_event ".phase == \"$next\" and .status == \"start\"" &&
                        wait_stopped "$pharos_pid" "$RUN_LIMIT"; then
                        past=$next
                        kill -TERM "$pharos_pid"
                        kill -CONT "$pharos_pid"
                fi
        else
                f_why="injection point never reached"
        fi
        up_end
        failed_ev=$(jq -c 'select(.status == "failed" and .host != null and .step != null)
                | {host, step, phase, error}' "$ev" 2>/dev/null | head -1)
        h=$(jq -r '.host // empty' <<<"$failed_ev")
        s=$(jq -r '.step // empty' <<<"$failed_ev")
        e=$(jq -r '.error // empty' <<<"$failed_ev")
        if [[ -n "$f_why" ]]; then
                :
        elif [[ "$rc" == 0 ]]; then
                f_named="rode it out"
        elif [[ -n "$past" && "$rc" == 130 ]]; then
                f_named="rode it out to $past, interrupted there"
        elif [[ "$rc" == 124 ]]; then
                f_why="run hung past ${RUN_LIMIT}s"
        elif [[ -z "$h" ]]; then
                f_why="exit $rc without a failed event naming host and step"
        elif [[ -n "$named" && "$h" != "$named" && "$e" != *"//$named:"* ]]; then
                f_why="failed event names $h, not $named"
        elif ! grep -qF "$h" "$er" || ! grep -qF "$s" "$er"; then
                f_why="stderr does not name $h and $s"
        else
                f_named="exit $rc: $h $s ($(jq -r .phase <<<"$failed_ev"))"
        fi
        [[ "$f_why" == "injection point never reached" ]] || "heal_$fault" "$tb" "$host"
        if [[ -n "$BEFORE" ]]; then
                if snapshot "$tb" "$work/after-fault" "${MASTERS[@]}"; then
                        lost_now=$(lost "$BEFORE" "$work/after-fault")
                        if [[ "$rc" != 0 ]] && ! cmp -s "$BEFORE/state" "$work/after-fault/state"; then
                                lost_now+=" state: a failed run changed the stored state"
                        fi
                else
                        lost_now="etcd does not answer after the fault is healed"
                fi
                [[ -n "$lost_now" ]] && f_why="${f_why:+$f_why; }lost: $(head -3 <<<"$lost_now" | tr '\n' ' ')"
        fi
        n_runs=$((n_runs + 1))
        cp "$ev" "$work/run-$n_runs.events"
        cp "$er" "$work/run-$n_runs.stderr"
        if [[ -n "${FAULT_KEEP:-}" ]]; then
                cp "$ev" "$FAULT_KEEP/run-$n_runs.events"
                cp "$er" "$FAULT_KEEP/run-$n_runs.stderr"
        fi
        [[ -z "$f_why" ]] && survived=$((survived + 1))
        return 0
}

# repair: the next `up` must succeed and lose nothing of BEFORE, the one after
# must say "no changes". Sets r_why (empty when repaired).
repair() {
        local verdict lost_now
        r_why=""
        run "$PHAROS" up -c "$cfg" --output json
        if [[ "$rc" != 0 ]]; then
                r_why="repair run exit $rc: $(tail -1 <<<"$err")"
                return 0
        fi
        if [[ -n "$BEFORE" ]]; then
                snapshot "$tb" "$work/after-repair" "${MASTERS[@]}" || true
                lost_now=$(lost "$BEFORE" "$work/after-repair")
                [[ -n "$lost_now" ]] && r_why="lost after the repair: $(head -3 <<<"$lost_now" | tr '\n' ' ')"
        fi
        run "$PHAROS" up -c "$cfg" --output json
        verdict=$(jq -r 'select(.phase == "up") | .detail' <<<"$out")
        if [[ "$rc" != 0 || "$verdict" != "no changes" ]]; then
                r_why="${r_why:+$r_why; }the run after the repair: exit $rc, \"$verdict\""
        fi
        return 0
}

# row NAME FAULT HOST POINT FAILURE SURVIVE_WHY REPAIR_WHY: one line of the table.
row() {
        local sw=$6 rw=$7 verdict=ok why
        why="$sw${sw:+${rw:+; }}$rw"
        checks=$((checks + 1))
        if [[ -n "$why" ]]; then
                verdict=FAILED
                fail "case $1 ($4): $why"
                echo "--- events of run $n_runs:" >&2
                cat "$work/run-$n_runs.events" >&2
                echo "--- stderr of run $n_runs:" >&2
                tail -20 "$work/run-$n_runs.stderr" >&2
        fi
        [[ -z "$rw" ]] && repaired=$((repaired + 1))
        rows+=("$(printf '%-12s %-12s %-7s %-34s %-62s %-3s %-3s %s' "$1" "$2" "$3" "$4" "$5" \
                "$([[ -z "$sw" ]] && echo yes || echo no)" "$([[ -z "$rw" ]] && echo yes || echo no)" "$verdict${why:+: $why}")")
}

# case_run NAME FAULT HOST POINT: one fault run, then the repair.
case_run() {
        local name=$1 fault=$2 host=$3 point=$4 t0=$SECONDS
        log "case $name: $fault on $host, $(point_name "$point")"
        fault_run "$fault" "$host" "$point"
        local sw=$f_why
        repair
        row "$name" "$fault" "$host" "$(point_name "$point")" "$f_named" "$sw" "$r_why"
        log "case $name: ${sw:-survived}; ${r_why:-repaired} ($((SECONDS - t0))s)"
}

# reach POINT: returns once the running `up` is at POINT and stopped there, so
# that the fault lands at that point of the run however fast the run goes
# (its commands on the hosts go on). POINT is PHASE, the phase's start, where
# the run started by `up_bg PHASE` stops itself; or PHASE@HOST:PATH, inside
# the phase's steps once PATH exists on HOST (the work under way), where the
# test stops it.
reach() {
        local phase=${1%%@*} where
        if [[ "$1" != *@* ]]; then
                wait_stopped "$pharos_pid" "$RUN_LIMIT"
                return
        fi
        wait_event ".phase == \"$phase\" and .status == \"start\"" || return 1
        where=${1#*@}
        wait_host test -e "$(tb_root "$tb" "${where%%:*}")${where#*:}" || return 1
        kill -STOP "$pharos_pid"
}
point_name() { [[ "$1" == *@* ]] && echo "inside $1" || echo "boundary: $1"; }

# walk NAME FAULT HOST POINT...: FAULT at each POINT in turn, one `up` each;
# each run must get to its point, past where the previous one failed (the
# repair of that fault), and the final `up` must repair everything.
walk() {
        local name=$1 fault=$2 host=$3 i t0=$SECONDS
        shift 3
        local points=("$@") whys=() names=()
        if snapshot "$tb" "$work/before" "${MASTERS[@]}" 2>/dev/null; then BEFORE=$work/before; else BEFORE=""; fi
        for ((i = 0; i < ${#points[@]}; i++)); do
                log "walk $name: $fault on $host, $(point_name "${points[i]}")"
                fault_run "$fault" "$host" "${points[i]}"
                whys[i]=$f_why names[i]=$f_named
                if ((i > 0)); then
                        local rep=""
                        [[ "$f_why" == "injection point never reached" ]] && rep="the next up did not get to ${points[i]}"
                        row "$name" "$fault" "$host" "$(point_name "${points[i - 1]}")" "${names[i - 1]}" "${whys[i - 1]}" "$rep"
                fi
                if snapshot "$tb" "$work/before" "${MASTERS[@]}" 2>/dev/null; then BEFORE=$work/before; else BEFORE=""; fi
        done
        repair
        i=$((${#points[@]} - 1))
        row "$name" "$fault" "$host" "$(point_name "${points[i]}")" "${names[i]}" "${whys[i]}" "$r_why"
        log "walk $name: ${r_why:-repaired} ($((SECONDS - t0))s)"
}

selected() { [[ -z "${FAULT_CASES:-}" || " $FAULT_CASES " == *" $1 "* ]]; }

# --- faults during the first up (fresh hosts: host-1 master, host-2 worker) ---
MASTERS=(host-1)
fresh() { # NAME
        testbed 2 "$1"
        hosts_cfg host-1:master host-2:worker
        BEFORE=""
}
# Every phase boundary of `up` (the start of each phase, in order) and the
# points inside its long steps, in the order a run gets to them. The paths
# show a step's work under way: the package pin is the first thing
# os-ubuntu.kube-packages writes (apt installs after it); kubeadm init writes
# its CA first and then waits for the control plane; kubeadm join writes the
# CA from cluster-info before the kubelet's TLS bootstrap. An inside point
# comes before its phase's boundary in a walk: the boundary's run fails before
# the phase's work, so the next run does that work, and the fault lands in it.
PIN=/etc/apt/preferences.d/kubernetes CA=/etc/kubernetes/pki/ca.crt
BOUNDARIES=(connect validate facts prepare-host firewall runtime kube-packages control-plane join network addons labels)
next_boundary() { # PHASE: the boundary after PHASE's start (none after the last)
        local i
        for ((i = 0; i < ${#BOUNDARIES[@]} - 1; i++)); do
                [[ "${BOUNDARIES[i]}" == "$1" ]] && echo "${BOUNDARIES[i + 1]}" && return 0
        done
        return 0
}
points_for() { # HOST: the walk for a fault on HOST of a fresh 1 master + 1 worker cluster
        local b
        for b in "${BOUNDARIES[@]}"; do
                case $b in
                kube-packages) echo "kube-packages@$1:$PIN" ;;
                control-plane) echo "control-plane@host-1:$CA" ;;
                join) echo "join@host-2:$CA" ;;
                esac
                echo "$b"
        done
}
if selected sshd-stop; then
        fresh sshd-stop
        # shellcheck disable=SC2046 # one word per point
        walk sshd-stop sshd_stop host-2 $(points_for host-2)
fi
if selected host-kill; then
        fresh host-kill
        # shellcheck disable=SC2046
        walk host-kill host_kill host-2 $(points_for host-2)
fi
if selected conn-cut; then
        fresh conn-cut
        # A cut connection is opened again: most cuts pass, each is kept to its phase.
        # shellcheck disable=SC2046
        ONE_PHASE=1 walk conn-cut cut host-1 $(points_for host-1)
fi

# --- faults on a running cluster (host-1 master, host-2 worker; host-3, host-4 and host-5 added) ---
if selected api-503 || selected api-timeout || selected api-state || selected etcd-leader; then
        testbed 5 running
        hosts_cfg host-1:master host-2:worker
        log "baseline: 1 master + 1 worker"
        up_ok "baseline up"
        snapshot "$tb" "$work/before" "${MASTERS[@]}" && BEFORE=$work/before
        NAMED=""
        # Every boundary, and inside host-3's join (a token, then its Node), on a
        # running cluster: the API fault stays until the run ends, so it fails
        # the first step after the boundary that asks the API.
        api_points="connect validate facts prepare-host firewall runtime kube-packages control-plane
                join@host-3:$CA join network addons labels"
        if selected api-503; then
                # host-3 joins as a worker and a label on host-2 gives the labels
                # phase an API write to make.
                hosts_cfg host-1:master host-2:worker host-3:worker
                cfg_edit "$cfg" 'd["hosts"][1]["labels"] = {"faults.example/case": "api-503"}'
                # shellcheck disable=SC2086 # one word per point
                walk api-503 api_503 host-1 $api_points
        fi
        if selected api-timeout; then
                # host-4 joins as a worker, and host-2's label changes.
                hosts_cfg host-1:master host-2:worker host-3:worker host-4:worker
                cfg_edit "$cfg" 'd["hosts"][1]["labels"] = {"faults.example/case": "api-timeout"}'
                # shellcheck disable=SC2086
                walk api-timeout api_timeout host-1 ${api_points//host-3/host-4}
        fi
        if selected api-state; then
                # Only storing the state fails, after every phase went well.
                walk api-state api_state host-1 labels
        fi
        unset NAMED
        if selected etcd-leader; then
                # host-5 joins as a master; the leader (host-1, the only member) stops
                # once kubeadm join has added host-5's member (its etcd manifest appears).
                cfg_edit "$cfg" "d['hosts'].append({'address': '$(tb_addr "$tb" host-5)', 'user': 'pharos',
                        'ssh_key_path': '$tb/id_ed25519', 'role': 'master'})"
                snapshot "$tb" "$work/before" "${MASTERS[@]}" && BEFORE=$work/before
                MASTERS=(host-1 host-5)
                # Lost quorum fails whichever step reaches the API or etcd first.
                NAMED=""
                case_run etcd-leader etcd_stop host-1 "join@host-5:/etc/kubernetes/manifests/etcd.yaml"
                unset NAMED
        fi
fi

echo
printf '%-12s %-12s %-7s %-34s %-62s %-3s %-3s %s\n' case fault host "injected at" "failure" "surv" "rep" verdict
printf '%s\n' "${rows[@]}"
echo "faults injected: $injected, survived: $survived, repaired: $repaired"
finish
