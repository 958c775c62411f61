#!/usr/bin/env bash
# The Debian 12 root the .deb test installs into, built unless cached; prints
# its directory. It is the real tier's debootstrap root
# (tests/testbed/real/host/rootfs.sh, which builds that unless cached) plus
# what building the SDK example needs (gcc, make, cmake, pkg-config) and
# apt's package lists for Debian's archive, so that a test run only
# refreshes them.
#
# Cache: ${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}/packaging-root/
# <base root's name>-<hash>, the hash covering the recipe below. Built in a
# temporary directory next to it and renamed into place when complete; tests
# only ever read it (the lower layer of their overlay).
set -euo pipefail

TOOLS=(gcc libc6-dev make cmake pkg-config)

die() {
        echo "packaging root: $1" >&2
        exit 1
}

# Run in namespaces of their own on the new tree ($1): /proc and any daemon
# a postinst might start stay there. The network is the machine's: apt
# fetches from Debian's archive.
finish() {
        local r=$1
        mount -t proc proc "$r/proc"
        cp -L /etc/resolv.conf "$r/etc/resolv.conf"
        # Debian's archive as this machine reaches it (security.debian.org
        # may not be reachable where deb.debian.org is).
        cat > "$r/etc/apt/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
        # No service a package brings is started in the root.
        printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
        chmod 0755 "$r/usr/sbin/policy-rc.d"
        chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                apt-get update -q
        chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "${TOOLS[@]}"
        chroot "$r" apt-get clean
        rm -f "$r/etc/resolv.conf"
        umount "$r/proc"
}

base=$("$(dirname "$0")/../testbed/real/host/rootfs.sh") || die "no Debian 12 root to start from"
cache=${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}/packaging-root
recipe="${base##*/} ${TOOLS[*]}
$(declare -f finish)"
hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
name=${base##*/}-$hash
out=$cache/$name

if [[ -x "$out/usr/bin/cmake" ]]; then
        echo "$out"
        exit 0
fi
((EUID == 0)) || die "must run as root (chroot)"
mkdir -p "$cache"
# Tests started together wait for one build.
exec 9> "$cache/.lock-$name"
flock 9
if [[ -x "$out/usr/bin/cmake" ]]; then
        echo "$out"
        exit 0
fi
tmp=$(mktemp -d "$cache/.build-$name.XXXXXX")
trap 'rm -rf --one-file-system "$tmp" "$tmp.log"' EXIT
start=$SECONDS
echo "packaging root: $base plus ${TOOLS[*]} into $tmp" >&2
cp -a "$base/." "$tmp/"
# shellcheck disable=SC2016 # $1 is expanded by the inner bash
if ! unshare --mount --propagation private --uts --ipc --pid --fork \
        bash -c "TOOLS=(${TOOLS[*]}); $(declare -f finish)"'; set -e; finish "$1"' finish "$tmp" \
        > "$tmp.log" 2>&1; then
        tail -20 "$tmp.log" >&2
        die "installing ${TOOLS[*]} failed"
fi
rm -f "$tmp.log"
mv -T "$tmp" "$out"
trap - EXIT
rm -f "$cache/.lock-$name"
echo "packaging root: built $out in $((SECONDS - start))s, $(du -sh "$out" | cut -f1)" >&2
echo "$out"
