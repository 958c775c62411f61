#!/usr/bin/env bash
# The network plugins on one testbed cluster (1 master, 1 worker; the hosts
# prepared by hand as in the kubeadm test, so only kubeadm and the network
# plugins load): calico with ipip_mode Always, then CrossSubnet and Never
# (only the DaemonSet and the pool change), a re-run that writes nothing, a
# pool CIDR change refused before anything changes; then, with the cluster's
# stored state removed, network.provider custom from a manifest directory
# next to cluster.yml: variables filled in, an unknown one refused with its
# file and line, a new file's objects created, a removed file's pruned.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../kubeadm/prepare_by_hand.sh
. "$here/../kubeadm/prepare_by_hand.sh"
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$here/../../lib/admin_pem.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
for p in kubeadm network-weave network-calico network-custom; do
        cp "$PLUGINS/$p.so" "$dir/plugins/"
done
"$TESTBED" start --hosts 2 --dir "$dir/tb" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/tb/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir/tb" --host "host-$1" -- "${@:2}"; }
prepare_by_hand "$dir/tb" 2 1.37

cfg=$dir/cluster.yml
write_cfg() { # NETWORK-YAML (indented under network:)
        cat "$dir/tb/cluster.yml"
        printf 'kubernetes:\n  version: 1.37.2\nnetwork:\n%s\n' "$1"
}
calico() { # IPIP_MODE [POD_CIDR]
        write_cfg "  provider: calico
  pod_network_cidr: ${2:-10.32.0.0/12}
  calico:
    ipip_mode: $1
    mtu: 1450
    environment:
      FELIX_LOGSEVERITYSCREEN: warning" >"$cfg"
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$cfg" "$@"; }

calico Always
up
expect_rc 0 "first up with calico"
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
ds_env() { api /apis/apps/v1/namespaces/kube-system/daemonsets/calico-node |
        jq -r --arg n "$1" '.spec.template.spec.containers[0].env[] | select(.name == $n) | .value'; }
pool() { api /apis/crd.projectcalico.org/v1/ippools/default-ipv4-ippool | jq -r "$1"; }
# "Kind/name checksum" of every object of stack $1: what pharos wrote.
objects() {
        local p
        for p in /apis/apiextensions.k8s.io/v1/customresourcedefinitions \
                /apis/rbac.authorization.k8s.io/v1/clusterroles \
                /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
                /api/v1/serviceaccounts /api/v1/configmaps /api/v1/services \
                /apis/apps/v1/daemonsets /apis/apps/v1/deployments \
                /apis/policy/v1/poddisruptionbudgets \
                /apis/crd.projectcalico.org/v1/ippools; do
                api "$p?labelSelector=pharos.kontena.io%2Fstack%3D$1" 2>/dev/null |
                        jq -r '.items[] | "\(.kind)/\(.metadata.name) \(.metadata.annotations."pharos.kontena.io/stack-checksum")"'
        done | sort
}
changed_objects() { diff <(echo "$1") <(echo "$2") | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' '; }

expect_eq "$(ds_env CALICO_IPV4POOL_IPIP)" "Always" "IPIP Always on calico-node"
expect_eq "$(ds_env CALICO_IPV4POOL_CIDR)" "10.32.0.0/12" "pool CIDR on calico-node"
expect_eq "$(ds_env IP_AUTODETECTION_METHOD)" "can-reach=$(addr 0)" "addresses detected toward the master"
expect_eq "$(ds_env FELIX_IPINIPMTU)" "1430" "tunnel MTU: mtu less the IPIP header"
expect_eq "$(ds_env FELIX_LOGSEVERITYSCREEN)" "warning" "environment passed to calico-node"
expect_eq "$(api /api/v1/namespaces/kube-system/configmaps/calico-config | jq -r .data.veth_mtu)" "1430" \
        "veth MTU in the config map"
expect_eq "$(pool '.spec.cidr + " " + .spec.ipipMode + " " + (.spec.natOutgoing | tostring)')" \
        "10.32.0.0/12 Always true" "the default pool"
expect_eq "$(api /apis/apiextensions.k8s.io/v1/customresourcedefinitions | jq '[.items[] | select(.spec.group == "crd.projectcalico.org")] | length')" \
        "19" "Calico's CRDs accepted"
expect_eq "$(objects weave)" "" "no weave object"
run api /apis/apps/v1/namespaces/kube-system/daemonsets/weave-net
expect_rc 22 "weave-net DaemonSet absent"
before=$(objects calico)
expect_eq "$(wc -l <<<"$before")" "35" "the whole calico stack is there"
ready=0
for _ in $(seq 60); do
        ready=$(api /apis/apps/v1/namespaces/kube-system/daemonsets/calico-node | jq -r '.status.numberReady // 0')
        [[ "$ready" == 2 ]] && break
        sleep 1
done
expect_eq "$ready" "2" "calico-node on both hosts"

# Without IPIP the pods' MTU (in the config map) grows by the header too.
for step in "CrossSubnet 2 " "Never 3 ConfigMap/calico-config"; do
        read -r mode n cm <<<"$step"
        calico "$mode"
        up
        expect_rc 0 "ipip_mode $mode"
        expect_contains "$out" "stack calico: 0 created, $n updated, 0 pruned" "only $n objects written ($mode)"
        after=$(objects calico)
        expect_eq "$(changed_objects "$before" "$after")" "${cm:+$cm }DaemonSet/calico-node IPPool/default-ipv4-ippool " \
                "only the calico objects concerned changed ($mode)"
        expect_eq "$(ds_env CALICO_IPV4POOL_IPIP)" "$mode" "calico-node's IPIP ($mode)"
        expect_eq "$(pool .spec.ipipMode)" "$mode" "the pool's IPIP ($mode)"
        before=$after
done
expect_eq "$(ds_env FELIX_IPINIPMTU)" "1450" "no IPIP: the whole MTU"

up --output json
expect_rc 0 "re-run"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "re-run says no changes"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "" "no step changed"
expect_eq "$(objects calico)" "$before" "re-run wrote no calico object"

calico Never 10.64.0.0/16
up
expect_rc 2 "pool CIDR change refused"
# the pool check (validate phase) speaks first; the stored state would say the same
expect_contains "$err" "10.32.0.0/12, cluster.yml says 10.64.0.0/16" "refusal explained"
expect_eq "$(ds_env CALICO_IPV4POOL_CIDR)" "10.32.0.0/12" "calico-node untouched"

# Without pharos' record of the cluster, Calico's pool still refuses it,
# in the validate phase (before any change).
curl -fsSk --cert "$dir/admin.pem" -X DELETE \
        "https://$(addr 0):6443/api/v1/namespaces/kube-system/configmaps/pharos-config" >/dev/null
up
expect_rc 2 "pool CIDR change refused by the pool"
expect_contains "$err" "default-ipv4-ippool has 10.32.0.0/12, cluster.yml says 10.64.0.0/16" "pool refusal explained"
expect_contains "$err" "phase validate" "refused while validating"
expect_eq "$(objects calico)" "$before" "nothing written"

# network.provider custom, manifests in a directory beside cluster.yml.
mkdir "$dir/net"
cat >"$dir/net/10-config.yml" <<'YML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: my-net-config
  namespace: kube-system
data:
  pods: ${pod_network_cidr}
  services: ${service_cidr}
  master: ${master_address}
  mode: ${options.mode}
  script: echo $${HOME}
YML
cat >"$dir/net/20-agent.yaml" <<'YML'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: my-net-agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: my-net-agent}
  template:
    metadata:
      labels: {app: my-net-agent}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers:
        - name: agent
          image: example.com/my-net/agent:${kube_version}
YML
echo "not a manifest: \${ignored}" >"$dir/net/README.txt"
custom() { # MANIFEST_PATH
        write_cfg "  provider: custom
  custom:
    manifest_path: $1
    options:
      mode: vxlan" >"$cfg"
}
custom net
# From elsewhere: the manifest path is taken from cluster.yml's directory.
cd /
cat >>"$dir/net/30-typo.yml" <<'YML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: typo
  namespace: kube-system
data:
  x: ${pod_network_cdir}
YML
up
expect_rc 2 "unknown variable refused"
expect_contains "$err" "$dir/net/30-typo.yml:7: \${pod_network_cdir} is not a known variable" "file and line named"
rm "$dir/net/30-typo.yml"
up
expect_rc 0 "custom network up"
cm=$(api /api/v1/namespaces/kube-system/configmaps/my-net-config)
expect_eq "$(jq -r '.data | [.pods, .services, .master, .mode, .script] | join(" ")' <<<"$cm")" \
        "10.32.0.0/12 10.96.0.0/12 $(addr 0) vxlan echo \${HOME}" "variables filled in"
expect_eq "$(api /apis/apps/v1/namespaces/kube-system/daemonsets/my-net-agent | jq -r '.spec.template.spec.containers[0].image')" \
        "example.com/my-net/agent:1.37.2" "kube_version filled in"
expect_eq "$(objects calico)" "$before" "calico stack left alone"
up
expect_rc 0 "custom re-run"
expect_contains "$out" "no changes" "custom re-run changes nothing"
cat >"$dir/net/15-extra.yml" <<'YML'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: my-net-extra
  namespace: kube-system
YML
up
expect_rc 0 "a file added"
expect_contains "$out" "stack custom-network: 1 created, 0 updated, 0 pruned" "its object created"
expect_eq "$(api /api/v1/namespaces/kube-system/serviceaccounts/my-net-extra | jq -r '.metadata.labels."pharos.kontena.io/stack"')" \
        "custom-network" "the new object is in the stack"
custom_before=$(objects custom-network)
rm "$dir/net/20-agent.yaml"
up
expect_rc 0 "a file removed"
expect_contains "$out" "stack custom-network: 0 created, 0 updated, 1 pruned" "its object pruned"
run api /apis/apps/v1/namespaces/kube-system/daemonsets/my-net-agent
expect_rc 22 "my-net-agent gone"
expect_eq "$(objects custom-network)" "$(grep -v DaemonSet <<<"$custom_before")" "the rest kept as it was"
finish
