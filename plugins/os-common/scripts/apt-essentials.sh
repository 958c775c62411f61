#!/bin/sh
# Packages a Debian or Ubuntu node needs before Kubernetes: what the kubeadm
# install docs use to add pkgs.k8s.io (ca-certificates, curl, gpg; apt has
# spoken https itself since 1.5, so no apt-transport-https) and what kubeadm's
# preflight checks look for (conntrack, socat, ebtables, ethtool, iptables,
# ip/tc from iproute2). Installs only the missing ones.
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}
export DEBIAN_FRONTEND=noninteractive

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

packages="ca-certificates curl gpg conntrack socat ebtables ethtool iptables iproute2"
# One query for all of them: "ii  curl" per known package.
# shellcheck disable=SC2086 # one word per package
status=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $packages 2>/dev/null || true)
set --
for p in $packages; do
        if ! printf '%s\n' "$status" |
                awk -v p="$p" '($1 == "ii" || $1 == "hi") && $2 == p { f = 1 } END { exit !f }'; then
                set -- "$@" "$p"
        fi
done
if [ "$#" -gt 0 ] && need "install $*"; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends "$@" >&2
fi
