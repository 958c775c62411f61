#!/usr/bin/env bash
# The seed's "Managing a Pharos cluster" walked end to end on one testbed,
# with every plugin, the real etcd and the emulated cluster; after every step
# the real etcd member list (etcdctl) and the Node list are checked:
#   1 master + 2 workers up -> 2 masters added (3 members, one join at a
#   time, nothing mutating on the other hosts but the join data and the
#   workers' kubelets moving to their node-local API proxy) -> the first
#   master stopped and dropped from cluster.yml, up (2 members, quorum
#   warning, the control-plane endpoint moves to the next master: the
#   masters' kubelets and cluster-info follow, the proxies drop it) -> a
#   master added back (3) -> a worker
#   added -> a host joined with `pharos worker up` and the join command from
#   `pharos exec` -> a worker dropped from cluster.yml (up writes nothing and
#   lists it), drained, deleted -> each refusal (back to one, half of the
#   members, no healthy staying master), nothing changed -> a master reset
#   (its member removed, the host wiped) and joined again -> a running master
#   dropped from cluster.yml and added back (reset and joined again: a member
#   per master) -> a running master dropped from cluster.yml -> `pharos reset`
#   refusals, then the full reset leaves the hosts as before the first up.
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
"$TESTBED" start --hosts 9 --masters 1 --dir "$dir" >/dev/null
journal=/var/log/pharos-testbed/journal.jsonl
step() { echo "[${SECONDS}s] $*"; }

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
# The master the test asks (etcd, API); the first one until it is stopped.
M=1
etcdctl_on() {
        on "$M" "etcdctl --endpoints https://$(addr "$M"):2379 --cacert /etc/kubernetes/pki/etcd/ca.crt \
                --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                --key /etc/kubernetes/pki/etcd/healthcheck-client.key $1"
}
members() { etcdctl_on "member list -w json" | jq -r '[.members[].name] | sort | join(" ")'; }
# The API as the cluster admin, straight to master $M.
api() {
        local path=$1
        shift
        curl -fsSk --cert "$dir/admin.pem" "$@" "https://$(addr "$M"):6443$path"
}
nodes() { api /api/v1/nodes | jq -r '[.items[].metadata.name] | sort | join(" ")'; }
# Every call that changed host-N's state, one argv per line.
changes() { on "$1" "jq -c 'select(.changed) | .argv' $journal 2>/dev/null || true"; }
# Requests that changed the API as pharos makes them (the admin), on the masters
# given, but for the run's own lock (the Lease kube-system/pharos-lock every run takes).
api_writes() {
        local i
        for i in "$@"; do
                on "$i" "cat /var/log/pharos-testbed/api-audit.jsonl 2>/dev/null || true" |
                        jq -r 'select(.user == "kubernetes-admin") |
                                select(.path | test("^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases(/pharos-lock)?([?]|$)") | not) |
                                "\(.method) \(.path)"'
        done
}
# What the first up may leave behind, to compare after the reset.
footprint() {
        on "$1" 'apt-mark showmanual
                ls /etc/apt/sources.list.d /etc/apt/keyrings /etc/apt/preferences.d \
                        /etc/modules-load.d /etc/sysctl.d 2>/dev/null'
}
server_of() { on "$1" "sed -n 's/^ *server: //p' $2"; }
# Waits until host-N's kubelet has posted its status after time T (it reaches the API).
heartbeat_after() {
        local n=$1 t=$2 hb=""
        for _ in $(seq 60); do
                hb=$(api "/api/v1/nodes/host-$n" |
                        jq -r '.status.conditions[] | select(.type == "Ready") | .lastHeartbeatTime')
                [[ "$hb" > "$t" ]] && break
                sleep 0.5
        done
        expect_eq "$([[ "$hb" > "$t" ]] && echo after || echo "$hb")" after \
                "host-$n's kubelet posts its status after $t"
}

for i in $(seq 9); do footprint "$i" >"$dir/before-$i"; done

step "1 master + 2 workers up"
cluster c1 1:master 2:worker 3:worker
up c1
expect_rc 0 "up: one master, two workers"
on 1 'cat /etc/kubernetes/admin.conf' | python3 -c '
import base64, sys, yaml
u = yaml.safe_load(sys.stdin)["users"][0]["user"]
sys.stdout.write(base64.b64decode(u["client-certificate-data"]).decode())
sys.stdout.write(base64.b64decode(u["client-key-data"]).decode())' >"$dir/admin.pem"
expect_eq "$(members)" "host-1" "one etcd member"
expect_eq "$(nodes)" "host-1 host-2 host-3" "three Nodes"

step "two masters added"
for i in 1 2 3; do changes "$i" >"$dir/changes-$i"; done
cluster c2 1:master 2:worker 3:worker 4:master 5:master
up c2
expect_rc 0 "up: two masters added"
expect_eq "$(members)" "host-1 host-4 host-5" "three etcd members"
expect_eq "$(nodes)" "host-1 host-2 host-3 host-4 host-5" "five Nodes"
# The workers' only change: their kubelets move to the node-local API proxy.
for i in 2 3; do
        expect_eq "$(changes "$i" | tail -n +"$(($(wc -l <"$dir/changes-$i") + 1))")" '["systemctl","restart","kubelet"]' \
                "worker host-$i only restarted its kubelet"
done
new=$(changes 1 | tail -n +"$(($(wc -l <"$dir/changes-1") + 1))" | jq -r '.[0:3] | join(" ")' | sort -u)
expect_eq "$new" $'kubeadm init phase\nkubeadm token create' \
        "the existing master only made the join data"
join_times() { on "$1" "jq -r 'select(.argv[0:2] == [\"kubeadm\", \"join\"]) | \"\\(.time) \\(.duration_ms)\"' $journal"; }
read -r t4 d4 < <(join_times 4)
read -r t5 _ < <(join_times 5)
expect_eq "$(jq -n "$t5 >= $t4 + $d4 / 1000")" "true" "host-5 joined after host-4's join ended"
proxied() { on "$1" "grep '^	server ' /etc/kubernetes/pharos/api-proxy.cfg | cut -f3 -d' ' | paste -sd' '"; }
for i in 2 3; do
        expect_eq "$(server_of "$i" /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
                "host-$i's kubelet on its node-local API proxy"
        expect_eq "$(proxied "$i")" "$(addr 1):6443 $(addr 4):6443 $(addr 5):6443" "host-$i's proxy reaches the three masters"
done

step "the first master stopped and removed"
# The seed's way: stop it, drop it from cluster.yml, up. Without api.endpoint
# the first master was the control-plane endpoint; host-4 is now.
kill -9 "$(jq -r '.hosts[0].pid' "$dir/hosts.json")"
M=4
cluster c3 2:worker 3:worker 4:master 5:master
up c3
expect_rc 0 "up: the stopped first master removed"
done_at=$(date -u +%FT%TZ)
expect_eq "$(members)" "host-4 host-5" "two etcd members left"
expect_contains "$err" "2 masters" "quorum warning"
expect_contains "$out" "removed etcd member host-1" "removal reported"
expect_contains "$out$err" "kubectl delete node host-1" "the command still to run"
# A master's kubelet names its own API server (kubeadm's local kubelet mode, 1.33 on).
for i in 4 5; do
        expect_eq "$(server_of "$i" /etc/kubernetes/kubelet.conf)" "https://$(addr "$i"):6443" \
                "host-$i's kubelet on its own API server"
done
for i in 2 3; do
        expect_eq "$(server_of "$i" /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
                "host-$i's kubelet stays on its proxy"
        expect_eq "$(proxied "$i")" "$(addr 4):6443 $(addr 5):6443" "host-$i's proxy follows the masters"
done
expect_eq "$(server_of 5 /etc/kubernetes/admin.conf)" "https://$(addr 4):6443" "host-5's admin.conf too"
expect_eq "$(api /api/v1/namespaces/kube-public/configmaps/cluster-info | jq -r .data.kubeconfig |
        sed -n 's/^ *server: //p')" "https://$(addr 4):6443" "cluster-info names the new endpoint"
expect_eq "$(api /api/v1/namespaces/kube-system/configmaps/kube-proxy | jq -r '.data["kubeconfig.conf"]' |
        sed -n 's/^ *server: //p')" "https://127.0.0.1:6443" "kube-proxy's kubeconfig names the node-local address"
expect_eq "$(api /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy |
        jq -r '.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] != null')" \
        "true" "kube-proxy restarted to read it (when the masters were added)"
expect_contains "$(api /api/v1/namespaces/kube-system/configmaps/kubeadm-config |
        jq -r .data.ClusterConfiguration)" "controlPlaneEndpoint: $(addr 4):6443" "kubeadm-config too"
for i in 2 3 5; do heartbeat_after "$i" "$done_at"; done
# The seed's step 4, as printed.
run on 4 "kubectl --kubeconfig /etc/kubernetes/admin.conf delete node host-1"
expect_rc 0 "the printed command deletes the Node"
expect_eq "$(nodes)" "host-2 host-3 host-4 host-5" "four Nodes"
up c3
expect_rc 0 "up again"
expect_contains "$out" "no changes" "the moved endpoint is settled"

step "a master added back"
cluster c4 2:worker 3:worker 4:master 5:master 6:master
up c4
expect_rc 0 "up: a master added back"
expect_eq "$(members)" "host-4 host-5 host-6" "three etcd members again"
expect_eq "$(server_of 6 /etc/kubernetes/admin.conf)" "https://$(addr 4):6443" \
        "the new master joined through the new endpoint"

step "a worker added"
for i in 2 3 4 5 6; do changes "$i" >"$dir/changes-$i"; done
cluster c5 2:worker 3:worker 4:master 5:master 6:master 7:worker
up c5
expect_rc 0 "up: a worker added"
for i in 2 3 5 6; do
        expect_eq "$(changes "$i")" "$(cat "$dir/changes-$i")" "host-$i unchanged by the new worker"
done
expect_eq "$(changes 4 | diff "$dir/changes-4" - | grep '^>' | grep -vc 'kubeadm","token","create' || true)" \
        "0" "the first master only made a join token"
expect_eq "$(nodes)" "host-2 host-3 host-4 host-5 host-6 host-7" "host-7 joined"

step "host-8 joined with pharos worker up"
root8=$(jq -r '.hosts[7].root' "$dir/hosts.json")
mkdir -p "$root8/opt/pharos/plugins"
cp "$PHAROS" "$root8/opt/pharos/pharos"
cp "$PLUGINS"/*.so "$root8/opt/pharos/plugins/"
run "$PHAROS" exec -c "$dir/c5.yml" -r master -f sudo kubeadm token create --print-join-command
expect_rc 0 "join command from pharos exec"
join=$(tail -1 <<<"$out")
expect_contains "$join" "kubeadm join $(addr 4):6443 --token" "the join command names the endpoint"
cluster access8 4:master 8:worker
# --address: the testbed's hosts share one network namespace, so the host's
# kubelet must listen on its own address rather than the usual loopback.
run "$PHAROS" ssh -c "$dir/access8.yml" -a "$(addr 8)" -- env -u PHAROS_PLUGIN_PATH \
        /opt/pharos/pharos --plugin-path /opt/pharos/plugins worker up "'$join'" "$(addr 4)" "$(addr 5)" \
        "$(addr 6)" --address "$(addr 8)"
expect_rc 0 "worker up on host-8"
[[ "$out$err" != *"$(awk '{print $5}' <<<"$join" | cut -d. -f2)"* ]] || fail "the join token was printed"
expect_eq "$(nodes)" "host-2 host-3 host-4 host-5 host-6 host-7 host-8" "host-8 joined"
expect_eq "$(server_of 8 /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
        "host-8's kubelet on its node-local API proxy"
expect_eq "$(proxied 8)" "$(addr 4):6443 $(addr 5):6443 $(addr 6):6443" "host-8's proxy reaches the masters given"
# Run again with other masters: the proxy follows them.
run "$PHAROS" ssh -c "$dir/access8.yml" -a "$(addr 8)" -- env -u PHAROS_PLUGIN_PATH \
        /opt/pharos/pharos --plugin-path /opt/pharos/plugins worker up "'$join'" "$(addr 5)" \
        --address "$(addr 8)"
expect_rc 0 "worker up on host-8 with another master"
expect_contains "$out" "kubeadm.api-proxy" "the proxy is changed"
expect_eq "$(proxied 8)" "$(addr 5):6443" "host-8's proxy reaches the master given"
heartbeat_after 8 "$(date -u +%FT%TZ)"

step "a worker removed from cluster.yml"
masters=(4 5 6)
for i in 2 3 4 5 6 7 8; do changes "$i" >"$dir/changes-$i"; done
writes=$(api_writes "${masters[@]}")
cluster c6 3:worker 4:master 5:master 6:master 7:worker
up c6
expect_rc 0 "up: host-2 dropped"
for i in 2 3 4 5 6 7 8; do
        expect_eq "$(changes "$i")" "$(cat "$dir/changes-$i")" "host-$i unchanged"
done
expect_eq "$(diff <(echo "$writes") <(api_writes "${masters[@]}") | sed -n 's/^> //p')" \
        "PUT /api/v1/namespaces/kube-system/configmaps/pharos-config" \
        "no API write but the stored cluster.yml"
expect_contains "$out" "host-2           not in cluster.yml" "host-2 listed"
expect_contains "$out" "pharos drain host-2 -c $dir/c6.yml" "with the drain command"
expect_contains "$out" "pharos delete-node host-2 -c $dir/c6.yml" "and the delete-node command"
expect_eq "$(nodes)" "host-2 host-3 host-4 host-5 host-6 host-7 host-8" "up deleted no Node"
run "$PHAROS" drain host-2 -c "$dir/c6.yml" --ignore-daemonsets --timeout 60s
expect_rc 0 "drain host-2"
expect_eq "$(api /api/v1/nodes/host-2 | jq -r .spec.unschedulable)" "true" "host-2 cordoned"
on 2 'systemctl stop kubelet'
run "$PHAROS" delete-node host-2 -c "$dir/c6.yml"
expect_rc 0 "delete-node host-2"
expect_eq "$(nodes)" "host-3 host-4 host-5 host-6 host-7 host-8" "host-2's Node gone"
expect_eq "$(members)" "host-4 host-5 host-6" "etcd untouched by workers"

step "refusals"
for i in 3 4 5 6 7; do changes "$i" >"$dir/changes-$i"; done
cluster one 3:worker 4:master 7:worker
up one
expect_rc 2 "back to one master"
expect_contains "$err" "back to one" "back to one explained"
cluster majority 3:worker 4:master 9:master 7:worker
up majority
expect_rc 2 "half of the members"
expect_contains "$err" "would remove 2 of the 3 etcd members" "majority explained"
expect_contains "$err" "Remove fewer masters per run" "what to do instead"
cluster unhealthy 3:worker 4:master 5:master 7:worker
etcd_pid() { on "$1" 'jq -r .pid /var/lib/pharos-testbed/containers/kube-system_etcd_etcd.json'; }
p4=$(etcd_pid 4) p5=$(etcd_pid 5)
on 4 "kill -STOP $p4"
on 5 "kill -STOP $p5"
up unhealthy
expect_rc 2 "no healthy staying master"
expect_contains "$err" "no master that stays in the cluster has a healthy etcd member" \
        "no healthy master explained"
on 4 "kill -CONT $p4"
on 5 "kill -CONT $p5"
for _ in $(seq 120); do
        health=$(etcdctl_on "endpoint health 2>&1" || true)
        [[ "$health" == *"is healthy"* ]] && break
        sleep 0.5
done
expect_contains "$health" "is healthy" "etcd healthy again"
for i in 3 4 5 6 7; do
        expect_eq "$(changes "$i")" "$(cat "$dir/changes-$i")" "host-$i unchanged by the refusals"
done
expect_eq "$(members)" "host-4 host-5 host-6" "three etcd members still"

step "a master reset, then added back"
# `pharos reset -a` on a master: drained, Node deleted, etcd member removed
# (under the same guards), host wiped; the same host then joins again.
run "$PHAROS" reset -c "$dir/c6.yml" -a "$(addr 6)" -y
expect_rc 0 "reset of host-6"
expect_eq "$(members)" "host-4 host-5" "host-6's etcd member removed by the reset"
expect_eq "$(nodes)" "host-3 host-4 host-5 host-7 host-8" "host-6's Node deleted by the reset"
expect_eq "$(footprint 6 | grep -vxE 'conntrack|socat|ebtables|ethtool')" \
        "$(grep -vxE 'conntrack|socat|ebtables|ethtool' "$dir/before-6")" "host-6 wiped"
expect_eq "$(on 6 'ls -d /etc/kubernetes /var/lib/etcd /var/lib/kubelet 2>/dev/null || true')" "" \
        "host-6: no kube files"
up c6
expect_rc 0 "up: host-6 joins again"
expect_eq "$(members)" "host-4 host-5 host-6" "three etcd members again"
expect_eq "$(nodes)" "host-3 host-4 host-5 host-6 host-7 host-8" "host-6's Node is back"

step "a running master removed from cluster.yml, then added back"
# Its member goes while its etcd runs on, which etcd then refuses for good; the
# same host added back has its control plane reset and joins again, so etcd
# has a member per master (never an up that ends well with 2 of 3).
cluster c7 3:worker 4:master 5:master 7:worker
up c7
expect_rc 0 "up: a running master dropped"
expect_eq "$(members)" "host-4 host-5" "its member removed"
expect_contains "$err" "If the host still runs, shut it down first" "warned"
up c6
expect_rc 0 "up: the running host added back"
expect_contains "$err" "etcd has no member for it" "why it is set up again"
expect_contains "$out" "joined the cluster as a control-plane node" "joined again"
expect_eq "$(members)" "host-4 host-5 host-6" "a member per master again"
expect_eq "$(nodes)" "host-3 host-4 host-5 host-6 host-7 host-8" "host-6's Node registered again"
up c6
expect_rc 0 "up again"
expect_contains "$out" "no changes" "membership settled"

step "a running master removed"
# host-6 keeps running: its member goes all the same, and its etcd stops.
cluster c7 3:worker 4:master 5:master 7:worker
up c7 --prune
expect_rc 0 "up --prune: a running master removed"
expect_eq "$(members)" "host-4 host-5" "two etcd members"
expect_contains "$out" "deleted Node host-6" "--prune deleted its Node"
expect_contains "$out" "shut the host down if it still runs" "and says to shut it down"
kill -9 "$(jq -r '.hosts[5].pid' "$dir/hosts.json")"
run api /api/v1/nodes/host-6
expect_rc 22 "no Node host-6"

step "pharos reset"
for i in 3 4 5 7; do changes "$i" >"$dir/changes-$i"; done
run "$PHAROS" reset -c "$dir/c7.yml" -r master -y
expect_rc 2 "reset of every master while workers stay"
expect_contains "$err" "keep a master" "explained"
run "$PHAROS" reset -c "$dir/c7.yml" -a "$(addr 5)" -y
expect_rc 2 "reset back to one master"
expect_contains "$err" "this reset leaves one master" "explained"
run "$PHAROS" reset -c "$dir/c7.yml" </dev/null
expect_rc 2 "reset without -y and without a terminal"
for i in 3 4 5 7; do
        expect_eq "$(changes "$i")" "$(cat "$dir/changes-$i")" "host-$i unchanged by the reset refusals"
done
run "$PHAROS" reset -c "$dir/c7.yml" -y
expect_rc 0 "full reset"
for i in 3 4 5 7; do
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
step "done"
finish
