#!/usr/bin/env bash
# Installs the Debian packages pharos' build and tests need.
set -euo pipefail

PKGS=(
  python3 python3-yaml python3-cryptography openssl curl gnupg util-linux
  etcd-server etcd-client
)
# the emulator tests drive a real kubectl; Debian's kubernetes-client provides one if none is installed
if ! command -v kubectl >/dev/null 2>&1; then
  PKGS+=(kubernetes-client)
fi

apt-get update
apt-get install -y --no-install-recommends "${PKGS[@]}"
