#!/bin/bash
# shellcheck disable=SC2016 # remote commands are single-quoted on purpose
# Three hosts with mixed OSes: identity, os-release, sudo, emulator PATH,
# private /etc, sshd stop/start, and a stop that leaves nothing behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

emu=$WORK/emu
mkdir -p "$emu"
printf '#!/bin/sh\necho "emulated kubeadm $*"\n' > "$emu/kubeadm"
chmod +x "$emu/kubeadm"

D=$WORK/tb
TESTBED_EMULATORS=$emu tb_start "$D" --hosts 3 --os ubuntu-22.04,debian-12,rocky-9 \
        --masters 2 --no-sudo-nopasswd-on host-3

expect_eq "cluster.yml hosts" "$(grep -c '^  - address: 127\.0\.' "$D/cluster.yml")" 3
expect_eq "cluster.yml masters" "$(grep -c '^    role: master$' "$D/cluster.yml")" 2
expect_eq "cluster.yml key" "$(grep -c "^    ssh_key_path: \"$D/id_ed25519\"$" "$D/cluster.yml")" 3
expect_eq "cluster.yml user" "$(grep -c '^    user: pharos$' "$D/cluster.yml")" 3
grep -q bastion "$D/cluster.yml" && fail "bastion entries without --bastion"
expect_eq "known_hosts entries" "$(wc -l < "$D/known_hosts")" 3

declare -A want_id=([host-1]="ubuntu 22.04 debian" [host-2]="debian 12 " [host-3]="rocky 9.4 rhel centos fedora")
for name in host-1 host-2 host-3; do
        addr=$(host_field "$D" "$name" address)
        [[ "$addr" =~ ^127\.0\.[0-9]+\.1[1-3]$ ]] || fail "address of $name: $addr"
        expect_eq "hostname of $name" "$(tb_ssh "$D" "$addr" hostname)" "$name"
        expect_eq "os-release of $name" \
                "$(tb_ssh "$D" "$addr" '. /etc/os-release; echo "$ID $VERSION_ID $ID_LIKE"')" "${want_id[$name]}"
        expect_eq "os-release is a file on $name" "$(tb_ssh "$D" "$addr" 'test -L /etc/os-release || echo file')" file
        expect_eq "user on $name" "$(tb_ssh "$D" "$addr" 'id -un; echo "$0"')" $'pharos\nsh'
        expect_eq "emulator first in PATH on $name" "$(tb_ssh "$D" "$addr" 'kubeadm init')" "emulated kubeadm init"
        expect_eq "own pid namespace on $name" "$(tb_ssh "$D" "$addr" 'ps -o comm= -p 1')" host-init.sh
done
expect_eq "hosts.json roles" "$(jq -r '[.hosts[].role] | join(",")' "$D/hosts.json")" master,master,worker
expect_eq "hosts.json os" "$(jq -r '[.hosts[].os] | join(",")' "$D/hosts.json")" ubuntu-22.04,debian-12,rocky-9

a1=$(host_field "$D" host-1 address)
a2=$(host_field "$D" host-2 address)
a3=$(host_field "$D" host-3 address)

tb_ssh "$D" "$a1" 'sudo -n true' || fail "passwordless sudo on host-1"
expect_eq "sudo PATH" "$(tb_ssh "$D" "$a1" 'sudo -n kubeadm join')" "emulated kubeadm join"
expect_eq "sudo is real root" "$(tb_ssh "$D" "$a2" 'sudo -n id -u')" 0
if out=$(tb_ssh "$D" "$a3" 'sudo -n true' 2>&1); then
        fail "sudo on host-3 should want a password"
fi
[[ "$out" == *"password is required"* ]] || fail "sudo on host-3 said: $out"
expect_eq "sudo with the password" "$(tb_ssh "$D" "$a3" 'echo pharos | sudo -S -p "" id -u')" 0

# A write to one host's /etc is seen by no other host and not by the machine.
marker=pharos-testbed-marker-$$
tb_ssh "$D" "$a1" "echo one | sudo -n tee /etc/$marker >/dev/null"
expect_eq "file on host-1" "$(tb_ssh "$D" "$a1" "cat /etc/$marker")" one
expect_eq "outside view of host-1" "$(cat "$(host_field "$D" host-1 etc)/$marker")" one
tb_ssh "$D" "$a2" "test ! -e /etc/$marker" || fail "host-2 sees host-1's /etc/$marker"
[[ ! -e /etc/$marker ]] || fail "the machine sees host-1's /etc/$marker"
for d in var opt root home tmp run usr/local; do
        tb_ssh "$D" "$a1" "sudo -n touch /$d/$marker"
        tb_ssh "$D" "$a2" "test ! -e /$d/$marker" || fail "host-2 sees /$d/$marker"
        [[ ! -e /$d/$marker ]] || fail "the machine sees /$d/$marker"
done
if tb_ssh "$D" "$a1" "sudo -n touch /usr/bin/$marker" 2> /dev/null; then
        fail "a host could write the machine's /usr"
fi
tb_ssh "$D" "$a1" 'test -d /var/lib/pharos-testbed && test -f /var/log/pharos-testbed/journal.jsonl' ||
        fail "emulator state dirs missing"

# One host's sshd stopped: refused there, the others still answer.
"$TESTBED" sshd-stop --dir "$D" --host host-2
if tb_ssh "$D" "$a2" true 2> /dev/null; then
        fail "host-2 answers with its sshd stopped"
fi
tb_ssh "$D" "$a1" true || fail "host-1 down after host-2's sshd-stop"
"$TESTBED" sshd-start --dir "$D" --host host-2
expect_eq "host-2 back" "$(tb_ssh "$D" "$a2" hostname)" host-2
# A paused sshd accepts TCP but never answers: the client's timeout fires.
"$TESTBED" sshd-pause --dir "$D" --host host-3
if out=$(TB_SSH_TIMEOUT=2 tb_ssh "$D" "$a3" true 2>&1); then
        fail "paused host-3 answered"
fi
[[ "$out" == *"timed out"* ]] || fail "paused host-3: $out"
"$TESTBED" sshd-resume --dir "$D" --host host-3
expect_eq "host-3 resumed" "$(tb_ssh "$D" "$a3" hostname)" host-3
expect_eq "testbed exec" "$("$TESTBED" exec --dir "$D" --host host-3 -- hostname)" host-3

pids=$(jq -r '.hosts[].pid' "$D/hosts.json")
block=$(jq -r .block "$D/hosts.json")
# shellcheck disable=SC2086 # one pid a word
mapfile -t namespaces < <(namespaces_of $pids)
[[ "${namespaces[0]}" != "$(readlink /proc/self/ns/mnt)" ]] || fail "host-1 shares the machine's mount namespace"
members=$(ns_members "${namespaces[@]}")
(($(wc -l <<< "$members") >= 9)) || fail "expected at least 9 processes in the hosts: $members"
"$TESTBED" stop --dir "$D"
TB_DIRS=()
while read -r p st; do
        ! grep -qx "$p $st" <<< "$members" || fail "process $p of a host survived stop"
done < <(ns_members "${namespaces[@]}")
for p in $pids; do
        [[ -d /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" && fail "process $p survived stop"
done
expect_host_gone "${pids%%$'\n'*}" "$a1"
expect_host_gone "${pids##*$'\n'}" "$a3"
! block_held_by "$block" "$D" || fail "address block $block not released"
for f in .testbed cluster.yml hosts.json known_hosts id_ed25519 id_ed25519.pub ssh_config; do
        [[ ! -e "$D/$f" ]] || fail "$D/$f left after stop"
done
echo "ok"
