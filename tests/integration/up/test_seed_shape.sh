#!/usr/bin/env bash
# The seed's cluster.yml shape (1 master, 2 workers, weave, firewalld enabled)
# on Ubuntu 24.04 hosts through every plugin: nodes Ready with `pharos
# kubeconfig`, the firewalld rules in place, every image the cluster names
# present in its registry, a re-run that changes nothing, then the changes
# stored state refuses (network.provider, service_cidr, pod_network_cidr, a
# host's role): each exit 2 with its explanation and nothing changed.
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
cleanup() {
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
cfg_edit "$cfg" 'd["network"] = {"provider": "weave", "firewalld": {"enabled": True}}'

run "$PHAROS" up -c "$cfg"
expect_rc 0 "first up"
expect_contains "$out" "firewalld.configure" "firewalld configured"

kubeconfig_for "$dir" "$cfg"
expect_eq "$(nodes_ready "$dir" 3)" "3/3" "every node Ready (kubectl through pharos kubeconfig)"
expect_eq "$(kubectl --kubeconfig "$dir/kubeconfig" -n kube-system get daemonset weave-net \
        -o jsonpath='{.status.numberReady}')" "3" "weave on every node"
expect_eq "$(images_resolve "$dir" "$dir/tb")" "" "every image the cluster names is in its registry"

# The original's open ports per role, the pod and service ranges trusted.
fw() { on "$dir/tb" "$1" firewall-cmd --permanent "--zone=$2" "--list-$3"; }
expect_eq "$(on "$dir/tb" host-1 systemctl is-active firewalld)" "active" "firewalld runs"
master_ports=$(fw host-1 public ports)
worker_ports=$(fw host-2 public ports)
for p in 22/tcp 6443/tcp 30000-32767/tcp 30000-32767/udp; do
        expect_contains " $master_ports " " $p " "master opens $p"
done
for p in 22/tcp 80/tcp 443/tcp 30000-32767/tcp; do
        expect_contains " $worker_ports " " $p " "worker opens $p"
done
[[ " $worker_ports " == *" 6443/tcp "* ]] && fail "a worker opens the API port"
trusted=$(fw host-2 trusted sources)
expect_contains " $trusted " " 10.32.0.0/12 " "pod network trusted"
expect_contains " $trusted " " 10.96.0.0/12 " "service range trusted"

before=$(changes_all "$dir/tb")
run "$PHAROS" up -c "$cfg" --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up says no changes"
expect_eq "$(changes_all "$dir/tb")" "$before" "no mutating command on any host"

# Refused changes: stored state says what the cluster is; nothing may move.
refuse() { # WHAT EDIT MESSAGE
        cp "$cfg" "$dir/changed.yml"
        cfg_edit "$dir/changed.yml" "$2"
        run "$PHAROS" up -c "$dir/changed.yml"
        expect_rc 2 "$1 refused"
        expect_contains "$err" "$3" "$1 explained"
        expect_contains "$err" "Nothing was changed." "$1 changes nothing"
        expect_eq "$(changes_all "$dir/tb")" "$before" "$1: no mutating command"
}
refuse "network.provider" 'd["network"]["provider"] = "calico"' \
        "network.provider: the cluster has weave, cluster.yml says calico"
refuse "network.service_cidr" 'd["network"]["service_cidr"] = "10.112.0.0/12"' \
        "network.service_cidr: the cluster has 10.96.0.0/12"
refuse "network.pod_network_cidr" 'd["network"]["pod_network_cidr"] = "10.48.0.0/12"' \
        "network.pod_network_cidr: the cluster has 10.32.0.0/12"
a2=$(jq -r '.hosts[1].address' "$dir/tb/hosts.json")
refuse "a host's role" 'd["hosts"][1]["role"] = "master"' "host $a2 is a worker in the cluster"
expect_eq "$(nodes_ready "$dir" 3)" "3/3" "the cluster is as it was"
finish
