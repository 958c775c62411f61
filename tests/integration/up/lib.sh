# Shared by the `pharos up` end-to-end tests (sourced after ../../lib/assert.sh
# and ../runtime/lib.sh). Every plugin of the build is loaded, as a user gets them.
# shellcheck shell=bash

# shellcheck disable=SC2034 # read by the tests that source this
ALL_PLUGINS=(os-ubuntu os-debian os-el firewalld runtime-containerd runtime-docker runtime-crio kubeadm network-weave
        network-calico network-custom)

# cfg_edit FILE PYTHON: edits cluster.yml in place; the code sees the document as d.
cfg_edit() {
        python3 - "$1" "$2" <<'PY'
import sys, yaml
path = sys.argv[1]
d = yaml.safe_load(open(path))
exec(sys.argv[2])
yaml.safe_dump(d, open(path, "w"), sort_keys=False)
PY
}

# kubeconfig_for DIR CFG: the admin kubeconfig from `pharos kubeconfig`, as DIR/kubeconfig.
kubeconfig_for() {
        "$PHAROS" kubeconfig -c "$2" >"$1/kubeconfig"
        chmod 600 "$1/kubeconfig"
}

# nodes_ready DIR N: waits until kubectl lists N Nodes, all Ready; prints "READY/TOTAL".
nodes_ready() {
        local dir=$1 want=$2 i got=""
        for ((i = 0; i < 60; i++)); do
                got=$(kubectl --kubeconfig "$dir/kubeconfig" get nodes -o json |
                        jq -r '"\([.items[] | select(.status.conditions[] |
                                .type == "Ready" and .status == "True")] | length)/\(.items | length)"')
                [[ "$got" == "$want/$want" ]] && break
                sleep 1
        done
        echo "$got"
}

# cluster_images DIR TB: every image the cluster's pods and controllers name plus
# each host's pause (sandbox) image from its runtime's configuration.
cluster_images() {
        local dir=$1 tb=$2 name
        {
                kubectl --kubeconfig "$dir/kubeconfig" get pods,daemonsets,deployments -A -o json |
                        jq -r '.. | objects | .image? // empty | strings'
                for name in $(jq -r '.hosts[].name' "$tb/hosts.json"); do
                        on "$tb" "$name" sh -c 'cat /etc/containerd/config.toml /etc/crio/crio.conf.d/10-pharos.conf \
                                /etc/systemd/system/cri-docker.service 2>/dev/null || true' |
                                sed -n -e 's/.*sandbox_image = "\([^"]*\)".*/\1/p' \
                                        -e 's/^pause_image = "\([^"]*\)".*/\1/p' \
                                        -e 's/.*--pod-infra-container-image=\([^ "]*\).*/\1/p'
                done
        } | sort -u
}

# images_resolve DIR TB: checks every cluster image in its registry from the first
# host's point of view (its /etc/hosts and CA bundle); prints the missing ones.
images_resolve() {
        local dir=$1 tb=$2 etc images
        etc=$(jq -r '.hosts[0].etc' "$tb/hosts.json")
        mapfile -t images < <(cluster_images "$dir" "$tb")
        ((${#images[@]} > 0)) || { echo "no images found"; return 1; }
        python3 "$(dirname "${BASH_SOURCE[0]}")/image_check.py" "$etc/hosts" "$etc/ssl/certs/ca-certificates.crt" \
                "${images[@]}" | grep -v '^ok ' || true
}

# changes_all TB: state-changing emulator calls on every host so far.
changes_all() {
        local tb=$1 name
        for name in $(jq -r '.hosts[].name' "$tb/hosts.json"); do
                journal "$tb" "$name" | grep -c '^true' || true
        done | awk '{s += $1} END {print s + 0}'
}
