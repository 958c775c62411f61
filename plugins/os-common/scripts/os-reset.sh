#!/bin/sh
# Takes off a host what the OS steps put there for Kubernetes (`pharos
# reset`): the kube packages (released from their hold, purged), then the
# files in PHAROS_REMOVE (one per line: repositories and their keys, the apt
# pin, the kernel module and sysctl settings). The essential tools
# (conntrack, socat ...) stay, as other software may use them; swap stays
# off and /etc/environment as it is.
# PHAROS_PKG=apt|dnf; PHAROS_MODE=check|apply; one "pharos-change: ..." line
# per change.
set -eu
mode=${PHAROS_MODE:?}
pkg=${PHAROS_PKG:?}
remove=${PHAROS_REMOVE-}
# kubernetes-cni came as the kubelet's dependency, cri-tools with the others.
packages="kubelet kubeadm kubectl cri-tools kubernetes-cni"

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

present=""
for p in $packages; do
        if [ "$pkg" = apt ]; then
                [ -z "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)" ] ||
                        present="$present $p"
        elif rpm -q "$p" >/dev/null 2>&1; then
                present="$present $p"
        fi
done
units=""
if systemctl is-enabled -q kubelet 2>/dev/null && need "disable kubelet"; then
        systemctl disable --now kubelet >&2
        units=1
fi
if [ -n "$present" ] && need "remove$present"; then
        if [ "$pkg" = apt ]; then
                # shellcheck disable=SC2086 # one word per package
                apt-mark unhold $present >/dev/null
                # shellcheck disable=SC2086
                DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --allow-change-held-packages \
                        $present >&2
        else
                # The repository's exclude= is their hold.
                # shellcheck disable=SC2086
                dnf remove -y -q --disableexcludes=all $present >&2
        fi
        units=1
fi
# The kubelet's unit files went with the package: systemd forgets them.
if [ -n "$units" ]; then
        systemctl daemon-reload >&2
fi

removed=""
old_ifs=$IFS
IFS='
'
for f in $remove; do
        if { [ -e "$f" ] || [ -L "$f" ]; } && need "remove $f"; then
                rm -f -- "$f"
                removed=1
        fi
done
IFS=$old_ifs
if [ -n "$removed" ] && [ "$pkg" = apt ]; then
        apt-get update -q >&2 || true
fi
