#!/usr/bin/env bash
# The emulated tier's `kubeadm upgrade` (plan, apply VERSION, node) driven by
# hand the way kubernetes.io's "Upgrading kubeadm clusters" does it, on a
# cluster `pharos up` built: 2 masters + 1 worker at 1.36.3 taken to 1.37.2.
# apply refuses a target above its own minor and a downgrade without --force,
# and asks before it changes anything; the masters' static Pod manifests,
# kubeadm-config and each API server move to the new version. Then pharos'
# version policy sees the API servers and kubelets ahead of cluster.yml's
# 1.36.3 and refuses it (exit 2); with 1.37.2 up converges, and lists a
# worker joined with `pharos worker up` and left at 1.36.3 as not upgraded.
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
"$TESTBED" start --hosts 4 --masters 2 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
step() { echo "[${SECONDS}s] $*"; }
cp "$dir/cluster.yml" "$dir/all.yml"
# cluster.yml: hosts 1-3 (host-4 joins with `pharos worker up`) at VERSION.
cluster_yml() {
        python3 - "$dir/all.yml" "$dir/cluster.yml" "$1" <<'PY'
import sys, yaml
src, dst, version = sys.argv[1:]
doc = yaml.safe_load(open(src))
doc["hosts"] = doc["hosts"][:3]
doc["kubernetes"] = {"version": version}
yaml.safe_dump(doc, open(dst, "w"))
PY
}
cluster_yml 1.36.3

step "2 masters + 1 worker at 1.36.3"
run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml"
expect_rc 0 "first up"
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
step "host-4 joined with pharos worker up"
root4=$(jq -r '.hosts[3].root' "$dir/hosts.json")
mkdir -p "$root4/opt/pharos/plugins"
cp "$PHAROS" "$root4/opt/pharos/pharos"
cp "$dir"/plugins/*.so "$root4/opt/pharos/plugins/"
run "$PHAROS" --plugin-path "$dir/plugins" exec -c "$dir/cluster.yml" -r master -f sudo kubeadm token create --print-join-command
expect_rc 0 "join command"
join=$(tail -1 <<<"$out")
run "$PHAROS" --plugin-path "$dir/plugins" ssh -c "$dir/all.yml" -a "$(addr 3)" -- /opt/pharos/pharos \
        --plugin-path /opt/pharos/plugins worker up "'$join'" "$(addr 0)" --address "$(addr 3)"
expect_rc 0 "worker up"

api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr "$1"):6443$2"; }
version_of() { api "$1" /version | jq -r .gitVersion; }
images() { on "$1" sh -c 'grep -h "image:" /etc/kubernetes/manifests/*.yaml' | awk '{print $2}' | sort | paste -sd' '; }
kubelets() { api 0 /api/v1/nodes | jq -r '[.items[] | .metadata.name + "=" + .status.nodeInfo.kubeletVersion] | sort | join(" ")'; }
# packages I VERSION PACKAGE...: the packages at VERSION from its minor's repository.
packages() {
        local i=$1 v=$2
        shift 2
        # shellcheck disable=SC2016 # the host's shell expands them
        on "$i" sh -c 'sed -i "s,/v1\.[0-9]*/,/v${1%.*}/," /etc/apt/sources.list.d/kubernetes.list &&
                rm -f /etc/apt/preferences.d/kubernetes && apt-get update -q >/dev/null &&
                v=$1 && shift && for p in "$@"; do set -- "$@" "$p=$v-1.1"; shift; done &&
                apt-get install -y -q --allow-change-held-packages "$@" >/dev/null' sh "$v" "$@"
}

# The hosts share this machine's cgroups. On cgroup v1, kubeadm's upgrade
# preflight (SystemVerification, for the kubelet's next minor) fails for a 1.37
# kubelet unless it is told to skip the check, as pharos does on such hosts.
skip=--ignore-preflight-errors=SystemVerification

step "apply needs kubeadm at the target's minor"
run on 1 kubeadm upgrade apply v1.37.2 "$skip" --yes
expect_rc 1 "kubeadm 1.36.3 applying 1.37.2"
expect_contains "$err" "is at least one minor release higher than the kubeadm minor release (37 > 36)" \
        "upstream's refusal"
expect_eq "$(version_of 0)" "v1.36.3" "nothing upgraded"

packages 1 1.37.2 kubeadm
run on 1 kubeadm upgrade plan
expect_rc 0 "plan"
expect_contains "$out" "kubeadm upgrade apply v1.37.2" "plan names the command"
expect_contains "$out" "Cluster version: v1.36.3" "plan reads the cluster's version"
run on 1 kubeadm upgrade apply v1.37.2 "$skip" </dev/null
expect_rc 1 "apply without --yes and no answer"
expect_contains "$err" "won't proceed" "asks first"
run on 1 kubeadm upgrade apply v1.35.4 "$skip" --yes
expect_rc 1 "a downgrade without --force"
expect_contains "$err" "Kubeadm version v1.37.2 can only be used to upgrade to Kubernetes version 1.37" "downgrade refused"
run on 1 kubeadm upgrade apply v1.39.0 "$skip" --yes --force
expect_rc 1 "two minors ahead, even forced"
expect_contains "$err" "is too high; kubeadm can upgrade only 1 minor version at a time" "skip refused"
expect_eq "$(images 1)" "registry.k8s.io/etcd:3.6.8-0 registry.k8s.io/kube-apiserver:v1.36.3 registry.k8s.io/kube-controller-manager:v1.36.3 registry.k8s.io/kube-scheduler:v1.36.3" \
        "manifests untouched by the refusals"

step "apply on the first master"
run on 1 kubeadm upgrade apply v1.37.2 "$skip" --yes
expect_rc 0 "apply v1.37.2"
expect_contains "$out" "SUCCESS! Your cluster was upgraded to \"v1.37.2\"" "apply says so"
expect_eq "$(images 1)" "registry.k8s.io/etcd:3.7.0-0 registry.k8s.io/kube-apiserver:v1.37.2 registry.k8s.io/kube-controller-manager:v1.37.2 registry.k8s.io/kube-scheduler:v1.37.2" \
        "host-1's manifests at the new version, etcd at 1.37's pin"
expect_eq "$(version_of 0)" "v1.37.2" "host-1's API server upgraded"
expect_eq "$(version_of 1)" "v1.36.3" "host-2's API server not yet"
expect_contains "$(api 0 /api/v1/namespaces/kube-system/configmaps/kubeadm-config | jq -r .data.ClusterConfiguration)" \
        "kubernetesVersion: v1.37.2" "kubeadm-config at the new version"
expect_eq "$(api 0 /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy | jq -r '.spec.template.spec.containers[0].image')" \
        "registry.k8s.io/kube-proxy:v1.37.2" "kube-proxy's image"

step "upgrade node on the second master and the worker"
packages 2 1.37.2 kubeadm
run on 2 kubeadm upgrade node "$skip"
expect_rc 0 "upgrade node on host-2"
expect_contains "$out" "control plane instance for this node was successfully upgraded" "a control-plane node"
expect_eq "$(version_of 1)" "v1.37.2" "host-2's API server upgraded"
expect_eq "$(images 2)" "$(images 1)" "host-2's manifests as host-1's"
packages 3 1.37.2 kubeadm
run on 3 kubeadm upgrade node "$skip"
expect_rc 0 "upgrade node on the worker"
expect_contains "$out" "Skipping phase. Not a control plane node." "a worker"
for i in 1 2 3; do
        packages "$i" 1.37.2 kubelet kubectl
        on "$i" systemctl restart kubelet
done
for _ in $(seq 60); do
        [[ "$(kubelets)" == "host-1=v1.37.2 host-2=v1.37.2 host-3=v1.37.2 host-4=v1.36.3" ]] && break
        sleep 1
done
expect_eq "$(kubelets)" "host-1=v1.37.2 host-2=v1.37.2 host-3=v1.37.2 host-4=v1.36.3" "kubelets at 1.37.2"

step "pharos refuses cluster.yml's 1.36.3 now"
run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml"
expect_rc 2 "cluster.yml behind the cluster"
expect_contains "$err" "1.36.3 is older than the cluster's 1.37.2" "the API server's version counts"

step "pharos up at 1.37.2 on the cluster upgraded by hand"
cluster_yml 1.37.2
run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml"
expect_rc 0 "up at the cluster's version"
expect_contains "$out" "host-4           joined with \`pharos worker up\`: its kubelet is v1.36.3, not upgraded to 1.37.2" \
        "the worker-up node listed as not upgraded"
expect_contains "$out" "sudo kubeadm upgrade node" "with the steps that upgrade it"
expect_eq "$(api 0 /api/v1/namespaces/kube-system/configmaps/pharos-config | jq -r '.data["kubernetes.version"]')" \
        "1.37.2" "the state at the new version"
finish
