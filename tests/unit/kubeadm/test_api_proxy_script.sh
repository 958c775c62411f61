#!/usr/bin/env bash
# plugins/kubeadm/scripts/api-proxy.sh on a scratch tree: the kubelet runs a
# static pod from every file in its manifest directory whose name does not
# start with a dot (pkg/kubelet/config/file.go), so at no moment may a file
# other than the finished manifest be visible there. A shim `mv` records
# what a kubelet scanning just before each rename would read.
set -euo pipefail
script=${1:?api-proxy.sh}
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$_tmp_out" "$_tmp_err"' EXIT
mkdir -p "$dir/bin" "$dir/etc/kubernetes/manifests"
manifests=$dir/etc/kubernetes/manifests
real_mv=$(command -v mv)
cat >"$dir/bin/mv" <<SHIM
#!/bin/sh
ls -1 "$manifests" | sed 's/^/seen: /' >>"$dir/scans"
exec "$real_mv" "\$@"
SHIM
# The proxy answers at once.
printf '#!/bin/sh\nexit 0\n' >"$dir/bin/curl"
chmod +x "$dir/bin/mv" "$dir/bin/curl"

proxy() { # MODE WANTED POD_TEXT
        run env PATH="$dir/bin:$PATH" PHAROS_MODE="$1" WANTED="$2" CONFIG="$dir/etc/kubernetes/pharos/api-proxy.cfg" \
                MANIFEST="$manifests/pharos-api-proxy.yaml" URL=https://127.0.0.1:6443 \
                CONFIG_TEXT=$'global\n' POD_TEXT="$3" sh "$script"
}

proxy apply 1 $'kind: Pod\nmetadata: {name: a}\n'
expect_rc 0 "first apply"
expect_contains "$out" "pharos-change: write $manifests/pharos-api-proxy.yaml" "the manifest written"
expect_eq "$(cat "$manifests/pharos-api-proxy.yaml")" $'kind: Pod\nmetadata: {name: a}' "its text"
expect_eq "$(stat -c %a "$manifests/pharos-api-proxy.yaml")" "600" "its mode"
proxy apply 1 $'kind: Pod\nmetadata: {name: b}\n'
expect_rc 0 "a changed manifest"
expect_eq "$(grep -c . "$dir/scans")" "1" "one rename into the manifest directory with a file there"
expect_eq "$(sort -u "$dir/scans")" "seen: pharos-api-proxy.yaml" \
        "a kubelet scanning the manifest directory never sees a half-written or temporary manifest"
expect_eq "$(ls -A "$manifests")" "pharos-api-proxy.yaml" "nothing else left there"
proxy check 1 $'kind: Pod\nmetadata: {name: b}\n'
expect_not_contains "$out" "pharos-change: write" "check mode: nothing to write"
proxy apply 0 ""
expect_rc 0 "the proxy removed"
expect_eq "$(ls -A "$manifests"; ls -A "$dir/etc/kubernetes/pharos")" "" "both files gone"
finish
