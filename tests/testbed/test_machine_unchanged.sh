#!/bin/bash
# shellcheck disable=SC2016 # remote commands are single-quoted on purpose
# A start/stop cycle whose hosts rewrite every file the testbed shadows leaves
# the machine's own files as they were; with --tier real, hosts that also
# change their network, mounts and sysctls leave the machine's network
# namespace, mount table and kernel settings as they were.
# The emulated tier runs every testbed command from inside a chroot whose root
# is not its mount namespace's root, as Debian's package builders do: the
# files the testbed itself writes into a host (/etc/hosts and the CA bundle
# for the mirror, `testbed exec`, `sshd-start`) must land in the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tier=emulated
[[ ${1:-} == --tier ]] && tier=${2:-}

shadowed=(/usr/lib/os-release /etc/hostname /etc/hosts /etc/passwd /etc/group /etc/shadow
        /etc/sudoers /etc/ssh/sshd_config /etc/profile /etc/ssl/certs/ca-certificates.crt
        /var/log/sshd.log /run/sshd.pid)
snapshot() {
        local f
        for f in "${shadowed[@]}" /etc/ssh/ssh_host_* /etc/sudoers.d/* /etc/profile.d/*; do
                [[ -e "$f" ]] && sha256sum "$f"
        done
        # Every name under /etc: a host's distribution skeleton (sysctl.d,
        # modules-load.d, release files ...) is the host's alone.
        find /etc -xdev -printf '%p %y %m\n' | sort
        stat -c '%N %a %u:%g' /etc/os-release /etc/ssh /etc/sudoers.d /etc/profile.d
        hostname
        dpkg --verify openssh-server sudo || true
        # Names a host creates must not exist on the machine.
        ls -d /home/pharos /var/lib/pharos-testbed /var/log/pharos-testbed \
                /usr/local/lib/pharos-testbed /etc/sudoers.d/pharos-testbed 2>&1 || true
        getent passwd pharos || true
        sha256sum /etc/resolv.conf
        # The machine's network namespace, mount table and writable kernel
        # settings (kernel.ns_last_pid moves with every fork).
        ip -d link show
        ip addr show
        ip route show table all
        ip -6 route show table all
        ip rule show
        ip netns list
        findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | sort
        # (grep fails on the write-only ones)
        find /proc/sys -type f -perm -200 -print0 | { xargs -0 grep -H . 2> /dev/null || true; } |
                grep -v '^/proc/sys/kernel/ns_last_pid:'
}

# testbed ARGS..., on the emulated tier from a chroot of the machine's own
# root in a mount namespace of its own (gone when the command ends; the hosts
# keep their copies of it).
chroot_root=$WORK/chroot
mkdir "$chroot_root"
tb() {
        if [[ $tier == real ]]; then
                "$TESTBED" "$@"
                return
        fi
        unshare --mount -- sh -c 'root=$1 && shift && mount --rbind / "$root" && exec chroot "$root" "$@"' \
                sh "$chroot_root" "$TESTBED" "$@"
}
before=$(snapshot)
expect_machine_unchanged() { # WHEN
        local now
        now=$(snapshot)
        if [[ "$before" != "$now" ]]; then
                diff <(echo "$before") <(echo "$now") >&2 || true
                fail "the machine changed $1"
        fi
}

D=$WORK/tb
TB_DIRS+=("$D")
if [[ $tier == real ]]; then
        rootfs=("$("$(dirname "$0")/real/host/rootfs.sh" debian-12)"
                "$("$(dirname "$0")/real/host/rootfs.sh" debian-13)")
        touch "$WORK/marker"
        tb start --dir "$D" --tier real --hosts 2 --os debian-12,debian-13
else
        tb start --dir "$D" --hosts 2 --os centos-7,ubuntu-24.04
        expect_machine_unchanged "when the hosts started"
fi
a1=$(host_field "$D" host-1 address)
if [[ $tier == emulated ]]; then
        expect_eq "host-1's /etc/hosts names the mirror" \
                "$(tb_ssh "$D" "$a1" 'grep -c " pkgs.k8s.io " /etc/hosts')" 1
        ca=$D/.testbed/mirror/ca.crt
        tail -c "$(stat -c %s "$ca")" "$(host_field "$D" host-1 etc)/ssl/certs/ca-certificates.crt" |
                cmp -s - "$ca" || fail "host-1's CA bundle does not end with the mirror's CA"
        tb exec --dir "$D" --host host-1 -- sh -c \
                'echo 10.0.0.2 evil-exec >> /etc/hosts; echo evil >> /etc/ssl/certs/ca-certificates.crt; echo evil > /etc/evil-exec'
        expect_eq "host-1 sees testbed exec's writes" \
                "$(tb_ssh "$D" "$a1" 'grep -c evil-exec /etc/hosts; cat /etc/evil-exec')" $'1\nevil'
        tb sshd-stop --dir "$D" --host host-1
        tb sshd-start --dir "$D" --host host-1
        tb_ssh "$D" "$a1" true || fail "host-1's sshd does not answer after sshd-start"
        expect_machine_unchanged "after testbed exec, sshd-stop and sshd-start"
fi
tb_ssh "$D" "$a1" 'sudo -n sh -c "
        echo evil > /etc/os-release; echo evil > /etc/hostname; echo 10.0.0.1 evil >> /etc/hosts
        echo evil:x:3000:3000::/:/bin/sh >> /etc/passwd; echo evil >> /etc/shadow; echo evil >> /etc/group
        echo \"evil ALL=(ALL) ALL\" > /etc/sudoers.d/evil; echo PermitRootLogin yes >> /etc/ssh/sshd_config
        echo >> /etc/sudoers; echo >> /etc/profile; echo evil > /etc/ssh/ssh_host_rsa_key; hostname evil"'
expect_eq "host-1 sees its writes" "$(tb_ssh "$D" "$a1" 'cat /etc/os-release; hostname')" $'evil\nevil'
if [[ $tier == real ]]; then
        # What the host's own namespaces allow: its root, network, mounts,
        # hostname, namespaced sysctls and the global ones the kubelet sets
        # (shadowed by files of the host).
        gw=10.250.$(jq -r .block "$D/hosts.json").1
        tb_ssh "$D" "$a1" "sudo -n sh -ec '
                echo evil > /usr/lib/os-release; echo evil >> /etc/ssl/certs/ca-certificates.crt
                echo nameserver 10.9.9.9 > /etc/resolv.conf; touch /usr/lib/evil
                ip link add evil0 type veth peer name evil1; ip addr add 10.9.9.9/32 dev evil0; ip link set evil0 up
                ip route add 10.8.0.0/16 via $gw; nft add table inet evil
                mount -t tmpfs evil /mnt; touch /mnt/evil
                sysctl -q -w net.ipv4.ip_forward=1 net.core.somaxconn=1 kernel.domainname=evil \
                        vm.overcommit_memory=1 kernel.panic=10'"
        expect_eq "host-1 sees its writes" \
                "$(tb_ssh "$D" "$a1" 'cat /proc/sys/vm/overcommit_memory /proc/sys/net/ipv4/ip_forward; ls /mnt; ip -br link show evil0 | cut -d@ -f1')" \
                $'1\n1\nevil\nevil0'
        # and what they do not: the kernel's global settings, /sys, sysrq.
        for w in 'sysctl -w vm.swappiness=1' 'sysctl -w kernel.pid_max=99999' 'echo 3 > /proc/sys/vm/drop_caches' \
                'echo 1 > /sys/kernel/mm/ksm/run' 'echo h > /proc/sysrq-trigger'; do
                if tb_ssh "$D" "$a1" "sudo -n sh -c '$w'" > /dev/null 2>&1; then
                        fail "host-1 could: $w"
                fi
        done
elif tb_ssh "$D" "$a1" 'sudo -n sh -c "echo evil > /usr/lib/os-release"' 2> /dev/null; then
        fail "a host wrote the machine's /usr/lib/os-release"
fi
tb stop --dir "$D"
TB_DIRS=()
expect_machine_unchanged "after the hosts stopped"
if [[ $tier == real ]] && find "${rootfs[@]}" -newer "$WORK/marker" | grep -q .; then
        find "${rootfs[@]}" -newer "$WORK/marker" | head >&2
        fail "the hosts wrote into the cached root file systems"
fi
echo "ok"
