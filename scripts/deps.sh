#!/usr/bin/env bash
# Installs every Debian package pharos needs to build, test, lint and run its
# sandbox testbed. Safe to run again; `apt-get update` runs once per call.
set -euo pipefail

packages=(
        # build
        build-essential cmake pkg-config git
        libssh2-1-dev libcyaml-dev libyaml-dev libcurl4-openssl-dev libyajl-dev libffi-dev libssl-dev
        # tests and tooling
        libcmocka-dev jq strace python3 binutils
        # the generated completion and man page are checked by running them (tests/cli)
        zsh groff-base
        clang clang-format clang-tidy cppcheck shellcheck libclang-rt-14-dev
        # sandbox testbed hosts (tests/testbed)
        openssh-server openssh-client sudo util-linux procps openssl iproute2
        # real-tier hosts: their Debian root file system (tests/testbed/real/host)
        debootstrap
        # fan-out benchmark comparisons (bench/fanout.sh)
        pssh ansible time
        # host and cluster emulators of the testbed (tests/testbed/emulators)
        python3-yaml python3-cryptography curl gnupg etcd-server etcd-client
        # the real tier's packages and images (tests/testbed/real/artifacts): rpmbuild, repodata
        rpm createrepo-c
        # packages (scripts/package.sh, tests/packaging): CPack's .deb dependencies
        # (dpkg-shlibdeps, file), taking the .rpm's files out to run them (cpio)
        dpkg-dev file cpio
)
# The emulator tests drive a real kubectl: Debian's kubernetes-client unless one is installed.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
# The OS plugins' host scripts dearmor the pkgs.k8s.io key with the machine's gpg
# inside testbed hosts (tests/integration/os).
packages+=(gpg)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
        echo "deps: all ${#packages[@]} Debian packages present"
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
        exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
