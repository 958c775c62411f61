#!/usr/bin/env bash
# Prints the cluster.yml sections the real tier's hosts need, appended to a
# testbed's cluster.yml by `make demo REAL=1` and by the real tests:
# - the pod network: flannel (host-gw) through pharos' network-custom, with
#   the images the tier builds (build/versions.env);
# - the kubelets' disk thresholds. The hosts' file systems are the machine's
#   own disk, shared with everything else on it, so its fill says nothing of
#   the hosts: at the kubelet's defaults (eviction at 15% free, image garbage
#   collection at 85% used) a machine with a big, busy disk has every host
#   evict its pods for DiskPressure. As kind does for the same reason, disk
#   pressure is left out and image garbage collection off; memory keeps the
#   kubelet's default.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=build/versions.env
. "$here/build/versions.env"
cat <<YAML
network:
  provider: custom
  pod_network_cidr: 10.244.0.0/16
  custom:
    manifest_path: $here/network
    options:
      backend: host-gw
      flannel_image: ghcr.io/flannel-io/flannel:$FLANNEL_VERSION
      cni_plugin_image: ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGINS_VERSION
      busybox_image: docker.io/library/busybox:1.36
kubelet:
  extra_args:
    - "--eviction-hard=memory.available<100Mi,nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%"
    - "--image-gc-high-threshold=100"
YAML
