#!/bin/bash
# --bastion: only the bastion forwards TCP; the hosts reference it in cluster.yml.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$WORK/tb
tb_start "$D" --hosts 2 --bastion --os debian-13,alma-9

b=$(jq -r .bastion.address "$D/hosts.json")
a1=$(host_field "$D" host-1 address)
a2=$(host_field "$D" host-2 address)
expect_eq "hosts in hosts.json" "$(jq '.hosts | length' "$D/hosts.json")" 2
expect_eq "hosts in cluster.yml" "$(grep -c '^  - address: ' "$D/cluster.yml")" 2
expect_eq "bastion entries" "$(grep -c "^      address: $b$" "$D/cluster.yml")" 2
grep -q "^  - address: $b$" "$D/cluster.yml" && fail "the bastion is listed as a host"
expect_eq "known_hosts has the bastion" "$(grep -c "^$b ssh-ed25519 " "$D/known_hosts")" 1
expect_eq "bastion os" "$(jq -r .bastion.os "$D/hosts.json")" debian-13

# ssh -J passes -F (not -i/-o) to the jump connection, so use the generated config.
J=(ssh -F "$D/ssh_config" -o ConnectTimeout=5)
expect_eq "through the bastion" "$("${J[@]}" -J "$b" "$a1" hostname)" host-1
expect_eq "through the bastion" "$("${J[@]}" -J "$b" "$a2" hostname)" host-2
if out=$("${J[@]}" -J "$a2" "$a1" hostname 2>&1); then
        fail "host-2 forwarded TCP: $out"
fi
[[ "$out" == *"forwarding failed"* || "$out" == *"administratively prohibited"* ]] ||
        fail "unexpected error through host-2: $out"
if out=$("${J[@]}" -W "$b:22" "$a1" < /dev/null 2>&1); then
        fail "host-1 forwarded TCP: $out"
fi
echo "ok"
