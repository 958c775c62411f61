#!/usr/bin/env bash
# Workers through their life, as the seed describes it, on one testbed with
# every plugin: 1 master + 1 worker up; a worker added to cluster.yml (only
# that host changes); a host joined with `pharos worker up` run on the host
# itself with the join command from `pharos exec`; a worker removed from
# cluster.yml (up changes nothing and lists it); `pharos drain` (DaemonSet
# pods need --ignore-daemonsets, a PodDisruptionBudget blocks until the
# timeout, then the relaxed budget lets it evict); `pharos delete-node`.
# The Node list is checked after every step.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$(dirname "$0")/../../lib/admin_pem.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
cp "$PLUGINS"/*.so "$dir/plugins/"
# host-4, joined by `pharos worker up`, is an EL host running firewalld.
"$TESTBED" start --hosts 4 --masters 1 --os ubuntu-24.04,ubuntu-24.04,ubuntu-24.04,rocky-9 \
        --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
pharos() { "$PHAROS" --plugin-path "$dir/plugins" "$@"; }
cp "$dir/cluster.yml" "$dir/all.yml"
# cluster.yml with the testbed hosts numbered in $@ (1-based).
hosts() {
        python3 - "$dir/all.yml" "$dir/cluster.yml" "$@" <<'PY'
import sys, yaml
src, dst, keep = sys.argv[1], sys.argv[2], [int(i) - 1 for i in sys.argv[3:]]
doc = yaml.safe_load(open(src))
doc["hosts"] = [doc["hosts"][i] for i in keep]
yaml.safe_dump(doc, open(dst, "w"))
PY
}
# Progress with the seconds since the start, to see where the time goes.
step() { echo "[${SECONDS}s] $*"; }
changes() { on "$1" cat /var/log/pharos-testbed/journal.jsonl | jq -c 'select(.changed) | .argv'; }

step "1 master + 1 worker up"
hosts 1 2
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "first up"

# The API as the admin, straight to the master (the test's own view).
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() {
        local path=$1
        shift
        curl -fsSk --cert "$dir/admin.pem" "$@" "https://$(addr 0):6443$path"
}
nodes() { api /api/v1/nodes | jq -r '[.items[].metadata.name] | sort | join(" ")'; }
expect_eq "$(nodes)" "host-1 host-2" "nodes after the first up"

step "a worker added to cluster.yml"
# 1. A worker added to cluster.yml: it joins; elsewhere only the master makes a join token.
for i in 1 2; do changes "$i" >"$dir/before-$i"; done
hosts 1 2 3
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "up with host-3 added"
expect_contains "$out" "kubeadm.join-workers" "host-3 joins"
expect_eq "$(changes 2 | diff "$dir/before-2" - | grep -c '^>' || true)" "0" "host-2 unchanged"
expect_eq "$(changes 1 | diff "$dir/before-1" - | grep '^>' | grep -vc 'kubeadm","token","create' || true)" \
        "0" "the master only made a join token"
expect_contains "$(changes 3)" '"kubeadm","join"' "host-3 ran kubeadm join"
expect_eq "$(nodes)" "host-1 host-2 host-3" "nodes after adding host-3"

step "pharos worker up on host-4"
# 2. host-4 joins with `pharos worker up` run on itself, as the pharos user over SSH
#    (local transport and sudo there); pharos and its plugins are copied onto the host.
root4=$(jq -r '.hosts[3].root' "$dir/hosts.json")
mkdir -p "$root4/opt/pharos/plugins"
cp "$PHAROS" "$root4/opt/pharos/pharos"
cp "$dir"/plugins/*.so "$root4/opt/pharos/plugins/"
on 4 sh -c 'dnf install -y firewalld >/dev/null && systemctl start firewalld'
run pharos exec -c "$dir/cluster.yml" -r master -f sudo kubeadm token create --print-join-command
expect_rc 0 "join command from pharos exec"
join=$(tail -1 <<<"$out")
token=$(awk '{print $5}' <<<"$join")
expect_contains "$join" "kubeadm join" "a join command"
wu() {
        run pharos ssh -c "$dir/all.yml" -a "$(addr 3)" -- /opt/pharos/pharos \
                --plugin-path /opt/pharos/plugins "$@"
}
# The first master given does not answer (at a port of its own): the join goes through the next.
master=$(addr 0)
dead=${master%.*}.250
# A proxy for the kubelet and kubeadm (--control-plane-proxy); the package mirror and the
# cluster are exempt through no_proxy.
opts=(--address "$(addr 3)" --label tier=batch --taint dedicated=batch:NoSchedule
        --insecure-registry registry.example:5000 --image-repository registry.example/k8s
        --control-plane-proxy -e HTTPS_PROXY=http://proxy.invalid:3128
        -e "NO_PROXY=pkgs.k8s.io,download.docker.com,127.0.0.0/8")
# A join command pinning another CA: the master is refused before anything is done here.
bad_pin=sha256:$(printf '0%.0s' $(seq 64))
wu worker up "'${join% --discovery-token-ca-cert-hash *} --discovery-token-ca-cert-hash $bad_pin'" "$(addr 0)" "${opts[@]}"
expect_rc 1 "worker up with a master whose CA is not pinned"
expect_contains "$err" "$(addr 0):6443: the cluster CA is not the one the join command pins" "CA pin refused"
run on 4 test -e /etc/kubernetes/kubelet.conf
expect_rc 1 "nothing joined without the pinned CA"
wu -v worker up "'$join'" "$dead:7443" "$(addr 0)" "${opts[@]}"
expect_rc 0 "worker up"
expect_contains "$out" "master $(addr 0):6443 answers" "the first master that answers"
expect_contains "$out" "kubeadm.worker-up-join" "joined by the worker-up step"
expect_contains "$out" "\`pharos up\` will not upgrade or reconfigure it" "upgrade caveat"
expect_contains "$out" "does not configure firewalld" "firewalld caveat"
expect_contains "$err" "firewalld is running on this host" "running firewalld warned about"
[[ "$out$err" != *"${token#*.}"* ]] || fail "the join token was printed"
expect_eq "$(nodes)" "host-1 host-2 host-3 host-4" "nodes after worker up"
expect_eq "$(on 4 grep -c '^Environment="HTTPS_PROXY=http://proxy.invalid:3128"$' \
        /etc/systemd/system/kubelet.service.d/10-pharos-proxy.conf)" "1" "the kubelet gets the proxy"
run on 4 test -s /etc/containerd/certs.d/registry.example:5000/hosts.toml
expect_rc 0 "--insecure-registry reaches containerd"
expect_contains "$(on 4 cat /etc/containerd/config.toml)" "registry.example/k8s/pause" \
        "--image-repository gives the pause image"
# Its kubelet reaches the masters given through its node-local API proxy,
# which leaves out the one that does not answer.
expect_contains "$(on 4 cat /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
        "the kubelet talks to its API proxy"
expect_eq "$(on 4 sh -c 'grep "^	server " /etc/kubernetes/pharos/api-proxy.cfg | cut -f3 -d" " | paste -sd" "')" \
        "$dead:7443 $(addr 0):6443" "the proxy reaches the masters given, at the ports given"
expect_contains "$(on 4 cat /etc/kubernetes/manifests/pharos-api-proxy.yaml)" \
        "image: registry.example/k8s/haproxy:2.6" "--image-repository gives the API proxy's image"
node4=$(api /api/v1/nodes/host-4 || true)
expect_eq "$(jq -r '.metadata.labels.tier' <<<"$node4")" "batch" "--label on host-4"
expect_eq "$(jq -c '[.spec.taints[] | select(.key == "dedicated") | [.value, .effect]]' <<<"$node4")" \
        '[["batch","NoSchedule"]]' "--taint on host-4"
expect_eq "$(jq -r '[.status.addresses[] | select(.type == "InternalIP") | .address][0]' <<<"$node4")" \
        "$(addr 3)" "host-4 advertises its address"
wu worker up "'$join'" "$dead:7443" "$(addr 0)" "${opts[@]}"
expect_rc 0 "worker up again"
expect_contains "$out" "worker up: no changes" "second worker up changes nothing"
wu worker up "'$join'" "$(addr 0)" "${opts[@]}"
expect_rc 0 "worker up with the master that answers"
expect_contains "$out" "worker up: 1 change" "only the proxy follows the masters given"
expect_eq "$(on 4 sh -c 'grep "^	server " /etc/kubernetes/pharos/api-proxy.cfg | cut -f3 -d" "')" \
        "$(addr 0):6443" "the proxy reaches that master only"
wu worker up "'kubeadm join nothing'" "$(addr 0)"
expect_rc 2 "a malformed join command is a usage error"
wu worker up "'$join'" "$(addr 0)" "[fd00::1"
expect_rc 2 "a master that is no address is a usage error"
expect_contains "$err" "master '[fd00::1' is not HOST, HOST:PORT" "and named"
run pharos worker up --help
expect_rc 0 "worker up --help"
for opt in --container-runtime --label --taint --insecure-registry --image-repository --env --address \
        --control-plane-proxy; do
        expect_contains "$out" "$opt" "--help lists $opt"
done

step "host-2 removed from cluster.yml"
# 3. host-2 removed from cluster.yml: up changes no host and lists it, with the commands.
for i in 1 2 3 4; do changes "$i" >"$dir/before-$i"; done
hosts 1 3
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "up without host-2"
for i in 1 2 3 4; do
        expect_eq "$(changes "$i" | diff "$dir/before-$i" - | grep -c '^>' || true)" "0" "host-$i unchanged"
done
expect_contains "$out" "host-2           not in cluster.yml" "host-2 listed"
expect_contains "$out" "pharos drain host-2 -c $dir/cluster.yml" "drain command"
expect_contains "$out" "pharos delete-node host-2 -c $dir/cluster.yml" "delete-node command"
expect_contains "$out" "host-4           joined with \`pharos worker up\`" "host-4 listed apart"
expect_eq "$(nodes)" "host-1 host-2 host-3 host-4" "up deleted no Node"

step "drain host-2"
# 4. Drain host-2: two pods of a Deployment there, guarded by a budget that allows none.
api /apis/apps/v1/namespaces/default/deployments -X POST -H 'Content-Type: application/json' -d '{
  "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
      "nodeSelector": {"kubernetes.io/hostname": "host-2"},
      "containers": [{"name": "web", "image": "nginx"}]}}}}' >/dev/null
api /apis/policy/v1/namespaces/default/poddisruptionbudgets -X POST -H 'Content-Type: application/json' \
        -d '{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}' >/dev/null
running_web() {
        api "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dhost-2" |
                jq '[.items[] | select(.status.phase == "Running")] | length'
}
for _ in $(seq 60); do
        [ "$(running_web)" = 2 ] && break
        sleep 0.5
done
expect_eq "$(running_web)" "2" "web runs twice on host-2"

run pharos drain host-2 -c "$dir/cluster.yml" --timeout 30s
expect_rc 1 "DaemonSet pods refuse the drain"
expect_contains "$err" "DaemonSet-managed Pods (use --ignore-daemonsets" "says which option"
expect_eq "$(running_web)" "2" "nothing evicted when refused"

start=$(date +%s)
run pharos drain host-2 -c "$dir/cluster.yml" --timeout 6s --ignore-daemonsets
took=$(($(date +%s) - start))
expect_rc 1 "the budget blocks the drain"
expect_contains "$err" "drain timed out: a disruption budget still prevents evicting default/web-" "timeout explained"
expect_contains "$out" "will retry after 5s" "retried while blocked"
((took >= 6 && took < 30)) || fail "the drain gave up after ${took}s, not at its 6s timeout"
expect_eq "$(running_web)" "2" "the budget kept both pods"
expect_eq "$(api /api/v1/nodes/host-2 | jq -r .spec.unschedulable)" "true" "host-2 cordoned"

api /apis/policy/v1/namespaces/default/poddisruptionbudgets/web -X PATCH \
        -H 'Content-Type: application/merge-patch+json' -d '{"spec": {"minAvailable": 0}}' >/dev/null
run pharos drain host-2 -c "$dir/cluster.yml" --timeout 60s --ignore-daemonsets
expect_rc 0 "drain with the budget relaxed"
expect_contains "$out" "ignoring DaemonSet-managed pod kube-system/weave-net-" "DaemonSet pods left"
expect_contains "$out" "node host-2 drained" "drained"
left=$(api "/api/v1/pods?fieldSelector=spec.nodeName%3Dhost-2" |
        jq -r '[.items[] | select(.metadata.ownerReferences[0].kind != "DaemonSet") | .metadata.name] | join(" ")')
expect_eq "$left" "" "only DaemonSet pods left on host-2"
expect_eq "$(nodes)" "host-1 host-2 host-3 host-4" "drain keeps the Node"

step "delete-node host-2"
# 5. The host is terminated (its kubelet stops), then its Node deleted.
on 2 systemctl stop kubelet
run pharos delete-node host-2 -c "$dir/cluster.yml"
expect_rc 0 "delete-node"
expect_contains "$out" "node host-2 deleted" "says so"
expect_eq "$(nodes)" "host-1 host-3 host-4" "nodes after delete-node"
run pharos delete-node host-2 -c "$dir/cluster.yml"
expect_rc 1 "no such node any more"
run pharos drain -c "$dir/cluster.yml"
expect_rc 2 "drain without a node"
run pharos drain host-3 -c "$dir/cluster.yml" --timeout soon
expect_rc 2 "a bad timeout"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "up after the removal"
[[ "$out" != *"host-2"* ]] || fail "host-2 still listed after its Node was deleted"
expect_eq "$(nodes)" "host-1 host-3 host-4" "nodes at the end"
step "done"
finish
