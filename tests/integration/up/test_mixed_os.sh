#!/usr/bin/env bash
# 3 masters and 2 workers on mixed Debian 12 / Rocky 9 hosts through every
# plugin, one worker on Docker Engine + cri-dockerd and one on CRI-O (per-host
# container_runtime), the rest on containerd: every Node Ready, each on the
# runtime it asked for, one etcd member per master, every image the cluster
# names present in its registry, and a re-run that changes nothing.
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
# host-1 debian, host-2 rocky, host-3 debian (masters); host-4 rocky, host-5 debian (workers)
"$TESTBED" start --hosts 5 --masters 3 --dir "$dir/tb" --os debian-12,rocky-9 >/dev/null
cfg=$dir/cluster.yml
cp "$dir/tb/cluster.yml" "$cfg"
cfg_edit "$cfg" 'd["hosts"][3]["container_runtime"] = "docker"
d["hosts"][4]["container_runtime"] = "crio"
d["network"] = {"provider": "weave"}'

run "$PHAROS" up -c "$cfg"
expect_rc 0 "first up"
for step in os-debian.prepare os-el.prepare runtime-containerd.install runtime-docker.install \
        runtime-crio.install kubeadm.init kubeadm.join-masters kubeadm.join-workers network-weave.apply \
        kubeadm.labels; do
        expect_contains "$out" "$step" "$step ran"
done

kubeconfig_for "$dir" "$cfg"
expect_eq "$(nodes_ready "$dir" 5)" "5/5" "every node Ready"
# The kubelet of each host talks to the runtime its container_runtime names.
endpoint() { on "$dir/tb" "$1" cat /var/lib/kubelet/kubeadm-flags.env |
        sed -n 's/.*--container-runtime-endpoint=\([^ "]*\).*/\1/p'; }
expect_eq "$(endpoint host-2)" "unix:///run/containerd/containerd.sock" "Rocky master on containerd"
expect_eq "$(endpoint host-4)" "unix:///var/run/cri-dockerd.sock" "Rocky worker on cri-dockerd"
expect_eq "$(endpoint host-5)" "unix:///var/run/crio/crio.sock" "Debian worker on CRI-O"
runtime_name() { on "$dir/tb" "$1" crictl --runtime-endpoint="$2" version | sed -n 's/^RuntimeName: *//p'; }
expect_eq "$(runtime_name host-4 unix:///var/run/cri-dockerd.sock)" "docker" "cri-dockerd answers for Docker"
expect_eq "$(runtime_name host-5 unix:///var/run/crio/crio.sock)" "cri-o" "CRI-O answers"
expect_eq "$(on "$dir/tb" host-4 systemctl is-active docker.service cri-docker.socket cri-docker.service |
        sort -u)" "active" "Docker and cri-dockerd run"
expect_eq "$(on "$dir/tb" host-4 rpm -q --qf '%{VERSION}' docker-ce)" "28.5.1" "docker-ce pinned (dnf)"
# shellcheck disable=SC2016 # dpkg-query's format
expect_eq "$(on "$dir/tb" host-5 dpkg-query -W -f '${Version}' cri-o)" "1.37.0-1.1" "cri-o for the minor (apt)"
pki=/etc/kubernetes/pki/etcd
members=$(on "$dir/tb" host-1 curl -fsS --cacert "$pki/ca.crt" --cert "$pki/healthcheck-client.crt" \
        --key "$pki/healthcheck-client.key" -X POST -d '{}' \
        "https://$(jq -r '.hosts[0].address' "$dir/tb/hosts.json"):2379/v3/cluster/member/list")
expect_eq "$(jq '.members | length' <<<"$members")" "3" "one etcd member per master"
expect_eq "$(images_resolve "$dir" "$dir/tb")" "" "every image the cluster names is in its registry"

before=$(changes_all "$dir/tb")
run "$PHAROS" up -c "$cfg" --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up says no changes"
expect_eq "$(changes_all "$dir/tb")" "$before" "no mutating command on any host"

# --plan lists exactly what a real up would run: nothing on the settled cluster
# (the network stack used to be listed as if it were always due), the one step
# a change makes due once there is one.
run "$PHAROS" up -c "$cfg" --plan --output json
expect_rc 0 "plan on the settled cluster"
expect_eq "$(jq -r 'select(.phase == "plan") | .detail' <<<"$out")" "no changes" "plan says no changes"
expect_eq "$(jq -r 'select(.status == "would-run") | .step' <<<"$out")" "" "no step would run"
cfg_edit "$cfg" 'd["network"]["weave"] = {"mtu": 1400}'
run "$PHAROS" up -c "$cfg" --plan --output json
expect_rc 0 "plan with a changed weave mtu"
expect_eq "$(jq -r 'select(.status == "would-run") | .step' <<<"$out")" "network-weave.apply" \
        "only the weave stack would run"
expect_eq "$(jq -r 'select(.phase == "plan") | .detail' <<<"$out")" "1 step would run" "plan counts it"
expect_eq "$(changes_all "$dir/tb")" "$before" "plan changed nothing"
finish
