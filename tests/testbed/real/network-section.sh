#!/usr/bin/env bash
# Prints the cluster.yml section of the real tier's pod network: flannel
# (host-gw) through pharos' network-custom, with the images the tier builds
# (build/versions.env). Appended to a testbed's cluster.yml by `make demo
# REAL=1` and by the real tests.
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
YAML
