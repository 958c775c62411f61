#!/bin/bash
# The init (pid 1) of one sandbox host. `testbed start` runs it under
#   unshare --mount --uts --pid --fork --mount-proc
# with the host's state directory as $1. It builds the host's private file
# systems, starts sshd and then stays alive reaping orphans: the host lives
# exactly as long as this process (SIGKILL from outside ends it).
set -euo pipefail

state=$1
# shellcheck source=/dev/null
. "$state/env" # NAME ADDR OS SUDO_NOPASSWD FORWARDING MAX_STARTUPS UID_NUM PW_HASH SRC EMU_DIR

fail() {
        echo "host-init[$NAME]: $*" >&2
        exit 1
}

# `testbed` enters the host with this process's root and working directory
# (nsenter -r -w); the caller's directory means nothing inside the host.
cd /

# Nothing done below may propagate back into the machine's mount namespace.
mount --make-rprivate /

# Upper and work directories of the overlays live on a tmpfs private to this
# host: it disappears with the namespace, and it never overlaps a lower dir
# (which overlayfs refuses) wherever the caller's DIR is.
layers=/run
mount -t tmpfs -o mode=0700 testbed-layers "$layers"
for d in etc var opt root home usr/local; do
        u="$layers/${d//\//_}"
        mkdir -p "$u.up" "$u.wk"
        mount -t overlay overlay -o "lowerdir=/$d,upperdir=$u.up,workdir=$u.wk" "/$d"
done

hostname "$NAME"
echo "$NAME" > /etc/hostname
cat > /etc/hosts <<EOF
127.0.0.1	localhost
$ADDR	$NAME
::1	localhost ip6-localhost ip6-loopback
EOF

# /etc/os-release is a symlink into /usr/lib: remove it (a whiteout in this
# host's /etc) and write a file, so the real one is never written through.
rm -f /etc/os-release /etc/lsb-release /etc/debian_version /etc/redhat-release \
        /etc/system-release /etc/rocky-release /etc/almalinux-release /etc/centos-release
[[ -d "$SRC/os/$OS" ]] || fail "unknown os $OS"
cp -r "$SRC/os/$OS/etc/." /etc/
# The directories the distribution's packages ship under /etc (sysctl.d,
# modules-load.d, apt's or yum's ...): a host of OS has them whatever the
# machine has installed.
while read -r _ mode dir; do
        [[ -d "$dir" ]] || install -d -m "$mode" "$dir"
done < <(grep -v '^#' "$SRC/os/$OS/dirs")

# The user: no rc files, plain /bin/sh, key auth only through sshd.
echo "pharos:x:$UID_NUM:$UID_NUM:pharos testbed user:/home/pharos:/bin/sh" >> /etc/passwd
echo "pharos:x:$UID_NUM:" >> /etc/group
echo "pharos:$PW_HASH:20000:0:99999:7:::" >> /etc/shadow
install -d -m 0755 -o "$UID_NUM" -g "$UID_NUM" /home/pharos
install -d -m 0700 -o "$UID_NUM" -g "$UID_NUM" /home/pharos/.ssh
install -m 0600 -o "$UID_NUM" -g "$UID_NUM" "$state/authorized_keys" /home/pharos/.ssh/authorized_keys

emu_path=/usr/local/lib/pharos-testbed/bin
# sudo's secure_path (root's PATH) has the sbin directories on every
# distribution; a non-root user's ssh command gets the distribution's own
# PATH (os/NAME/ssh-path), which on Debian and EL 7 has none.
sudo_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ssh_path=$(grep -v '^#' "$SRC/os/$OS/ssh-path")
if [[ -n "$EMU_DIR" ]]; then
        sudo_path=$emu_path:$sudo_path
        ssh_path=$emu_path:$ssh_path
        if [[ ":$ssh_path:" != *:/usr/sbin:* ]]; then
                # The emulators of programs the distributions install in sbin
                # (kmod's modprobe, procps' sysctl, util-linux's swapon and
                # swapoff, firewalld) stay out of such a PATH: a directory of
                # links to the others stands in for bin/.
                user_bin=/usr/local/lib/pharos-testbed/user-bin
                mkdir -p "$user_bin"
                for tool in "$EMU_DIR"/*; do
                        case ${tool##*/} in
                        modprobe | sysctl | swapon | swapoff | firewalld | pharos_emu) ;;
                        *) ln -s "$emu_path/${tool##*/}" "$user_bin/${tool##*/}" ;;
                        esac
                done
                ssh_path=$user_bin:${ssh_path#"$emu_path":}
        fi
fi
rm -f /etc/sudoers.d/*
if [[ "$SUDO_NOPASSWD" == yes ]]; then
        rule='pharos ALL=(ALL:ALL) NOPASSWD: ALL'
else
        rule='pharos ALL=(ALL:ALL) ALL'
fi
printf 'Defaults secure_path="%s"\n%s\n' "$sudo_path" "$rule" > /etc/sudoers.d/pharos-testbed
chmod 0440 /etc/sudoers.d/pharos-testbed

# Interactive login shells read /etc/profile, which resets PATH.
if [[ -n "$EMU_DIR" ]]; then
        # shellcheck disable=SC2016 # $PATH is expanded by the login shell
        printf 'PATH="%s:$PATH"\nexport PATH\n' "${ssh_path%%:*}" > /etc/profile.d/00-pharos-testbed.sh
fi

rm -f /etc/ssh/ssh_host_* /etc/ssh/sshd_config.d/*
install -m 0600 "$state/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 "$state/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
cat > /etc/ssh/sshd_config <<EOF
ListenAddress $ADDR:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
UsePAM no
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding $FORWARDING
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups $MAX_STARTUPS
SetEnv PATH=$ssh_path
Subsystem sftp /usr/lib/openssh/sftp-server
EOF

install -d -m 1777 /var/lib/pharos-testbed /var/log/pharos-testbed
install -m 0666 /dev/null /var/log/pharos-testbed/journal.jsonl

if [[ -n "$EMU_DIR" ]]; then
        mkdir -p "$emu_path"
        mount --bind "$EMU_DIR" "$emu_path"
        mount -o remount,bind,ro "$emu_path"
fi

# From here on the caller's files (DIR may be under /tmp) are no longer needed.
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs -o mode=1777 shm /dev/shm
install -d -m 0755 /run/sshd /run/lock /run/sudo

# The rest of the machine (/, /usr, the sources) stays read-only for the host.
mount -o remount,bind,ro /

/usr/sbin/sshd -D -f /etc/ssh/sshd_config -E /var/log/sshd.log &
echo "ready"

# bash reaps every child (also orphans reparented to pid 1) from its SIGCHLD
# handling while it waits.
while :; do
        sleep 2147483647 &
        wait $! || true
done
