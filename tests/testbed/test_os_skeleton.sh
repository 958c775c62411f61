#!/bin/bash
# A host of every OS fixture has its distribution's directories under /etc
# (os/NAME/dirs) and its release files (os/NAME/etc),
# whatever the machine has installed: an EL host has /etc/yum.repos.d on a
# Debian machine, and the seed's `tee /etc/modules-load.d/k8s.conf` and
# `tee /etc/sysctl.d/k8s.conf` work on every host. The user's ssh commands
# get the distribution's PATH (os/NAME/ssh-path).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
os_dir=$(dirname "$0")/os
oses=()
for o in "$os_dir"/*/; do
        oses+=("$(basename "$o")")
done
D=$WORK/tb
IFS=,
tb_start "$D" --hosts "${#oses[@]}" --os "${oses[*]}"
unset IFS
for ((i = 1; i <= ${#oses[@]}; i++)); do
        name=host-$i
        os=$(host_field "$D" "$name" os)
        etc=$(host_field "$D" "$name" etc)
        while read -r pkg _ dir; do
                [[ -d "$etc/${dir#/etc/}" ]] || fail "$name ($os) has no $dir (from $pkg)"
        done < <(grep -v '^#' "$os_dir/$os/dirs")
        for f in "$os_dir/$os/etc"/*; do
                cmp -s "$f" "$etc/$(basename "$f")" || fail "$name ($os): /etc/$(basename "$f") is not the fixture's"
        done
        tb_ssh "$D" "$(host_field "$D" "$name" address)" \
                'printf "overlay\nbr_netfilter\n" | sudo -n tee /etc/modules-load.d/k8s.conf > /dev/null &&
                 echo net.ipv4.ip_forward=1 | sudo -n tee /etc/sysctl.d/k8s.conf > /dev/null' ||
                fail "$name ($os): the seed's modules-load.d and sysctl.d files cannot be written"
        # The PATH of the user's ssh commands is the distribution's: without
        # sbin on Debian and EL 7, so modprobe is found under sudo only.
        want=$(grep -v '^#' "$os_dir/$os/ssh-path")
        # shellcheck disable=SC2016 # expanded on the host
        got=$(tb_ssh "$D" "$(host_field "$D" "$name" address)" 'echo "$PATH"; command -v modprobe || echo none; sudo -n sh -c "command -v modprobe"')
        [[ $(sed -n 1p <<< "$got") == *:"$want" ]] || fail "$name ($os): ssh PATH $(sed -n 1p <<< "$got"), want ...:$want"
        case :$want: in
        *:/usr/sbin:*) [[ $(sed -n 2p <<< "$got") != none ]] || fail "$name ($os): modprobe not on PATH" ;;
        *) [[ $(sed -n 2p <<< "$got") == none ]] || fail "$name ($os): modprobe on a PATH without sbin" ;;
        esac
        [[ $(sed -n 3p <<< "$got") == */modprobe ]] || fail "$name ($os): sudo finds no modprobe"
done
echo "ok"
