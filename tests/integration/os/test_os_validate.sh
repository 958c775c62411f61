#!/usr/bin/env bash
# Validation by the OS-family plugins on testbed hosts: a release or OS the
# plugins do not support fails the validate phase (exit 1) with the list of
# supported versions, also under --plan, and nothing is changed on any host
# of the cluster, supported ones included.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
cp "$PLUGINS"/os-ubuntu.so "$PLUGINS"/os-debian.so "$PLUGINS"/os-el.so "$dir/plugins/"
"$TESTBED" start --hosts 4 --dir "$dir" --os ubuntu-24.04,ubuntu-20.04,centos-7,debian-13 >/dev/null

addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
# cluster FILE INDEX...: a cluster.yml of those testbed hosts, the first one master.
cluster() {
        local file=$1 role=master
        shift
        echo "hosts:" >"$file"
        for i in "$@"; do
                printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    role: %s\n' \
                        "$(addr "$i")" "$dir/id_ed25519" "$role" >>"$file"
                role=worker
        done
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$@"; }
# untouched HOST: no emulator call changed anything and no node setting was written.
untouched() {
        "$TESTBED" exec --dir "$dir" --host "$1" -- sh -c \
                'cat /var/log/pharos-testbed/journal.jsonl 2>/dev/null | grep -c "\"changed\": true" || true
                 ls /etc/modules-load.d/k8s.conf /etc/sysctl.d/k8s.conf 2>/dev/null || true'
}

cluster "$dir/ubuntu20.yml" 0 1
up "$dir/ubuntu20.yml"
expect_rc 1 "Ubuntu 20.04 refused"
expect_contains "$err" "host $(addr 1), step os-ubuntu.validate: ubuntu 20.04 is not supported (os-ubuntu supports versions 22.04, 24.04)" \
        "names host, step and the supported versions"
expect_contains "$out" "==> validate" "stops in validate"
case "$out" in *"prepare-host"*) fail "went past validate" ;; esac

up "$dir/ubuntu20.yml" --plan
expect_rc 1 "--plan validates too"
expect_contains "$err" "os-ubuntu supports versions 22.04, 24.04" "plan names the supported versions"

cluster "$dir/centos7.yml" 3 2
up "$dir/centos7.yml"
expect_rc 1 "CentOS 7 refused"
expect_contains "$err" "centos 7 is not supported (os-el supports versions 9)" "os-el claims CentOS and names 9"

for i in 1 2 3 4; do
        expect_eq "$(untouched "host-$i")" "0" "nothing changed on host-$i"
done
finish
