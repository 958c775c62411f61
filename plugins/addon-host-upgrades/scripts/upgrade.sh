#!/bin/sh
# pharos host upgrades (installed by pharos' addon-host-upgrades; run by
# pharos-host-upgrades.service from its timer): upgrades the host's
# packages, leaving held or version-locked ones (the Kubernetes packages)
# alone, then reboots when the upgrade needs it and the settings allow.
# Settings: /etc/pharos/host-upgrades.env (REBOOT, DRAIN).
set -eu
REBOOT=false
DRAIN=false
# shellcheck disable=SC1091
[ -r /etc/pharos/host-upgrades.env ] && . /etc/pharos/host-upgrades.env
sentinel=/var/run/reboot-required

if command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get -q update
        apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade
elif command -v dnf >/dev/null 2>&1; then
        dnf -q -y upgrade
        # needs-restarting (dnf-utils) exits 1 when a reboot is needed; kured
        # and the code below look for the Debian-style sentinel file.
        if command -v needs-restarting >/dev/null 2>&1 && ! needs-restarting -r >/dev/null 2>&1; then
                : >"$sentinel"
        fi
else
        echo "pharos-host-upgrades: no apt-get or dnf on this host" >&2
        exit 1
fi

if [ ! -e "$sentinel" ]; then
        echo "pharos-host-upgrades: upgraded, no reboot needed"
        exit 0
fi
if [ "$REBOOT" != true ]; then
        echo "pharos-host-upgrades: upgraded; a reboot is needed (reboot is off)"
        exit 0
fi
if [ "$DRAIN" = true ]; then
        # kured (addons.kured) sees the sentinel, takes the cluster-wide lock,
        # drains this node, reboots it and uncordons it afterwards.
        echo "pharos-host-upgrades: upgraded; kured drains and reboots this node"
        exit 0
fi
echo "pharos-host-upgrades: upgraded; rebooting in one minute"
shutdown -r +1 "pharos host upgrades"
