#!/bin/sh
# What a RHEL-family 9 node needs before Kubernetes: the tools kubeadm's
# preflight checks look for (conntrack, socat, ethtool, iptables, ip/tc),
# installed when missing, and SELinux permissive as the kubeadm install docs
# set it (now and in /etc/selinux/config). No curl: dnf and rpm fetch keys
# themselves, and installing curl over EL 9's curl-minimal would conflict.
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

set --
packages="conntrack-tools socat ethtool iptables-nft iproute"
# One query for all: the name of each installed one ("package X is not
# installed" for the others).
# shellcheck disable=SC2086 # one word per package
status=$(rpm -q --qf '%{NAME}\n' $packages 2>/dev/null || true)
for p in $packages; do
        printf '%s\n' "$status" | grep -qxF "$p" || set -- "$@" "$p"
done
if [ "$#" -gt 0 ] && need "install $*"; then
        dnf install -y -q "$@" >&2
fi

if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
        if need "set SELinux permissive"; then
                setenforce 0
        fi
fi
if [ -f /etc/selinux/config ] && grep -q '^SELINUX=enforcing$' /etc/selinux/config; then
        if need "set SELINUX=permissive in /etc/selinux/config"; then
                sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config
        fi
fi
