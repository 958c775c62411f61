#!/usr/bin/env bash
# Each runtime plugin's steps apply only to hosts whose container_runtime is
# theirs: with the three runtime plugins loaded, --plan shows per host the
# install and configure steps of its own runtime (with why), and nothing changes.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" runtime-containerd runtime-docker runtime-crio
"$TESTBED" start --hosts 3 --dir "$dir/tb" --os rocky-9,ubuntu-24.04,rocky-9 >/dev/null
cfg=$dir/cluster.yml
awk '/role: worker/ && !n++ {print; print "    container_runtime: docker"; next}
     /role: worker/ {print; print "    container_runtime: crio"; next} {print}' \
        "$dir/tb/cluster.yml" >"$cfg"
addr() { jq -r ".hosts[$1].address" "$dir/tb/hosts.json"; }

run "$PHAROS" --plugin-path "$dir/plugins" up --plan --output json -c "$cfg"
expect_rc 0 "plan"
steps() { jq -r "select(.status==\"would-run\" and .host==\"$(addr "$1")\") | .step" <<<"$out" | sort | tr '\n' ' '; }
reason() { jq -r "select(.status==\"would-run\" and .step==\"$1\") | .detail" <<<"$out"; }
expect_eq "$(steps 0)" "runtime-containerd.configure runtime-containerd.install " "containerd host"
expect_eq "$(steps 1)" "runtime-docker.configure runtime-docker.install " "docker host"
expect_eq "$(steps 2)" "runtime-crio.configure runtime-crio.install " "crio host"
expect_eq "$(reason runtime-docker.install)" "Docker's apt repository is not configured" "docker on Ubuntu"
expect_eq "$(reason runtime-crio.install)" "the CRI-O v1.37 dnf repository is not configured" "CRI-O for the Kubernetes minor"
expect_eq "$(reason runtime-docker.configure)" "/etc/docker/daemon.json is not as configured" "docker configure"
expect_eq "$(reason runtime-crio.configure)" "/etc/crio/crio.conf.d/10-pharos.conf is not as configured" "crio configure"
for h in host-1 host-2 host-3; do
        expect_eq "$(journal "$dir/tb" "$h" | grep '^true' || true)" "" "plan changed nothing on $h"
done
finish
