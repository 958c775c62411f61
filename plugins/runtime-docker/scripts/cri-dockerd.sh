#!/bin/sh
# cri-dockerd, the CRI shim between the kubelet and Docker Engine, installed
# from its upstream release as https://mirantis.github.io/cri-dockerd/ describes
# (binary to /usr/local/bin; the plugin writes the systemd units).
# MODE=check prints "todo: WHY"; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}" "${VERSION:?}" "${BIN:?}"

have=$("$BIN" --version 2>&1 | sed -n 's/^cri-dockerd \([0-9.]*\).*/\1/p' || true)
[ "$have" = "$VERSION" ] && exit 0
if [ "$MODE" = check ]; then
        echo "todo: cri-dockerd $VERSION is not installed"
        exit 0
fi
case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*)
        echo "cri-dockerd: unsupported CPU $(uname -m)" >&2
        exit 1
        ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "https://github.com/Mirantis/cri-dockerd/releases/download/v$VERSION/cri-dockerd-$VERSION.$arch.tgz" |
        tar -xz -C "$tmp"
install -o root -g root -m 0755 "$tmp/cri-dockerd/cri-dockerd" "$BIN"
echo "changed: installed cri-dockerd $VERSION"
