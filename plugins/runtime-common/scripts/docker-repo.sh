#!/bin/sh
# Docker's package repository (containerd.io, docker-ce), set up as
# https://docs.docker.com/engine/install/ describes for the host's family.
# MODE=check prints "todo: WHY"; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}"

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
        case "${ID:-}" in
        ubuntu | debian) distro=$ID ;;
        *) distro=debian ;;
        esac
        key=/etc/apt/keyrings/docker.gpg
        list=/etc/apt/sources.list.d/docker.list
        line="deb [arch=$(dpkg --print-architecture) signed-by=$key] https://download.docker.com/linux/$distro ${UBUNTU_CODENAME:-${VERSION_CODENAME:?}} stable"
        if [ -s "$key" ] && [ "$(cat "$list" 2>/dev/null || true)" = "$line" ]; then
                exit 0
        fi
        if [ "$MODE" = check ]; then
                echo "todo: Docker's apt repository is not configured"
                exit 0
        fi
        install -m 0755 -d /etc/apt/keyrings
        # The key is fetched and dearmored: curl and gpg first, as the install docs do.
        if ! command -v curl >/dev/null 2>&1 || ! command -v gpg >/dev/null 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                        ca-certificates curl gnupg >/dev/null
        fi
        if [ ! -s "$key" ]; then
                curl -fsSL "https://download.docker.com/linux/$distro/gpg" |
                        gpg --batch --yes --dearmor -o "$key.tmp"
                chmod a+r "$key.tmp"
                mv "$key.tmp" "$key"
        fi
        printf '%s\n' "$line" >"$list"
        # A failed update must not leave a repository the check would take as configured.
        if ! apt-get update -q >/dev/null; then
                rm -f "$list"
                exit 1
        fi
        echo "changed: configured Docker's apt repository"
elif [ "$family" = rpm ]; then
        case "${ID:-}" in
        rhel) distro=rhel ;;
        fedora) distro=fedora ;;
        *) distro=centos ;;
        esac
        repo=/etc/yum.repos.d/docker-ce.repo
        want="[docker-ce-stable]
name=Docker CE Stable - \$basearch
baseurl=https://download.docker.com/linux/$distro/\$releasever/\$basearch/stable
enabled=1
gpgcheck=1
gpgkey=https://download.docker.com/linux/$distro/gpg"
        if [ "$(cat "$repo" 2>/dev/null || true)" = "$want" ]; then
                exit 0
        fi
        if [ "$MODE" = check ]; then
                echo "todo: Docker's dnf repository is not configured"
                exit 0
        fi
        mkdir -p /etc/yum.repos.d
        printf '%s\n' "$want" >"$repo"
        echo "changed: configured Docker's dnf repository"
else
        echo "neither apt-get nor dnf found: unsupported package manager" >&2
        exit 1
fi
