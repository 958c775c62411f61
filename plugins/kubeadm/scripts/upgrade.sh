#!/bin/sh
# One node's part of a kubeadm upgrade: ACTION=apply upgrades the cluster
# (the first master's part: control plane, etcd, kubeadm-config, addons) to
# VERSION, ACTION=node brings this node's control plane, or only its kubelet's
# configuration on a worker, to the cluster's version. --yes: pharos asked.
# IGNORE: preflight checks to skip ("" or SystemVerification on cgroup v1).
set -eu
case "$ACTION" in
apply) kubeadm upgrade apply "v$VERSION" --yes ${IGNORE:+"--ignore-preflight-errors=$IGNORE"} ;;
node) kubeadm upgrade node ${IGNORE:+"--ignore-preflight-errors=$IGNORE"} ;;
*)
        echo "upgrade.sh: unknown ACTION '$ACTION'" >&2
        exit 2
        ;;
esac
