#!/bin/bash
# The Debian root filesystems of the real tier's hosts, built with debootstrap
# from Debian's archive and cached:
#
#   rootfs.sh [OS]               build it unless cached; print its directory
#   rootfs.sh --print-dir [OS]   print the directory, exit 1 if not built yet
#
# OS is debian-12 (bookworm, the default) or debian-13 (trixie).
#
# Cache: ${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}/rootfs/
# OS-<hash>/, where the hash covers the recipe below (suite, archive,
# package list and the finishing steps), so a changed recipe builds a new
# directory. The build runs in a temporary directory next to it that is
# renamed into place when complete; hosts only ever read the result (it is
# the lower layer of each host's overlay).
#
# What is in it: debootstrap's default variant (Priority required and
# important: what a Debian server installed without tasks has) plus systemd,
# systemd-sysv, dbus, openssh-server, sudo, iproute2, ca-certificates, curl
# and gnupg. What pharos' Debian OS plugin installs itself (conntrack, socat,
# ebtables, ethtool, iptables: plugins/os-common/scripts/apt-essentials.sh)
# is left out, so that it comes from the real apt at `pharos up` time.
set -euo pipefail

ARCHIVE=http://deb.debian.org/debian
INCLUDE=systemd,systemd-sysv,dbus,openssh-server,sudo,iproute2,ca-certificates,curl,gnupg

die() {
        echo "rootfs: $1" >&2
        exit 1
}

# Steps after debootstrap, run in the new tree ($1). What each host gets of
# its own (hostname, machine-id, ssh host key, users, addresses) is written
# at boot by boot.sh, so nothing host-specific stays here.
finish() {
        local r=$1 suite=$2
        # debootstrap copies the machine's resolver and name; the host's own
        # come at boot.
        rm -f "$r/etc/resolv.conf" "$r/etc/hostname"
        # openssh-server's postinst made host keys: every host gets its own.
        rm -f "$r"/etc/ssh/ssh_host_*
        # Empty: systemd would treat the first boot of each host as such; the
        # host's own id is written at boot.
        : > "$r/etc/machine-id"
        rm -f "$r/var/lib/dbus/machine-id"
        # As the Debian installer writes them (plain HTTP: apt checks the
        # signatures); the hosts resolve both names to the testbed's mirror.
        cat > "$r/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $suite main
deb http://security.debian.org/debian-security $suite-security main
EOF
        chroot "$r" apt-get clean
        rm -rf "$r"/var/lib/apt/lists/* "$r"/var/log/*.log "$r"/var/cache/debconf/*-old
}

print_only=no
if [[ ${1:-} == --print-dir ]]; then
        print_only=yes
        shift
fi
os=${1:-debian-12}
case $os in
debian-12) SUITE=bookworm ;;
debian-13) SUITE=trixie ;;
*) die "usage: rootfs.sh [--print-dir] [debian-12|debian-13]" ;;
esac
(($# <= 1)) || die "usage: rootfs.sh [--print-dir] [debian-12|debian-13]"

cache=${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}/rootfs
recipe="$SUITE $ARCHIVE $INCLUDE
$(declare -f finish)"
hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
name=$os-$hash
out=$cache/$name

if [[ -f "$out/etc/os-release" ]]; then
        echo "$out"
        exit 0
fi
[[ $print_only == no ]] || exit 1
((EUID == 0)) || die "must run as root (debootstrap)"
command -v debootstrap > /dev/null || die "debootstrap is missing (scripts/deps.sh installs it)"

mkdir -p "$cache"
# Testbeds started together wait for one build.
exec 9> "$cache/.lock-$name"
flock 9
if [[ -f "$out/etc/os-release" ]]; then
        echo "$out"
        exit 0
fi
tmp=$(mktemp -d "$cache/.build-$name.XXXXXX")
chmod 0755 "$tmp" # the root directory of the hosts: mktemp made it 0700
trap 'rm -rf "$tmp" "$tmp.log"' EXIT
start=$SECONDS
echo "rootfs: debootstrap $SUITE from $ARCHIVE into $tmp" >&2
# Download and unpack, then configure the packages with their maintainer
# scripts in namespaces of their own: the mounts debootstrap makes in the tree
# (/proc, /sys) and any daemon a postinst might start (sshd) never reach the
# machine, and nothing there has network.
isolated() {
        unshare --mount --propagation private --net --uts --ipc --pid --fork "$@"
}
if ! unshare --mount --propagation private \
        debootstrap --foreign --include="$INCLUDE" "$SUITE" "$tmp" "$ARCHIVE" > "$tmp.log" 2>&1 ||
        ! isolated chroot "$tmp" /debootstrap/debootstrap --second-stage >> "$tmp.log" 2>&1; then
        tail -20 "$tmp.log" >&2
        die "debootstrap failed"
fi
# shellcheck disable=SC2016 # $1 is expanded by the inner bash
isolated bash -c "$(declare -f finish)"'; finish "$1" "$2"' finish "$tmp" "$SUITE"
rm -f "$tmp.log"
mv -T "$tmp" "$out"
trap - EXIT
rm -f "$cache/.lock-$name"
echo "rootfs: built $out in $((SECONDS - start))s, $(du -sh "$out" | cut -f1)" >&2
echo "$out"
