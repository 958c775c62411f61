#!/bin/sh
# kubelet, kubeadm and kubectl at PHAROS_KUBE_VERSION from the repository the
# kube-repo step configured: pinned with apt preferences (PHAROS_APT_PIN),
# held with apt-mark as the kubeadm install docs do, kubelet enabled.
# PHAROS_KUBE_PACKAGES, when set, names the only packages to move (another
# plugin's upgrade asking for them). Without it, a joined node whose kubelet
# is at another version is being upgraded: only kubeadm moves here, as the
# upgrade runs it first; its kubelet and kubectl follow with the node drained.
# kubernetes-cni comes along as the kubelet's dependency; cri-tools (crictl,
# which kubeadm's troubleshooting uses) is installed from the same repository,
# as kubeadm stopped depending on it in 1.32.
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}
version=${PHAROS_KUBE_VERSION:?}
pin=${PHAROS_APT_PIN:?}
pin_file=/etc/apt/preferences.d/kubernetes
all="kubelet kubeadm kubectl"
packages=${PHAROS_KUBE_PACKAGES:-$all}
export DEBIAN_FRONTEND=noninteractive

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

installed() {
        dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
}

if [ "$(cat "$pin_file" 2>/dev/null || true)" != "$pin" ]; then
        if need "pin $packages to $version in $pin_file"; then
                mkdir -p /etc/apt/preferences.d
                printf '%s\n' "$pin" >"$pin_file"
        fi
fi

if [ -z "${PHAROS_KUBE_PACKAGES:-}" ] && [ -e /etc/kubernetes/kubelet.conf ]; then
        case "$(installed kubelet)" in
        "" | "$version"-*) ;;
        *) packages=kubeadm ;;
        esac
fi

# One query for all three: "kubelet 1.37.2-1.1" per installed package.
# shellcheck disable=SC2086 # one word per package
versions=$(dpkg-query -W -f='${Package} ${Version}\n' $packages 2>/dev/null || true)
outdated=""
for p in $packages; do
        case "$(printf '%s\n' "$versions" | awk -v p="$p" '$1 == p { print $2 }')" in
        "$version"-*) ;;
        *) outdated="$outdated $p" ;;
        esac
done
updated=""
if [ -n "$outdated" ] && need "install$outdated $version"; then
        apt-get update -q >&2
        updated=yes
        # shellcheck disable=SC2086 # one word per package
        apt-get install -y -q --allow-change-held-packages $packages >&2
        for p in $packages; do
                case "$(installed "$p")" in
                "$version"-*) ;;
                *)
                        echo "$p $version is not available from the configured repositories" \
                                "(installed: $(installed "$p"))" >&2
                        exit 1
                        ;;
                esac
        done
fi

if ! dpkg-query -W -f='${Status}\n' cri-tools 2>/dev/null | grep -q ' installed$' &&
        need "install cri-tools"; then
        [ -n "$updated" ] || apt-get update -q >&2
        apt-get install -y -q cri-tools >&2
fi

held=$(apt-mark showhold 2>/dev/null || true)
unheld=""
for p in $all; do
        printf '%s\n' "$held" | grep -qx "$p" || unheld="$unheld $p"
done
if [ -n "$unheld" ] && need "hold$unheld"; then
        # shellcheck disable=SC2086 # one word per package
        apt-mark hold $unheld >&2
fi

if ! systemctl is-enabled -q kubelet 2>/dev/null && need "enable kubelet"; then
        systemctl enable kubelet >&2
fi
