#!/usr/bin/env bash
# Masters joining and leaving, as the seed's "Adding/Removing Master Nodes"
# describes, on testbed hosts with every plugin and the real etcd:
#   1 master + 1 worker up -> 2 masters added (3 etcd members, serial joins,
#   no mutating command on the existing hosts but the join data) -> one master
#   stopped and dropped from cluster.yml -> up removes its member (2 left, quorum
#   warning, the `kubectl delete node` still to run) -> refusals, each exit 2
#   with nothing changed: back to one master, half of the members, no healthy
#   staying master -> a new master added (3 members) and removed again with
#   --prune (Node deleted by pharos) -> the same rules for `pharos reset` -> a worker reset
#   alone (Node deleted, etcd untouched) -> full `pharos reset` leaves the
#   hosts as they were before the first up.
# Commands for the hosts are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
export PHAROS_PLUGIN_PATH=$PLUGINS
"$TESTBED" start --hosts 5 --masters 1 --dir "$dir" >/dev/null
journal=/var/log/pharos-testbed/journal.jsonl

addr() { jq -r ".hosts[$(($1 - 1))].address" "$dir/hosts.json"; }
# on N SCRIPT: runs SCRIPT as root on host-N, with the emulated tools.
on() {
        "$TESTBED" exec --dir "$dir" --host "host-$1" -- \
                env PATH=/usr/local/lib/pharos-testbed/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c "$2"
}
# cluster NAME N:ROLE...: writes $dir/NAME.yml with those hosts.
cluster() {
        local name=$1 spec
        shift
        {
                echo "hosts:"
                for spec in "$@"; do
                        printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    role: %s\n' \
                                "$(addr "${spec%%:*}")" "$dir/id_ed25519" "${spec#*:}"
                done
        } >"$dir/$name.yml"
}
up() { run "$PHAROS" up -c "$dir/$1.yml" "${@:2}"; }
# The real etcdctl on host-1, with kubeadm's health-check client certificate.
members() {
        on 1 "etcdctl --endpoints https://$(addr 1):2379 --cacert /etc/kubernetes/pki/etcd/ca.crt \
                --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                --key /etc/kubernetes/pki/etcd/healthcheck-client.key member list -w json" |
                jq -r '[.members[].name] | sort | join(" ")'
}
# Every call that changed host-N's state, one argv per line.
changes() { on "$1" "jq -c 'select(.changed) | .argv' $journal 2>/dev/null || true"; }
# What the first up may leave behind, to compare after the reset.
footprint() {
        on "$1" 'apt-mark showmanual
                ls /etc/apt/sources.list.d /etc/apt/keyrings /etc/apt/preferences.d \
                        /etc/modules-load.d /etc/sysctl.d 2>/dev/null'
}

cluster one 1:master 2:worker
cluster three 1:master 2:worker 3:master 4:master
cluster two 1:master 2:worker 3:master
cluster majority 1:master 2:worker 5:master
for i in 1 2 3 4; do footprint "$i" >"$dir/before-$i"; done

up one
expect_rc 0 "up: one master, one worker"
expect_eq "$(members)" "host-1" "one etcd member"

# Adding two masters: they join one at a time; the worker sees no mutating
# command, the first master only the ones that make the join data.
changes 1 >"$dir/changes-1"
changes 2 >"$dir/changes-2"
up three
expect_rc 0 "up: two masters added"
expect_eq "$(members)" "host-1 host-3 host-4" "three etcd members (real etcdctl)"
expect_eq "$(changes 2)" "$(cat "$dir/changes-2")" "no mutating command on the worker"
new=$(changes 1 | tail -n +"$(($(wc -l <"$dir/changes-1") + 1))" | jq -r '.[0:3] | join(" ")' | sort -u)
expect_eq "$new" $'kubeadm init phase\nkubeadm token create' \
        "the existing master only made the join data"
join_times() { on "$1" "jq -r 'select(.argv[0:2] == [\"kubeadm\", \"join\"]) | \"\\(.time) \\(.duration_ms)\"' $journal"; }
read -r t3 d3 < <(join_times 3)
read -r t4 _ < <(join_times 4)
expect_eq "$(jq -n "$t4 >= $t3 + $d3 / 1000")" "true" "host-4 joined after host-3's join ended"

# Removing a master, the seed's way: stop it, drop it from cluster.yml, up.
kill -9 "$(jq -r '.hosts[3].pid' "$dir/hosts.json")"
up two
expect_rc 0 "up: a stopped master removed"
expect_eq "$(members)" "host-1 host-3" "two etcd members left"
expect_contains "$err" "2 masters" "quorum warning"
expect_contains "$out$err" "kubectl delete node host-4" "the command still to run"
expect_contains "$out" "removed etcd member host-4" "removal reported"
# The seed's step 4, as printed (kubectl on a master, with its admin kubeconfig).
run on 1 "kubectl --kubeconfig /etc/kubernetes/admin.conf delete node host-4"
expect_rc 0 "the printed command deletes the Node"

# Refusals: exit 2, nothing changed anywhere.
for i in 1 2 3 5; do changes "$i" >"$dir/before-refusals-$i"; done
up one
expect_rc 2 "back to one master"
expect_contains "$err" "back to one" "back to one explained"
up majority
expect_rc 2 "half of the members"
expect_contains "$err" "would remove 1 of the 2 etcd members" "majority explained"
expect_contains "$err" "Remove fewer masters per run" "what to do instead"
etcd_pid=$(on 1 'jq -r .pid /var/lib/pharos-testbed/containers/kube-system_etcd_etcd.json')
on 1 "kill -STOP $etcd_pid"
up majority
expect_rc 2 "no healthy staying master"
expect_contains "$err" "no master that stays in the cluster has a healthy etcd member" \
        "no healthy master explained"
on 1 "kill -CONT $etcd_pid"
# Back to a quorum: a leader is elected again.
for _ in $(seq 120); do
        health=$(on 1 "etcdctl --endpoints https://$(addr 1):2379 --cacert /etc/kubernetes/pki/etcd/ca.crt \
                --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                --key /etc/kubernetes/pki/etcd/healthcheck-client.key endpoint health 2>&1" || true)
        [[ "$health" == *"is healthy"* ]] && break
        sleep 0.5
done
expect_contains "$health" "is healthy" "etcd healthy again"
for i in 1 2 3 5; do
        expect_eq "$(changes "$i")" "$(cat "$dir/before-refusals-$i")" "host-$i unchanged by the up refusals"
done

# Back to three masters with a new one (the removed host is gone, as the seed
# has it terminated), then that one stopped and removed with --prune: pharos
# deletes its Node itself.
cluster back 1:master 2:worker 3:master 5:master
up back
expect_rc 0 "up: a master added back"
expect_eq "$(members)" "host-1 host-3 host-5" "three etcd members again"
kill -9 "$(jq -r '.hosts[4].pid' "$dir/hosts.json")"
up two --prune
expect_rc 0 "up --prune: a stopped master removed"
expect_eq "$(members)" "host-1 host-3" "two etcd members after --prune"
run on 1 "kubectl --kubeconfig /etc/kubernetes/admin.conf get node host-5"
expect_rc 1 "--prune deleted the Node"
for i in 1 2 3; do changes "$i" >"$dir/before-refusals-$i"; done
run "$PHAROS" reset -c "$dir/two.yml" -r master -y
expect_rc 2 "reset of every master while workers stay"
expect_contains "$err" "keep a master" "partial reset without master explained"
run "$PHAROS" reset -c "$dir/two.yml" -a "$(addr 3)" -y
expect_rc 2 "reset back to one master"
expect_contains "$err" "this reset leaves one master" "reset guard explained"
run "$PHAROS" reset -c "$dir/two.yml" </dev/null
expect_rc 2 "reset without -y and without a terminal"
for i in 1 2 3; do
        expect_eq "$(changes "$i")" "$(cat "$dir/before-refusals-$i")" "host-$i unchanged by the reset refusals"
done
expect_eq "$(members)" "host-1 host-3" "still two etcd members"

# A worker reset on its own: its Node is drained and leaves the API, etcd
# stays as it is.
run "$PHAROS" reset -c "$dir/two.yml" -a "$(addr 2)" -y
expect_rc 0 "reset of the worker"
expect_contains "$out" "drained" "the worker drained first"
expect_contains "$out" "Node deleted" "the worker's Node deleted"
run on 1 "kubectl --kubeconfig /etc/kubernetes/admin.conf get node host-2"
expect_rc 1 "no Node host-2"
expect_eq "$(members)" "host-1 host-3" "etcd untouched by a worker's reset"
expect_eq "$(changes 1)" "$(cat "$dir/before-refusals-1")" "host-1 untouched by a worker's reset"

# The whole cluster goes: every host as before the first up.
run "$PHAROS" reset -c "$dir/two.yml" -y
expect_rc 0 "full reset"
for i in 1 2 3; do
        expect_eq "$(footprint "$i" | grep -vxE 'conntrack|socat|ebtables|ethtool')" \
                "$(grep -vxE 'conntrack|socat|ebtables|ethtool' "$dir/before-$i")" \
                "host-$i packages and repositories as before up"
        expect_eq "$(on "$i" 'ls -d /etc/kubernetes /var/lib/etcd /var/lib/kubelet /etc/containerd \
                /etc/cni/net.d 2>/dev/null; find /var/lib/pharos-testbed/pkgroot -type f')" "" \
                "host-$i: no kube files, no unit files"
        expect_eq "$(on "$i" 'jq -r "keys[] | select(test(\"kubelet|containerd\"))" \
                /var/lib/pharos-testbed/systemd-loaded.json')" "" \
                "host-$i: systemd knows no kubelet or containerd"
        expect_eq "$(on "$i" 'ls /var/lib/pharos-testbed/containers 2>/dev/null
                ps -e -o comm= | grep -vxE "host-init.sh|sshd|sleep|sh|env|ps|grep"')" "" \
                "host-$i: no static pod, kubelet or runtime running"
done
finish
