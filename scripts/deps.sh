#!/usr/bin/env bash
# Installs the Debian packages a job needs, and nothing more, so that a new
# user's `make demo` does not wait for linters and benchmark tools.
#   scripts/deps.sh [GROUP...]     (no GROUP: every group, what `make test` needs)
# Groups:
#   build   compile pharos
#   unit    build the unit tests too (cmocka; the default preset builds them)
#   demo    build, plus the sandbox testbed and kubectl (`make demo`)
#   real    demo, plus the real tier's host roots and package repositories
#   test    every ctest test: demo, real, unit, package and the tools tests run
#   lint    clang-format, clang-tidy, cppcheck, shellcheck (`make lint`)
#   fuzz    clang's libFuzzer and sanitizer runtimes (tests/fuzz.sh, `make asan`)
#   package make package: .debs and .rpms (scripts/package.sh)
#   bench   the fan-out comparisons (bench/fanout.sh)
# Safe to run again; `apt-get update` runs once per call, and only when
# something is missing.
set -euo pipefail

declare -A groups
# C only: no g++ or dpkg-dev, which build-essential would bring.
groups[build]="gcc libc6-dev make cmake pkg-config libssh2-1-dev libcyaml-dev libyaml-dev libcurl4-openssl-dev libyajl-dev libffi-dev libssl-dev"
# The hosts (tests/testbed/testbed), their emulators (tests/testbed/emulators:
# the API server keeps its objects in a real etcd) and the host scripts'
# tools: the OS plugins dearmor the pkgs.k8s.io key with the machine's gpg
# inside the hosts; lib.sh reads hosts.json with jq.
groups[demo]="openssh-server openssh-client sudo util-linux procps openssl iproute2 python3 python3-yaml python3-cryptography curl gnupg gpg jq etcd-server etcd-client"
# Real-tier hosts are debootstrapped Debian roots (tests/testbed/real/host);
# their pkgs.k8s.io mirror carries rpms and repodata too, and the image
# builder reads the binaries' shared libraries with readelf (real/artifacts).
groups[real]="debootstrap rpm createrepo-c binutils"
groups[unit]="libcmocka-dev"
# Tests that trace pharos (strace) or read its symbols (binutils);
# the generated completion and man page are checked by running them (tests/cli:
# man -l renders the page, col -b strips it; a minimal Debian has neither).
groups[test]="strace binutils zsh groff-base man-db bsdextrautils"
# lint.sh lists the files it checks with git ls-files.
groups[lint]="clang-format clang-tidy cppcheck shellcheck git"
groups[fuzz]="clang libclang-rt-14-dev"
# CPack's .deb dependencies come from dpkg-shlibdeps (dpkg-dev) and file; the
# packaging tests take the .rpm's files out with cpio (tests/packaging).
groups[package]="dpkg-dev file cpio"
groups[bench]="pssh ansible time"

want=("$@")
((${#want[@]})) || want=(test lint fuzz bench)

packages=()
add_group() {
        local g=$1
        case $g in
        build) ;;
        demo) add_group build ;;
        real) add_group demo ;;
        test) add_group real && add_group unit && add_group package ;;
        package) add_group build ;;
        unit | lint | fuzz | bench) ;;
        *)
                echo "deps: unknown group '$g' (build, unit, demo, real, test, lint, fuzz, package, bench)" >&2
                exit 2
                ;;
        esac
        # shellcheck disable=SC2206 # package names, split on blanks
        packages+=(${groups[$g]})
}
for g in "${want[@]}"; do
        add_group "$g"
done
# The emulator tests and the demo drive a real kubectl: Debian's
# kubernetes-client unless one is installed.
case " ${want[*]} " in
*" demo "* | *" real "* | *" test "*)
        command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
        ;;
esac

missing=()
declare -A seen=()
for p in "${packages[@]}"; do
        [[ -n ${seen[$p]:-} ]] && continue
        seen[$p]=1
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
        echo "deps (${want[*]}): all ${#seen[@]} Debian packages present"
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
        exit 1
fi
echo "deps (${want[*]}): installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
