#!/usr/bin/env bash
# network.node_local_dns_cache with the kubeadm plugin on testbed hosts
# prepared by hand (1 master, 1 worker), kube-proxy in IPVS mode: a cluster
# without it, then turned on (upstream's objects in kube-system with the
# cluster's values, every kubelet's clusterDNS the link-local address), a
# second run with no changes, and turned off (the objects gone, the kubelets
# back on the kube-dns ClusterIP).
set -euo pipefail
: "${PHAROS:?}" "${PLUGIN:?}" "${TESTBED:?}"
version=1.37.2
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$(dirname "$0")/../../lib/admin_pem.sh"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=prepare_by_hand.sh
. "$here/prepare_by_hand.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
cp "$PLUGIN" "$dir/plugins/"
"$TESTBED" start --hosts 2 --masters 1 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
prepare_by_hand "$dir" 2 "${version%.*}"
cp "$dir/cluster.yml" "$dir/hosts.yml"

# write_cfg BOOL: the testbed's hosts, IPVS, a service range of its own and the key.
write_cfg() {
        python3 - "$dir/hosts.yml" "$dir/cluster.yml" "$version" "$1" <<'PY'
import sys, yaml
src, dst, version, on = sys.argv[1:]
doc = yaml.safe_load(open(src))
doc["kubernetes"] = {"version": version}
doc["kube_proxy"] = {"mode": "ipvs"}
doc["network"] = {"service_cidr": "10.100.0.0/16", "node_local_dns_cache": on == "true"}
yaml.safe_dump(doc, open(dst, "w"))
PY
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" "$@"; }
changed() { jq -r 'select(.status == "changed") | .step' <<<"$out" | sort -u | tr '\n' ' '; }
cluster_dns() { on "$1" cat /var/lib/kubelet/config.yaml | python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["clusterDNS"])'; }

write_cfg false
up --output json
expect_rc 0 "first up without node-local-dns"
[[ $rc -eq 0 ]] || { echo "$out" | tail -20; echo "$err" | tail -20; finish; exit 1; }
expect_not_contains "$(changed)" "kubeadm.node-local-dns" "nothing to remove on a new cluster"

on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
code() { curl -sk -o /dev/null -w '%{http_code}' --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
ks=/api/v1/namespaces/kube-system
ds=/apis/apps/v1/namespaces/kube-system/daemonsets/node-local-dns
expect_eq "$(api $ks/services/kube-dns | jq -r .spec.clusterIP)" "10.100.0.10" "kube-dns is the range's tenth address"
for i in 1 2; do expect_eq "$(cluster_dns "$i")" "['10.100.0.10']" "host-$i kubelet asks kube-dns"; done

write_cfg true
up --output json
expect_rc 0 "up turning node-local-dns on"
[[ $rc -eq 0 ]] || { echo "$out" | tail -20; echo "$err" | tail -20; finish; exit 1; }
expect_contains "$(changed)" "kubeadm.node-local-dns" "the stack applied"
expect_contains "$(changed)" "kubeadm.kubelet-config" "the kubelets reconfigured"
expect_eq "$(api $ks/serviceaccounts/node-local-dns | jq -r .metadata.name)" "node-local-dns" "ServiceAccount"
expect_eq "$(api $ks/services/kube-dns-upstream | jq -c '[.spec.selector, [.spec.ports[] | .protocol + "/" + (.port | tostring)]]')" \
        '[{"k8s-app":"kube-dns"},["UDP/53","TCP/53"]]' "kube-dns-upstream selects CoreDNS"
expect_eq "$(api $ks/services/node-local-dns | jq -r .spec.clusterIP)" "None" "headless metrics Service"
corefile=$(api $ks/configmaps/node-local-dns | jq -r .data.Corefile)
expect_contains "$corefile" $'cluster.local:53 {\n' "Corefile: the cluster domain"
# IPVS (kubernetes.io, Using NodeLocal DNSCache): the link-local address only, kube-dns upstream.
expect_contains "$corefile" $'    bind 169.254.20.10\n    forward . 10.100.0.10 {\n            force_tcp\n' \
        "Corefile: link-local bind, kube-dns forward"
expect_contains "$corefile" $'    health 169.254.20.10:8080\n' "Corefile: health on the link-local address"
expect_contains "$corefile" "forward . __PILLAR__UPSTREAM__SERVERS__" "Corefile: node-cache's own placeholder left"
expect_not_contains "$corefile" "__PILLAR__DNS__" "Corefile: no placeholder of ours left"
d=$(api $ds)
expect_eq "$(jq -r .spec.template.spec.hostNetwork <<<"$d")" "true" "DaemonSet on the host network"
expect_eq "$(jq -r .spec.template.spec.dnsPolicy <<<"$d")" "Default" "DaemonSet not on cluster DNS"
expect_eq "$(jq -r '.spec.template.spec.containers[0].image' <<<"$d")" \
        "registry.k8s.io/dns/k8s-dns-node-cache:1.26.7" "node-cache image"
expect_eq "$(jq -c '.spec.template.spec.containers[0].args[0:2]' <<<"$d")" '["-localip","169.254.20.10"]' \
        "node-cache listens on the link-local address"
for _ in $(seq 40); do
        [[ $(api $ds | jq -r '.status.numberAvailable // 0') == 2 ]] && break
        sleep 0.5
done
expect_eq "$(api $ds | jq -r '.status.numberAvailable // 0')" "2" "a cache on both nodes"
for i in 1 2; do expect_eq "$(cluster_dns "$i")" "['169.254.20.10']" "host-$i kubelet asks the cache"; done

before=$(api "$ds" | jq -r .metadata.resourceVersion)
up --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up: no changes"
expect_eq "$(changed)" "" "second up: no step changed"
expect_eq "$(api "$ds" | jq -r .metadata.resourceVersion)" "$before" "second up: DaemonSet not written"

write_cfg false
up --output json
expect_rc 0 "up turning node-local-dns off"
expect_contains "$(changed)" "kubeadm.node-local-dns" "the stack deleted"
for p in $ds $ks/configmaps/node-local-dns $ks/services/kube-dns-upstream $ks/services/node-local-dns \
        $ks/serviceaccounts/node-local-dns $ks/configmaps/pharos-stack-node-local-dns; do
        expect_eq "$(code "$p")" "404" "gone: $p"
done
expect_eq "$(code $ks/services/kube-dns)" "200" "kube-dns kept"
for i in 1 2; do expect_eq "$(cluster_dns "$i")" "['10.100.0.10']" "host-$i kubelet back on kube-dns"; done
up --output json
expect_rc 0 "up after turning it off"
expect_eq "$(changed)" "" "nothing left to do"
finish
