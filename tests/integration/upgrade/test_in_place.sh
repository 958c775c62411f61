#!/usr/bin/env bash
# `pharos up` upgrading a cluster in place across one minor, as kubernetes.io's
# "Upgrading kubeadm clusters" does it: 2 masters + 2 workers at 1.36.2 moved
# to the next patch, 1.36.3, then cluster.yml says 1.37.2. --plan names the
# order; the run is interrupted
# after the first master's `kubeadm upgrade apply` and the next run takes it
# up where it stopped; a Deployment with a PodDisruptionBudget stays
# available throughout; every node's kubelet, every control plane and the
# stored state end at 1.37.2, each node drained and uncordoned; one more run
# changes nothing. Three Ubuntu hosts and an EL worker. The resumed run has
# upgrade.max_unavailable: 2, so both workers are drained at once, the PDB
# holding the second drain until the first worker is back.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$(dirname "$0")/../../lib/admin_pem.sh"
dir=$(mktemp -d)
watcher=""
cleanup() {
        [ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
cp "$PLUGINS"/*.so "$dir/plugins/"
# host-4 is an EL host: its packages move with dnf.
"$TESTBED" start --hosts 4 --masters 2 --os ubuntu-24.04,ubuntu-24.04,ubuntu-24.04,rocky-9 \
        --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
step() { echo "[${SECONDS}s] $*"; }
# set_key SECTION KEY VALUE: cluster.yml's SECTION.KEY becomes the YAML VALUE.
set_key() {
        python3 - "$dir/cluster.yml" "$1" "$2" "$3" <<'PY'
import sys, yaml
path, section, key, value = sys.argv[1:]
doc = yaml.safe_load(open(path))
doc.setdefault(section, {})[key] = yaml.safe_load(value)
yaml.safe_dump(doc, open(path, "w"))
PY
}
version() { set_key kubernetes version "\"$1\""; }
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" "$@"; }

step "2 masters + 2 workers at 1.36.2"
version 1.36.2
up
expect_rc 0 "first up"
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1" "${@:2}"; }
kubelets() { api /api/v1/nodes | jq -r '[.items[] | .metadata.name + "=" + .status.nodeInfo.kubeletVersion] | sort | join(" ")'; }
apiservers() { for i in 0 1; do curl -fsSk --cert "$dir/admin.pem" "https://$(addr "$i"):6443/version" | jq -r .gitVersion; done | paste -sd' '; }
journal() { on "$1" cat /var/log/pharos-testbed/journal.jsonl | jq -r 'select(.argv) | .argv | join(" ")'; }

step "a patch release: 1.36.3"
version 1.36.3
up
expect_rc 0 "patch upgrade"
expect_eq "$(apiservers)" "v1.36.3 v1.36.3" "both API servers at 1.36.3"
expect_eq "$(kubelets)" "host-1=v1.36.3 host-2=v1.36.3 host-3=v1.36.3 host-4=v1.36.3" "every kubelet at 1.36.3"
expect_eq "$(journal 2 | grep -c "kubeadm upgrade apply" || true)" "0" "apply on host-1 only"

step "a Deployment of 2 with a PodDisruptionBudget of 1 on the workers"
api /apis/apps/v1/namespaces/default/deployments -X POST -H 'Content-Type: application/json' -d '{
  "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
      "containers": [{"name": "web", "image": "nginx"}]}}}}' >/dev/null
api /apis/policy/v1/namespaces/default/poddisruptionbudgets -X POST -H 'Content-Type: application/json' \
        -d '{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
             "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}' >/dev/null
running_web() {
        api "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb" 2>/dev/null |
                jq '[.items[] | select(.status.phase == "Running" and (.metadata.deletionTimestamp == null))] | length'
}
for _ in $(seq 60); do
        [ "$(running_web)" = 2 ] && break
        sleep 0.5
done
expect_eq "$(running_web)" "2" "web runs twice"
# The fewest web pods running, and the most Nodes cordoned at once, seen by a
# watcher polling through the whole upgrade.
cordoned() { api /api/v1/nodes 2>/dev/null | jq '[.items[] | select(.spec.unschedulable == true)] | length'; }
(
        while :; do
                n=$(running_web) || n=""
                [ -z "$n" ] || echo "$n" >>"$dir/running"
                n=$(cordoned) || n=""
                [ -z "$n" ] || echo "$n" >>"$dir/cordoned"
                sleep 0.3
        done
) &
watcher=$!

step "--plan names the upgrade, host by host"
version 1.37.2
up --plan
expect_rc 0 "plan"
expect_contains "$out" "kubeadm.upgrade-masters" "the masters' step"
expect_contains "$out" "control plane at v1.36.3, kubelet at v1.36.3 to 1.37.2" "what a master has and gets"
expect_contains "$out" "kubeadm.upgrade-workers" "the workers' step"
expect_eq "$(apiservers)" "v1.36.3 v1.36.3" "--plan upgraded nothing"

step "an upgrade interrupted after the first master's kubeadm upgrade apply"
node_upgrades_3=$(journal 3 | grep -c "kubeadm upgrade node" || true)
"$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" >"$dir/up1.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
        journal 1 | grep -q "kubeadm upgrade apply v1.37.2 --yes" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
done
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" -ne 0 ] || fail "the interrupted run exited 0: $(tail -5 "$dir/up1.out")"
tail -3 "$dir/up1.out"
expect_contains "$(journal 1)" "kubeadm upgrade apply v1.37.2 --yes" "host-1 ran upgrade apply"
expect_eq "$(journal 3 | grep -c "kubeadm upgrade node" || true)" "$node_upgrades_3" "the worker not reached"

step "the next run takes it up, both workers at once"
set_key upgrade max_unavailable 2
up
expect_rc 0 "resumed"
grep -E "upgrade-(masters|workers)" <<<"$out" || true
expect_contains "$out" "kubeadm upgrade node" "host-2 upgraded by upgrade node"
expect_eq "$(apiservers)" "v1.37.2 v1.37.2" "both API servers at 1.37.2"
expect_eq "$(kubelets)" "host-1=v1.37.2 host-2=v1.37.2 host-3=v1.37.2 host-4=v1.37.2" "every kubelet at 1.37.2"
expect_eq "$(journal 2 | grep -c "kubeadm upgrade apply" || true)" "0" "apply ran once, on host-1"
for i in 3 4; do
        expect_contains "$(journal "$i")" "kubeadm upgrade node" "host-$i: kubeadm upgrade node"
done
expect_eq "$(api /api/v1/nodes | jq -r '[.items[] | select(.spec.unschedulable == true) | .metadata.name] | join(" ")')" \
        "" "every node uncordoned"
expect_contains "$(api /api/v1/namespaces/kube-system/configmaps/kubeadm-config | jq -r .data.ClusterConfiguration)" \
        "kubernetesVersion: v1.37.2" "kubeadm-config at 1.37.2"
expect_eq "$(api /api/v1/namespaces/kube-system/configmaps/pharos-config | jq -r '.data["kubernetes.version"]')" \
        "1.37.2" "the state at 1.37.2"
# shellcheck disable=SC2016 # dpkg-query's format
for i in 1 2 3; do
        expect_eq "$(on "$i" dpkg-query -W -f='${Version} ' kubelet kubeadm kubectl)" \
                "1.37.2-1.1 1.37.2-1.1 1.37.2-1.1 " "host-$i's packages"
        expect_contains "$(on "$i" cat /etc/apt/sources.list.d/kubernetes.list)" "/v1.37/" \
                "host-$i's repository at the new minor"
done
expect_eq "$(on 4 rpm -q --qf '%{VERSION} ' kubelet kubeadm kubectl)" "1.37.2 1.37.2 1.37.2 " \
        "host-4's rpms"
kill "$watcher"
watcher=""
expect_eq "$(sort -n "$dir/running" | head -1)" "1" "web stayed available, one pod at the least"
expect_eq "$(sort -n "$dir/cordoned" | tail -1)" "2" "upgrade.max_unavailable: 2 drained both workers at once"

step "a Node left cordoned by an upgrade that stopped is uncordoned, an admin's cordon stays"
patch() { api "/api/v1/nodes/$1" -X PATCH -H 'Content-Type: application/merge-patch+json' -d "$2" >/dev/null; }
patch host-3 '{"spec": {"unschedulable": true}, "metadata": {"annotations": {"pharos.kontena.io/upgrading": "1.37.2"}}}'
patch host-4 '{"spec": {"unschedulable": true}}'
up
expect_rc 0 "up after the stopped upgrade"
expect_contains "$out" "uncordoned Node host-3, left cordoned by an upgrade that stopped" "says so"
expect_eq "$(api /api/v1/nodes/host-3 | jq -r '(.spec.unschedulable // false), (.metadata.annotations["pharos.kontena.io/upgrading"] // "none")' | paste -sd' ')" \
        "false none" "host-3 uncordoned, its mark gone"
expect_eq "$(api /api/v1/nodes/host-4 | jq -r .spec.unschedulable)" "true" "host-4 stays cordoned"
patch host-4 '{"spec": {"unschedulable": false}}'

step "one more run changes nothing"
up --output json
expect_rc 0 "no-change run"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "no changes"
finish
