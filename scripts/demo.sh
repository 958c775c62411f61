#!/usr/bin/env bash
# The main job on the local sandbox testbed (README: `make demo`): installs
# what it needs, builds pharos, starts 5 sandbox hosts (3 masters, 2
# workers), runs `pharos up` twice (the second run changes nothing), and
# shows the nodes through `pharos kubeconfig` and kubectl.
# REAL=1: the same on the real tier (tests/testbed/real: Debian hosts with
# systemd, the real kubeadm, kubelet, containerd, control plane and flannel;
# the first run builds them, see the README for how long that takes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${REAL:-} == 1 ]]; then
        scripts/deps.sh real
else
        scripts/deps.sh demo
fi
# The demo preset leaves the tests out: their tools are make test's to install.
cmake --preset demo >/dev/null
cmake --build build-demo -j"$(nproc)"

pharos=$PWD/build-demo/plugins/pharos
export PHAROS_PLUGIN_PATH=$PWD/build-demo/plugins
dir=${DEMO_DIR:-$(mktemp -d /tmp/pharos-demo.XXXXXX)}
export PHAROS_KNOWN_HOSTS=$dir/known_hosts.pharos
stop() { tests/testbed/testbed stop --dir "$dir" >/dev/null 2>&1 || true; }
trap stop EXIT

echo "==> pharos version"
"$pharos" version
echo
if [[ ${REAL:-} == 1 ]]; then
        echo "==> starting 5 real-tier hosts in $dir"
        tests/testbed/testbed start --tier real --hosts 5 --masters 3 --dir "$dir"
        # The tier's pod network (flannel through network-custom), and kubelets
        # that don't judge the machine's own disk as theirs.
        tests/testbed/real/cluster-sections.sh >>"$dir/cluster.yml"
else
        echo "==> starting 5 sandbox hosts in $dir"
        tests/testbed/testbed start --hosts 5 --masters 3 --dir "$dir"
fi
echo
echo "==> pharos up -c $dir/cluster.yml"
"$pharos" up -c "$dir/cluster.yml"
echo
echo "==> pharos up again: nothing to do"
"$pharos" up -c "$dir/cluster.yml"
echo
echo "==> kubectl get nodes -o wide (kubeconfig from pharos kubeconfig)"
"$pharos" kubeconfig -c "$dir/cluster.yml" >"$dir/kubeconfig"
chmod 600 "$dir/kubeconfig"
# Nodes turn Ready once the network's DaemonSet runs on them.
kubectl --kubeconfig "$dir/kubeconfig" wait --for=condition=Ready node --all --timeout=120s >/dev/null
kubectl --kubeconfig "$dir/kubeconfig" get nodes -o wide
