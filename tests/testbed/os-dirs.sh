#!/bin/bash
# Writes os/NAME/dirs for a Debian or Ubuntu fixture: every directory under
# /etc that the distribution's base packages ship, read from the packages
# themselves (a host's /etc is the machine's plus these, so a host of NAME
# has them whatever the machine has installed).
#
#   os-dirs.sh NAME MIRROR SUITE     e.g. debian-12 http://deb.debian.org/debian bookworm
set -euo pipefail
(($# == 3)) || { sed -n '7p' "$0" | sed 's/^# *//' >&2; exit 2; }
name=$1 mirror=$2 suite=$3
out=$(cd "$(dirname "$0")/os/$name" && pwd)/dirs
# The packages every server of these distributions has that own /etc directories
# pharos or the emulators write into (sysctl.d, modules-load.d, modprobe.d,
# apt's, systemd's, ssl/certs).
packages=(base-files systemd procps kmod apt udev openssl ca-certificates)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/apt.conf.d" "$work/etc/preferences.d"
# Only the packages' file lists are read, never installed: the index needs no key.
echo "deb [trusted=yes] $mirror $suite main" > "$work/etc/sources.list"
opts=(-q -o "Dir::State=$work" -o "Dir::State::status=/dev/null" -o "Dir::Cache=$work"
        -o "Dir::Etc=$work/etc" -o "Dir::Etc::sourceparts=-" -o APT::Architecture=amd64 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
apt-get "${opts[@]}" update > /dev/null
(cd "$work" && apt-get "${opts[@]}" download "${packages[@]}" > /dev/null)
{
        echo "# Directories under /etc shipped by $name's packages (${packages[*]}),"
        echo "# from $mirror $suite by os-dirs.sh: PACKAGE MODE DIRECTORY"
        for deb in "$work"/*.deb; do
                dpkg-deb -c "$deb" | awk -v p="$(dpkg-deb -f "$deb" Package)" '
                        function mode(s,   i, m, o) {
                                o = ""
                                for (i = 0; i < 3; i++) {
                                        m = 0
                                        if (substr(s, 2 + 3 * i, 1) == "r") m += 4
                                        if (substr(s, 3 + 3 * i, 1) == "w") m += 2
                                        if (substr(s, 4 + 3 * i, 1) ~ /[xs]/) m += 1
                                        o = o m
                                }
                                return "0" o
                        }
                        substr($1, 1, 1) == "d" {
                                n = $6; sub(/^\./, "", n); sub(/\/$/, "", n)
                                if (n ~ /^\/etc\//) print p, mode($1), n
                        }'
        done | sort -k3,3 -u
} > "$out"
echo "$out: $(grep -vc '^#' "$out") directories"
