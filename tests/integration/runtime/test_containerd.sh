#!/usr/bin/env bash
# runtime-containerd on testbed hosts: only hosts whose container_runtime is
# containerd; containerd.io installed pinned and held, config.toml with
# SystemdCgroup and the pause image, service running; a second run changes
# nothing (no state-changing emulator call); insecure registries and proxy
# settings reconfigure only what they touch; `pharos reset` with
# /var/lib/containerd a mount point.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
dir=$(mktemp -d)
cleanup() {
        tb_mirror_stop "$dir"
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" runtime-containerd
os=${RUNTIME_TEST_OS:-rocky-9}
"$TESTBED" start --hosts 2 --dir "$dir/tb" --os "$os" >/dev/null
# Debian and Ubuntu fetch Docker's key with curl: from the testbed's mirror.
case $os in
ubuntu-* | debian-*) tb_mirror "$dir" ;;
esac
cfg=$dir/cluster.yml
base() {
        sed -n '1,/role: worker/p' "$dir/tb/cluster.yml"
        echo "    container_runtime: docker"
}
base >"$cfg"
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$cfg" "$@"; }
addr1=$(jq -r '.hosts[0].address' "$dir/tb/hosts.json")

up --plan
expect_rc 0 "plan"
expect_contains "$out" "runtime-containerd.install" "plan lists the install"
expect_contains "$out" "repository is not configured" "plan says why"
expect_eq "$(grep -c "$addr1 .*would-run" <<<"$out")" "2" "install and configure would run"
expect_eq "$(grep -c 'would-run' <<<"$out")" "2" "nothing would run on the docker host"

up
expect_rc 0 "first up"
expect_contains "$out" "$addr1" "progress names the host"
run on "$dir/tb" host-1 grep -c "^        SystemdCgroup = true$" /etc/containerd/config.toml
expect_eq "$out" "1" "SystemdCgroup in config.toml"
run on "$dir/tb" host-1 grep -c 'sandbox_image = "registry.k8s.io/pause:3.10.2"' /etc/containerd/config.toml
expect_eq "$out" "1" "kubeadm's pause image"
run on "$dir/tb" host-1 systemctl is-active containerd
expect_eq "$out" "active" "containerd running"
run on "$dir/tb" host-1 systemctl is-enabled containerd
expect_eq "$out" "enabled" "containerd enabled"
expect_contains "$(pkg_version "$dir/tb" host-1 containerd.io)" "2.4.2-" "pinned containerd.io"
expect_contains "$(pkg_held "$dir/tb" host-1)" "containerd.io" "held"
run on "$dir/tb" host-2 test -e /etc/containerd/config.toml
expect_rc 1 "the docker host is left alone"
expect_eq "$(journal "$dir/tb" host-2 | grep -c . || true)" "0" "no emulator call on the docker host"

mark=$(journal_mark "$dir/tb" host-1)
up
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up changes nothing"
expect_eq "$(changed_since "$dir/tb" host-1 "$mark")" "" "no state-changing call on the second run"

# An insecure registry: a certs.d host entry, read by containerd on every pull (no restart).
printf 'container_runtime:\n  insecure_registries: ["registry.local:5000"]\n' >>"$cfg"
mark=$(journal_mark "$dir/tb" host-1)
up
expect_rc 0 "registry up"
expect_contains "$out" "certs.d/registry.local:5000/hosts.toml" "the registry file changed"
run on "$dir/tb" host-1 cat /etc/containerd/certs.d/registry.local:5000/hosts.toml
expect_contains "$out" '[host."http://registry.local:5000"]' "HTTP fallback for the registry"
expect_eq "$(changed_since "$dir/tb" host-1 "$mark")" "" "no restart for a certs.d change"
up
expect_contains "$out" "no changes" "registry configured once"

# The registry dropped from cluster.yml: its file goes.
base >"$cfg"
up
expect_rc 0 "registry removed"
run on "$dir/tb" host-1 test -e /etc/containerd/certs.d/registry.local:5000/hosts.toml
expect_rc 1 "stale hosts.toml removed"

# A proxy from the host's environment: drop-in, daemon-reload, restart of containerd only.
sed "0,/role: master/s//role: master\n    environment:\n      HTTPS_PROXY: \"http:\/\/proxy.local:3128\"\n      NO_PROXY: \"localhost,127.0.0.1\"/" \
        <(base) >"$cfg"
mark=$(journal_mark "$dir/tb" host-1)
up
expect_rc 0 "proxy up"
run on "$dir/tb" host-1 cat /etc/systemd/system/containerd.service.d/http-proxy.conf
expect_contains "$out" 'Environment="HTTPS_PROXY=http://proxy.local:3128"' "proxy drop-in"
expect_eq "$(changed_since "$dir/tb" host-1 "$mark" | grep -v '^modprobe ' | tr '\n' ';')" \
        "systemctl daemon-reload;systemctl restart containerd.service;" "reload and restart only containerd"
up
expect_contains "$out" "no changes" "proxy configured once"

# containerd's data on a file system of its own (a disk for it; the real
# tier's hosts bind it): `pharos reset` empties it and keeps the mount point.
on "$dir/tb" host-1 sh -c 'mkdir -p /var/lib/containerd && mount -t tmpfs containerd-disk /var/lib/containerd &&
        mkdir /var/lib/containerd/io.containerd.content.v1.content'
run "$PHAROS" --plugin-path "$dir/plugins" reset -c "$cfg" -y
expect_rc 0 "reset"
expect_eq "$(on "$dir/tb" host-1 sh -c 'mountpoint -q /var/lib/containerd && echo mounted; ls -A /var/lib/containerd')" \
        mounted "containerd's mount point kept, empty"
expect_eq "$(on "$dir/tb" host-1 sh -c 'ls -d /etc/containerd 2>/dev/null || true')" "" "containerd's configuration gone"
finish
