#!/bin/sh
# kubelet, kubeadm and kubectl at PHAROS_KUBE_VERSION, as the kubeadm install
# docs install them on RHEL-family hosts: the repository's exclude= is their
# hold, lifted for this one install with --disableexcludes
# (PHAROS_DISABLE_EXCLUDES), kubelet enabled. kubernetes-cni comes along as
# the kubelet's dependency; cri-tools (crictl) is installed from the same
# repository, as kubeadm stopped depending on it in 1.32.
# PHAROS_KUBE_PACKAGES, when set, names the only packages to move (another
# plugin's upgrade asking for them). Without it, a joined node whose kubelet
# is at another version is being upgraded: only kubeadm moves here, as the
# upgrade runs it first; its kubelet and kubectl follow with the node drained.
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}
version=${PHAROS_KUBE_VERSION:?}
disable=${PHAROS_DISABLE_EXCLUDES:?}
packages=${PHAROS_KUBE_PACKAGES:-kubelet kubeadm kubectl}
if [ -z "${PHAROS_KUBE_PACKAGES:-}" ] && [ -e /etc/kubernetes/kubelet.conf ]; then
        have=$(rpm -q --qf '%{VERSION}' kubelet 2>/dev/null || true)
        case "$have" in
        "" | "$version" | *"not installed"*) ;;
        *) packages=kubeadm ;;
        esac
fi

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

# One query for all three: "kubelet 1.37.2" per installed package.
# shellcheck disable=SC2086 # one word per package
versions=$(rpm -q --qf '%{NAME} %{VERSION}\n' $packages 2>/dev/null || true)
outdated=""
for p in $packages; do
        printf '%s\n' "$versions" | grep -qxF "$p $version" || outdated="$outdated $p"
done
if [ -n "$outdated" ] && need "install$outdated $version"; then
        set --
        for p in $outdated; do
                set -- "$@" "$p-$version"
        done
        dnf install -y -q --disableexcludes="$disable" "$@" >&2
fi

if ! rpm -q cri-tools >/dev/null 2>&1 && need "install cri-tools"; then
        dnf install -y -q --disableexcludes="$disable" cri-tools >&2
fi

if ! systemctl is-enabled -q kubelet 2>/dev/null && need "enable kubelet"; then
        systemctl enable kubelet >&2
fi
