#!/usr/bin/env bash
# Builds the real tier's programs from their official Go modules into
#   ${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}/bin/<key>/{bin,cni}
# where <key> is the Kubernetes version and a hash of everything that decides
# the binaries. The directory appears whole or not at all: it is built under
# another name and renamed at the end. A second run with the same pins does
# nothing.
#   build.sh [--release previous]              build (or say it is already built)
#   build.sh [--release previous] --print-dir  print the directory; exit 1 if it is not built
# --release previous builds the programs of the minor before (previous/, for
# the upgrade test): Kubernetes, etcd, crictl and CoreDNS at its own pins,
# into a directory of its own.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PHAROS_TESTBED_CACHE:-$HOME/.cache/pharos-testbed}

usage() {
	echo "usage: $0 [--release previous] [--print-dir]" >&2
	exit 2
}
release=current print_dir=0
while [ $# -gt 0 ]; do
	case "$1" in
	--print-dir) print_dir=1 ;;
	--release)
		[ "${2:-}" = previous ] || usage
		release=previous
		shift
		;;
	*) usage ;;
	esac
	shift
done
# Where the release's versions.env and module folders are, relative to $here.
src=.
[ "$release" = current ] || src=./previous

# shellcheck source=versions.env
. "$here/versions.env"
if [ "$release" = previous ]; then
	# shellcheck source=previous/versions.env
	. "$here/previous/versions.env"
fi
# shellcheck source=components.sh
. "$here/components.sh"

# The files that decide what gets built; README.md and the scripts that only
# drive or check the build are left out, so editing them rebuilds nothing.
# The previous release's files decide only its own build.
key_inputs() {
	(cd "$here" && find "$src" -path ./previous -prune -o \( -name go.mod -o -name go.sum -o -name '*.go' -o -name '*.c' \) -print |
		LC_ALL=C sort && echo "$src/versions.env" ./components.sh)
}

cache_key() {
	local hash
	hash=$(cd "$here" && key_inputs | xargs sha256sum | sha256sum | cut -c1-12)
	echo "$KUBERNETES_VERSION-$hash"
}

dir="$cache/bin/$(cache_key)"

if [ "$print_dir" = 1 ]; then
	if [ -f "$dir/stamp" ]; then
		echo "$dir"
		exit 0
	fi
	echo "build: not built yet: $dir" >&2
	exit 1
fi

if [ -f "$dir/stamp" ]; then
	echo "build: already built, nothing to do: $dir"
	exit 0
fi

# runc links libseccomp statically; flannel and the pause binary need a C
# compiler too. Installed only when missing, so a prepared machine needs no
# network for this.
debs="gcc libc6-dev pkg-config libseccomp-dev"
missing=""
for p in $debs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=" $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "build: missing Debian packages:$missing (install them as root)" >&2
		exit 1
	fi
	echo "build: installing Debian packages:$missing"
	# shellcheck disable=SC2086 # one word per package
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	PATH=/usr/local/go/bin:$PATH
fi
if ! command -v go >/dev/null; then
	echo "build: no Go toolchain (neither 'go' in PATH nor /usr/local/go/bin/go): the real tier" \
		"builds its programs with Go $(sed -n 's/^go //p' "$here/kubernetes/go.mod") or newer" >&2
	exit 1
fi
# Never rewrite go.mod (CI must build what is committed) and never fetch
# another Go toolchain; GOCACHE stays the default so builds share it.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly" GOTOOLCHAIN=local

mkdir -p "$cache/bin"
exec 9>"$cache/bin/.lock"
flock 9
# Another run may have finished while this one waited for the lock.
if [ -f "$dir/stamp" ]; then
	echo "build: already built, nothing to do: $dir"
	exit 0
fi
# Holding the lock, any half-built directory is a run that was killed.
rm -rf "$cache/bin/.partial-"*
partial="$cache/bin/.partial-${dir##*/}"
trap 'rm -rf "$partial"' EXIT
# Turn the signals into an exit, so the EXIT trap runs for them too.
trap 'exit 1' INT TERM HUP
mkdir -p "$partial/bin" "$partial/cni"

# The previous release is built from its own folders, and only what a
# Kubernetes minor decides (components.sh builds in "$here/<folder>").
if [ "$release" = previous ]; then
	here=$here/previous
	components() { echo kubernetes etcd cri_tools coredns; }
fi
bad=0
while read -r folder module want; do
	[ -d "$here/$folder" ] || continue
	got=$(cd "$here/$folder" && go list -m -f '{{.Version}}' "$module")
	if [ "$got" != "$want" ]; then
		echo "build: $folder/go.mod has $module $got, versions.env says $want; run update-modules.sh" >&2
		bad=1
	fi
done < <(pins)
[ "$bad" = 0 ] || exit 1

echo "build: $(go version) into $dir"
for c in $(components); do
	started=$SECONDS
	echo "build: [${SECONDS}s] ${c//_/-} ..."
	"build_$c" "$partial"
	echo "build: [${SECONDS}s] ${c//_/-} done in $((SECONDS - started))s"
done

cp "$here/versions.env" "$partial/"
(cd "$partial" && shopt -s nullglob && sha256sum bin/* cni/* >SHA256SUMS)
size=$(du -sh "$partial" | cut -f1)
printf 'built %s in %ss with %s, %s\n' "$(date -u +%FT%TZ)" "$SECONDS" "$(go version)" "$size" >"$partial/stamp"
# A directory without a stamp is not a build; make room for the rename.
rm -rf "$dir"
mv "$partial" "$dir"
trap - EXIT
echo "build: [${SECONDS}s] all built ($size): $dir"
