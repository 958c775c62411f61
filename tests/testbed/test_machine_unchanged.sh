#!/bin/bash
# shellcheck disable=SC2016 # remote commands are single-quoted on purpose
# A start/stop cycle whose hosts rewrite every file the testbed shadows leaves
# the machine's own files as they were.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

shadowed=(/usr/lib/os-release /etc/hostname /etc/hosts /etc/passwd /etc/group /etc/shadow
        /etc/sudoers /etc/ssh/sshd_config /etc/profile)
snapshot() {
        local f
        for f in "${shadowed[@]}" /etc/ssh/ssh_host_* /etc/sudoers.d/* /etc/profile.d/*; do
                [[ -e "$f" ]] && sha256sum "$f"
        done
        stat -c '%N %a %u:%g' /etc/os-release /etc/ssh /etc/sudoers.d /etc/profile.d
        hostname
        dpkg --verify openssh-server sudo || true
        # Names a host creates must not exist on the machine.
        ls -d /home/pharos /var/lib/pharos-testbed /var/log/pharos-testbed \
                /usr/local/lib/pharos-testbed /etc/sudoers.d/pharos-testbed 2>&1 || true
        getent passwd pharos || true
}

before=$(snapshot)
D=$WORK/tb
tb_start "$D" --hosts 2 --os centos-7,ubuntu-24.04
a1=$(host_field "$D" host-1 address)
tb_ssh "$D" "$a1" 'sudo -n sh -c "
        echo evil > /etc/os-release; echo evil > /etc/hostname; echo 10.0.0.1 evil >> /etc/hosts
        echo evil:x:3000:3000::/:/bin/sh >> /etc/passwd; echo evil >> /etc/shadow; echo evil >> /etc/group
        echo \"evil ALL=(ALL) ALL\" > /etc/sudoers.d/evil; echo PermitRootLogin yes >> /etc/ssh/sshd_config
        echo >> /etc/sudoers; echo >> /etc/profile; echo evil > /etc/ssh/ssh_host_rsa_key; hostname evil"'
expect_eq "host-1 sees its writes" "$(tb_ssh "$D" "$a1" 'cat /etc/os-release; hostname')" $'evil\nevil'
if tb_ssh "$D" "$a1" 'sudo -n sh -c "echo evil > /usr/lib/os-release"' 2> /dev/null; then
        fail "a host wrote the machine's /usr/lib/os-release"
fi
"$TESTBED" stop --dir "$D"
TB_DIRS=()
after=$(snapshot)
if [[ "$before" != "$after" ]]; then
        diff <(echo "$before") <(echo "$after") >&2 || true
        fail "the machine's files changed"
fi
echo "ok"
