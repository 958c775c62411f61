#!/usr/bin/env bash
# Builds everything the real tier needs that is not cached yet: the hosts'
# root file systems (Debian 12 and 13), the programs from their Go modules,
# and the packages and images the mirror serves. On a new machine that is most of an hour of
# building; cached, a few seconds. ctest runs it as the fixture of every
# real-tier test, so that the cold build sits under its own time limit and
# starts first, overlapping the rest of the suite, instead of inside the
# first real test that happens to need it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# The same condition as the real tests' own: they skip (77) without root or
# the namespaces, and then nothing needs building.
if [[ $EUID -ne 0 ]] || ! unshare --mount --uts --ipc --net --pid --cgroup --fork true 2>/dev/null; then
        echo "SKIPPED: the real tier needs root and unshare of every namespace kind (uid $EUID)" >&2
        exit 77
fi

t0=$SECONDS
stage() { # WHAT CMD...
        local what=$1 started=$SECONDS
        shift
        echo "prepare: [$((SECONDS - t0))s] $what ..."
        "$@" || {
                echo "prepare: $what failed" >&2
                exit 1
        }
        echo "prepare: [$((SECONDS - t0))s] $what done in $((SECONDS - started))s"
}
stage "Debian 12 root file system (debootstrap)" "$here/host/rootfs.sh" debian-12
stage "Debian 13 root file system (debootstrap)" "$here/host/rootfs.sh" debian-13
stage "programs (Go modules)" "$here/build/build.sh"
stage "the previous minor's programs, for the upgrade test" "$here/build/build.sh" --release previous
stage "packages and images" "$here/artifacts/build.sh"
echo "prepare: [$((SECONDS - t0))s] the real tier is ready"
