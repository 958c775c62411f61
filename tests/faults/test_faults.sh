#!/usr/bin/env bash
# Fault injection into `pharos up` on the emulated testbed. Each case starts
# `pharos up --output json`, injects one fault at a deterministic point (a
# phase boundary from the event stream, or inside a long step once the host
# shows the step's work under way), and checks that
#   - pharos exits non-zero and names the host and the step (event and stderr),
#     or finishes with exit 0 if it rode the fault out;
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
injected=0 survived=0 repaired=0

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

# up_bg: `pharos up --output json` in the background with no retry budget, so a
# lasting fault fails the run at once; events in $ev, stderr in $er.
up_bg() {
        ev=$work/events er=$work/stderr
        : >"$ev"
        "$PHAROS" up -c "$cfg" --output json --retry-budget 0 >"$ev" 2>"$er" &
        pharos_pid=$!
}
# wait_event FILTER: until an event matches the jq filter (1 if the run ended first).
wait_event() {
        local i
        for ((i = 0; i < RUN_LIMIT * 10; i++)); do
                jq -e "select($1)" "$ev" >/dev/null 2>&1 && return 0
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

# case_run NAME FAULT HOST POINT TRIGGER... : the fault run, then heal, repair,
# "no changes"; one table row. TRIGGER is a command that returns once the
# injection point is reached (wait_event/wait_host ...). NAMED is the host the
# failure must name ("" = any host: the API is reached through any master).
# MASTERS (the masters to snapshot) and BEFORE (a snapshot, or "") are set by the caller.
case_run() {
        local name=$1 fault=$2 host=$3 point=$4 named verdict why="" out_named="-" lost_now="" t0=$SECONDS
        shift 4
        named=${NAMED-$(tb_addr "$tb" "$host")}
        log "case $name: $fault on $host at $point"
        injected=$((injected + 1))
        up_bg
        if "$@"; then
                "fault_$fault" "$tb" "$host"
        else
                why="injection point never reached"
        fi
        up_end
        local failed_ev
        failed_ev=$(jq -c 'select(.status == "failed" and .host != null and .step != null)
                | {host, step, phase}' "$ev" 2>/dev/null | head -1)
        if [[ -z "$why" && "$rc" == 0 ]]; then
                out_named="rode it out"
        elif [[ -z "$why" && "$rc" == 124 ]]; then
                why="run hung past ${RUN_LIMIT}s"
        elif [[ -z "$why" ]]; then
                local h s
                h=$(jq -r '.host // empty' <<<"$failed_ev")
                s=$(jq -r '.step // empty' <<<"$failed_ev")
                if [[ -z "$h" ]]; then
                        why="exit $rc without a failed event naming host and step"
                elif [[ -n "$named" && "$h" != "$named" ]]; then
                        why="failed event names $h, not $named"
                elif ! grep -qF "$h" "$er" || ! grep -qF "$s" "$er"; then
                        why="stderr does not name $h and $s"
                else
                        out_named="exit $rc, $h $s ($(jq -r .phase <<<"$failed_ev"))"
                fi
        fi
        "heal_$fault" "$tb" "$host"
        if [[ -n "$BEFORE" ]]; then
                snapshot "$tb" "$work/after-fault" "${MASTERS[@]}"
                lost_now=$(lost "$BEFORE" "$work/after-fault")
                if [[ -s "$BEFORE/state" ]] && ! cmp -s "$BEFORE/state" "$work/after-fault/state" && [[ "$rc" != 0 ]]; then
                        lost_now+=" state: a failed run changed the stored state"
                fi
                [[ -n "$lost_now" ]] && why="${why:+$why; }lost: $(echo "$lost_now" | head -3 | tr '\n' ' ')"
        fi
        local ok_survived=0 ok_repaired=0
        [[ -z "$why" ]] && ok_survived=1
        cp "$ev" "$work/$name.events"
        cp "$er" "$work/$name.stderr"
        if [[ -n "${FAULT_KEEP:-}" ]]; then cp "$ev" "$er" "$FAULT_KEEP/" && mv "$FAULT_KEEP/events" "$FAULT_KEEP/$name.events" && mv "$FAULT_KEEP/stderr" "$FAULT_KEEP/$name.stderr"; fi
        run "$PHAROS" up -c "$cfg" --output json
        if [[ "$rc" != 0 ]]; then
                why="${why:+$why; }repair run exit $rc: $(tail -2 <<<"$err" | tr '\n' ' ')"
        else
                if [[ -n "$BEFORE" ]]; then
                        snapshot "$tb" "$work/after-repair" "${MASTERS[@]}"
                        lost_now=$(lost "$BEFORE" "$work/after-repair")
                        [[ -n "$lost_now" ]] && why="${why:+$why; }lost after repair: $(head -3 <<<"$lost_now" | tr '\n' ' ')"
                fi
                run "$PHAROS" up -c "$cfg" --output json
                verdict=$(jq -r 'select(.phase == "up") | .detail' <<<"$out")
                if [[ "$rc" == 0 && "$verdict" == "no changes" ]]; then
                        [[ -z "$lost_now" ]] && ok_repaired=1
                else
                        why="${why:+$why; }run after the repair: exit $rc, \"$verdict\""
                fi
        fi
        survived=$((survived + ok_survived))
        repaired=$((repaired + ok_repaired))
        checks=$((checks + 1))
        if ((ok_survived && ok_repaired)); then
                verdict=ok
        else
                verdict=FAILED
                fail "case $name: $why"
                echo "--- $name events:" >&2
                cat "$work/$name.events" >&2
                echo "--- $name stderr:" >&2
                tail -20 "$work/$name.stderr" >&2
        fi
        rows+=("$(printf '%-14s %-10s %-7s %-30s %-44s %-8s %-8s %s' "$name" "$fault" "$host" "$point" "$out_named" \
                "$( ((ok_survived)) && echo yes || echo no)" "$( ((ok_repaired)) && echo yes || echo no)" \
                "$verdict $((SECONDS - t0))s${why:+: $why}")")
}

selected() { [[ -z "${FAULT_CASES:-}" || " $FAULT_CASES " == *" $1 "* ]]; }

# --- faults during the first up (fresh hosts: host-1 master, host-2 worker) ---
MASTERS=(host-1)
fresh() { # NAME
        testbed 2 "$1"
        hosts_cfg host-1:master host-2:worker
        BEFORE=""
}
if selected sshd-stop; then
        fresh sshd-stop
        case_run sshd-stop sshd_stop host-2 "boundary: kube-packages" \
                wait_event '.phase == "kube-packages" and .status == "start"'
fi
if selected host-kill; then
        fresh host-kill
        r2=$(tb_root "$tb" host-2)
        # The pin is the first thing the step writes, before apt installs the packages.
        case_run host-kill host_kill host-2 "inside os-ubuntu.kube-packages" \
                wait_host test -e "$r2/etc/apt/preferences.d/kubernetes"
fi
if selected conn-cut; then
        fresh conn-cut
        r1=$(tb_root "$tb" host-1)
        case_run conn-cut cut host-1 "inside kubeadm.init" \
                wait_host test -e "$r1/etc/kubernetes/pki/ca.crt"
fi

# --- faults on a running cluster (host-1 master, host-2 worker; host-3 and host-4 added) ---
if selected api-503 || selected api-timeout || selected etcd-leader; then
        testbed 4 running
        hosts_cfg host-1:master host-2:worker
        log "baseline: 1 master + 1 worker"
        up_ok "baseline up"
        NAMED=""
        if selected api-503; then
                # A label on the worker gives the labels phase an API write to make.
                cfg_edit "$cfg" 'd["hosts"][1]["labels"] = {"faults.example/case": "api-503"}'
                snapshot "$tb" "$work/before" "${MASTERS[@]}" && BEFORE=$work/before
                case_run api-503 api_503 host-1 "boundary: labels" \
                        wait_event '.phase == "labels" and .status == "start"'
        fi
        if selected api-timeout; then
                cfg_edit "$cfg" 'd["hosts"][1]["labels"] = {"faults.example/case": "api-timeout"}'
                snapshot "$tb" "$work/before" "${MASTERS[@]}" && BEFORE=$work/before
                case_run api-timeout api_timeout host-1 "boundary: network" \
                        wait_event '.phase == "network" and .status == "start"'
        fi
        unset NAMED
        if selected etcd-leader; then
                # host-4 joins as a master; the leader (host-1, the only member) stops
                # once kubeadm join has added host-4's member (its etcd manifest appears).
                hosts_cfg host-1:master host-2:worker host-4:master
                snapshot "$tb" "$work/before" "${MASTERS[@]}" && BEFORE=$work/before
                MASTERS=(host-1 host-4)
                r4=$(tb_root "$tb" host-4)
                NAMED=$(tb_addr "$tb" host-4)
                case_run etcd-leader etcd_stop host-1 "inside kubeadm join of host-4" \
                        wait_host test -e "$r4/etc/kubernetes/manifests/etcd.yaml"
                unset NAMED
        fi
fi

echo
printf '%-14s %-10s %-7s %-30s %-44s %-8s %-8s %s\n' case fault host "injected at" "failure" survived repaired verdict
printf '%s\n' "${rows[@]}"
echo "faults injected: $injected, survived: $survived, repaired: $repaired"
finish
