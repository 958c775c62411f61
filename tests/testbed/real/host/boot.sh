#!/bin/bash
# PID 1 of one real-tier host until it becomes the host's systemd. The
# testbed runs it, from inside the host's own cgroups, as
#   unshare --mount --uts --ipc --net --pid --cgroup --fork boot.sh STATE
# so every namespace is new and the cgroup namespace is rooted at the host's
# cgroups. It mounts the host's root (an overlay on the cached Debian tree),
# writes what makes this host itself, waits until the testbed has plugged its
# network in, mounts the API file systems as a container manager does
# (systemd.io/CONTAINER_INTERFACE), and execs /lib/systemd/systemd.
#
# Nothing mounted or written here reaches the machine: every mount is in the
# host's mount namespace (private propagation), every file in the overlay's
# upper directory or the host's state directory.
set -euo pipefail

state=$1
# shellcheck source=/dev/null
. "$state/env" # NAME ADDR GATEWAY ROOTFS MIRROR_NAMES HOST_CAPS_DROP

fail() {
        echo "boot[$NAME]: $*" >&2
        exit 1
}

mount --make-rprivate /
hostname "$NAME"

root=$state/root
# The overlay's root directory takes the mode of the upper one.
install -d -m 0755 "$state/upper" "$state/work" "$root" "$state/containerd"
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$state/upper,workdir=$state/work" "$root"

# --- what makes this host itself ---------------------------------------------
echo "$NAME" > "$root/etc/hostname"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$root/etc/machine-id"
echo >> "$root/etc/machine-id"
{
        printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$ADDR" "$NAME"
        printf '::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n'
        # Every repository and registry name the testbed's mirror answers for.
        printf '%s\t%s\n' "$GATEWAY" "$MIRROR_NAMES"
} > "$root/etc/hosts"
# Nothing answers DNS on the switch: names outside /etc/hosts fail fast.
echo "nameserver $GATEWAY" > "$root/etc/resolv.conf"

# The mirror's CA: appended to the bundle now, and where update-ca-certificates
# finds it, so a later run (a ca-certificates upgrade) keeps it.
if [[ -s "$state/mirror-ca.crt" ]]; then
        install -m 0644 "$state/mirror-ca.crt" "$root/usr/local/share/ca-certificates/pharos-testbed-mirror.crt"
        cat "$state/mirror-ca.crt" >> "$root/etc/ssl/certs/ca-certificates.crt"
fi

install -m 0600 "$state/ssh_host_ed25519_key" "$root/etc/ssh/ssh_host_ed25519_key"
install -m 0644 "$state/ssh_host_ed25519_key.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
# Debian's sshd_config includes this directory first; keys only, and only the
# host key the testbed's known_hosts lists.
cat > "$root/etc/ssh/sshd_config.d/pharos-testbed.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
PermitRootLogin no
EOF

# The user pharos reaches the host as: key auth, sudo without password, a
# plain /bin/sh without rc files (no skeleton).
chroot "$root" useradd --no-create-home --home-dir /home/pharos --shell /bin/sh \
        --password "$PW_HASH" pharos
install -d -m 0755 -o 1000 -g 1000 "$root/home/pharos"
install -d -m 0700 -o 1000 -g 1000 "$root/home/pharos/.ssh"
install -m 0600 -o 1000 -g 1000 "$state/authorized_keys" "$root/home/pharos/.ssh/authorized_keys"
[[ "$(chroot "$root" id -u pharos)" == 1000 ]] || fail "pharos did not get uid 1000"
if [[ "$SUDO_NOPASSWD" == yes ]]; then
        echo 'pharos ALL=(ALL:ALL) NOPASSWD: ALL' > "$root/etc/sudoers.d/pharos-testbed"
else
        echo 'pharos ALL=(ALL:ALL) ALL' > "$root/etc/sudoers.d/pharos-testbed"
fi
chmod 0440 "$root/etc/sudoers.d/pharos-testbed"

# containerd's overlayfs snapshotter cannot put its layers on an overlay
# upper directory: give it a directory of the state's own file system.
mkdir -p "$root/var/lib/containerd"
mount --bind "$state/containerd" "$root/var/lib/containerd"

# --- network: the testbed moves eth0 in and addresses it ---------------------
for ((i = 0; i < 600; i++)); do
        [[ -e "$state/net.ready" ]] && break
        sleep 0.05
done
[[ -e "$state/net.ready" ]] || fail "the testbed did not plug the network in"

# --- API file systems ----------------------------------------------------------
# /proc of the host's pid namespace. The kernel's global knobs stay read-only
# (/proc/sys, sysrq-trigger, irq ...). Writable: the sysctls of the host's own
# namespaces (network: net/; uts: hostname, domainname; ipc: shm, msg, sem,
# mqueue) and the few global ones the kubelet insists on setting, which are
# shadowed by files of the host (see the tier's README: their writes never
# reach the kernel).
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
for p in net kernel/hostname kernel/domainname kernel/shmmax kernel/shmall kernel/shmmni \
        kernel/shm_rmid_forced kernel/msgmax kernel/msgmnb kernel/msgmni kernel/sem fs/mqueue; do
        [[ -e "$root/proc/sys/$p" ]] && mount --bind "$root/proc/sys/$p" "$root/proc/sys/$p"
done
mount --rbind "$root/proc/sys" "$root/proc/sys"
mount -o remount,bind,ro "$root/proc/sys"
for p in sysrq-trigger irq bus fs acpi scsi; do
        [[ -e "$root/proc/$p" ]] || continue
        mount --bind "$root/proc/$p" "$root/proc/$p"
        mount -o remount,bind,ro "$root/proc/$p"
done
mkdir -p "$state/sysctl"
for k in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops \
        kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
        f=$state/sysctl/${k//\//.}
        cat "/proc/sys/$k" > "$f"
        mount --bind "$f" "$root/proc/sys/$k"
done

# /sys of the host's network namespace (its own interfaces), read-only.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
# cgroups v1 as the machine has them (the testbed lists them: MOUNTPOINT
# OPTIONS), one hierarchy per mount, each mounted
# in the host's cgroup namespace: its root is the host's own subtree, writable
# for systemd, the kubelet and runc. The unified (cgroup2) hierarchy is left
# out, so systemd runs the legacy layout the kubelet supports here.
mount -t tmpfs -o nosuid,nodev,noexec,mode=0755,size=4m cgroup "$root/sys/fs/cgroup"
while read -r dir opts; do
        hier=${dir##*/}
        mkdir -p "$root/sys/fs/cgroup/$hier"
        mount -t cgroup -o "nosuid,nodev,noexec,$opts" cgroup "$root/sys/fs/cgroup/$hier"
        # A hierarchy of several controllers is also reachable under each name.
        if [[ $hier == *,* ]]; then
                IFS=, read -r -a parts <<< "$hier"
                for c in "${parts[@]}"; do
                        [[ -e "$root/sys/fs/cgroup/$c" ]] || ln -s "$hier" "$root/sys/fs/cgroup/$c"
                done
        fi
done < "$state/hierarchies"
mount -o remount,ro "$root/sys/fs/cgroup"

# /dev: a tmpfs with the usual nodes; /dev/kmsg is the kernel's (the kubelet
# watches it for OOM kills).
mount -t tmpfs -o nosuid,mode=0755,size=4m dev "$root/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 kmsg:1:11; do
        IFS=: read -r n major minor <<< "$node"
        mknod -m 0666 "$root/dev/$n" c "$major" "$minor"
done
chmod 0644 "$root/dev/kmsg"
mkdir -m 0755 "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"

# --- become the host ------------------------------------------------------------
cd "$root"
pivot_root . .
umount -l .
cd /
# Shared within the host, as systemd makes it on a machine of its own (the
# kubelet and runc rely on it for mount propagation into pods). The peer
# groups are new ones of this namespace (every mount was made private first),
# so nothing propagates to the machine.
mount --make-rshared /
# Capabilities whose effect is machine-wide (clock, raw I/O and debugfs,
# process accounting, audit and LSM configuration) leave the bounding set.
exec setpriv --bounding-set "$HOST_CAPS_DROP" -- \
        env -i container=pharos-testbed /lib/systemd/systemd
