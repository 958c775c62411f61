#!/bin/sh
# CRI-O's package repository for one minor (MINOR, e.g. v1.37, following the
# Kubernetes minor), set up as https://github.com/cri-o/packaging describes.
# MODE=check prints "todo: WHY"; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}" "${MINOR:?}"
base="https://download.opensuse.org/repositories/isv:/cri-o:/stable:/$MINOR"

# The package manager: the one present; when a host has both tools on its
# PATH, the os-release family decides.
# shellcheck disable=SC1091
. /etc/os-release
family=""
command -v apt-get >/dev/null 2>&1 && family=deb
if command -v dnf >/dev/null 2>&1; then
        if [ -z "$family" ]; then
                family=rpm
        else
                case " ${ID:-} ${ID_LIKE:-} " in
                *" rhel "* | *" fedora "* | *" centos "*) family=rpm ;;
                esac
        fi
fi

if [ "$family" = deb ]; then
        key=/etc/apt/keyrings/cri-o-apt-keyring.gpg
        list=/etc/apt/sources.list.d/cri-o.list
        line="deb [signed-by=$key] $base/deb/ /"
        if [ -s "$key" ] && [ "$(cat "$list" 2>/dev/null || true)" = "$line" ] &&
                [ "$(cat "$key.url" 2>/dev/null || true)" = "$base/deb/Release.key" ]; then
                exit 0
        fi
        if [ "$MODE" = check ]; then
                echo "todo: the CRI-O $MINOR apt repository is not configured"
                exit 0
        fi
        install -m 0755 -d /etc/apt/keyrings
        # The key is fetched and dearmored: curl and gpg first, as the install docs do.
        if ! command -v curl >/dev/null 2>&1 || ! command -v gpg >/dev/null 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                        ca-certificates curl gnupg >/dev/null
        fi
        curl -fsSL "$base/deb/Release.key" | gpg --batch --yes --dearmor -o "$key.tmp"
        chmod a+r "$key.tmp"
        mv "$key.tmp" "$key"
        printf '%s\n' "$base/deb/Release.key" >"$key.url"
        printf '%s\n' "$line" >"$list"
        # A failed update must not leave a repository the check would take as configured.
        if ! apt-get update -q >/dev/null; then
                rm -f "$list"
                exit 1
        fi
        echo "changed: configured the CRI-O $MINOR apt repository"
elif [ "$family" = rpm ]; then
        repo=/etc/yum.repos.d/cri-o.repo
        want="[cri-o]
name=CRI-O
baseurl=$base/rpm/
enabled=1
gpgcheck=1
gpgkey=$base/rpm/repodata/repomd.xml.key"
        if [ "$(cat "$repo" 2>/dev/null || true)" = "$want" ]; then
                exit 0
        fi
        if [ "$MODE" = check ]; then
                echo "todo: the CRI-O $MINOR dnf repository is not configured"
                exit 0
        fi
        mkdir -p /etc/yum.repos.d
        printf '%s\n' "$want" >"$repo"
        echo "changed: configured the CRI-O $MINOR dnf repository"
else
        echo "neither apt-get nor dnf found: unsupported package manager" >&2
        exit 1
fi
