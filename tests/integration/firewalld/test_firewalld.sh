#!/usr/bin/env bash
# The firewalld plugin on the seed's cluster.yml shape (1 master, 2 workers,
# network.firewalld.enabled): the original's open ports per role and the
# trusted sources, permanent and reloaded; a second run changes nothing; a
# changed trusted_subnets swaps only that; disabled touches nothing.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../runtime/lib.sh
. "$here/../runtime/lib.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" firewalld
"$TESTBED" start --hosts 3 --dir "$dir/tb" --os rocky-9 >/dev/null
cfg=$dir/cluster.yml
a1=$(jq -r '.hosts[0].address' "$dir/tb/hosts.json")
a2=$(jq -r '.hosts[1].address' "$dir/tb/hosts.json")
a3=$(jq -r '.hosts[2].address' "$dir/tb/hosts.json")
write_cfg() { # ENABLED SUBNET
        cat "$dir/tb/cluster.yml"
        printf 'network:\n  firewalld:\n    enabled: %s\n    trusted_subnets: ["%s"]\n' "$1" "$2"
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$cfg" "$@"; }
fw() { on "$dir/tb" "$1" firewall-cmd --permanent "--zone=$2" "--list-$3"; }

# Disabled: nothing is touched, not even looked at with firewall-cmd.
write_cfg false 192.168.10.0/24 >"$cfg"
up
expect_rc 0 "disabled"
expect_contains "$out" "no changes" "disabled changes nothing"
expect_eq "$(journal "$dir/tb" host-1 | grep -c . || true)" "0" "no emulator call while disabled"

write_cfg true 192.168.10.0/24 >"$cfg"
up --plan
expect_contains "$out" "firewalld is not installed" "plan says why"
up
expect_rc 0 "enabled"
expect_contains "$out" "3 changes" "every host changed"
run on "$dir/tb" host-1 systemctl is-active firewalld
expect_eq "$out" "active" "firewalld running"
run fw host-1 public ports
expect_eq "$out" "22/tcp 6443/tcp 30000-32767/tcp 30000-32767/udp" "master ports"
run fw host-2 public ports
expect_eq "$out" "22/tcp 80/tcp 443/tcp 30000-32767/tcp 30000-32767/udp" "worker ports"
run fw host-1 trusted sources
expect_eq "$out" "192.168.10.0/24 10.32.0.0/12 10.96.0.0/12 $a2 $a3" "master trusts"
run fw host-3 trusted sources
expect_eq "$out" "192.168.10.0/24 10.32.0.0/12 10.96.0.0/12 $a1 $a2" "worker trusts"
run on "$dir/tb" host-2 firewall-cmd --zone=public --list-ports
expect_contains "$out" "443/tcp" "runtime rules reloaded from permanent"

mark=$(journal_mark "$dir/tb" host-2)
up
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up changes nothing"
expect_eq "$(changed_since "$dir/tb" host-2 "$mark")" "" "no state-changing call on the second run"

write_cfg true 172.16.0.0/16 >"$cfg"
up
expect_rc 0 "new subnet"
run fw host-2 trusted sources
expect_eq "$out" "10.32.0.0/12 10.96.0.0/12 $a1 $a3 172.16.0.0/16" "old subnet swapped for the new one"
run fw host-2 public ports
expect_eq "$out" "22/tcp 80/tcp 443/tcp 30000-32767/tcp 30000-32767/udp" "ports untouched"
finish
