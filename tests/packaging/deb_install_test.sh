#!/usr/bin/env bash
# Installs the .debs of DIST (pharos, pharos-plugins, pharos-dev) with apt
# into a Debian 12 root (root.sh) and uses them as a user would: `pharos
# version`, `pharos plugins list` (built-in and installed plugins), `pharos
# config validate` on the seed's example, the completion and man page, then
# builds the SDK example against pharos-dev (find_package and pkg-config) and
# loads it. Then purges them and checks that nothing is left behind.
#
# The root is an overlay on the cached one, mounted in a mount and PID
# namespace of this test: everything written goes to a temporary directory,
# and the mounts end with the namespace. apt reaches Debian's archive for
# the libraries pharos depends on.
set -euo pipefail
: "${DIST:?}" "${SOURCE_DIR:?}"
here=$(cd "$(dirname "$0")" && pwd)

if [[ ${1:-} != --inside ]]; then
        if ((EUID != 0)); then
                echo "SKIP: needs root (namespaces, chroot, apt in the root)"
                exit 77
        fi
        for p in pharos pharos-plugins pharos-dev; do
                compgen -G "$DIST/${p}_*.deb" >/dev/null ||
                        { echo "FAIL: no ${p}_*.deb in $DIST (scripts/package.sh makes them)" >&2; exit 1; }
        done
        lower=$("$here/root.sh") || { echo "FAIL: no Debian 12 root (tests/packaging/root.sh)" >&2; exit 1; }
        tmp=$(mktemp -d)
        # Removed once the namespace and with it every mount in it is gone.
        trap 'rm -rf --one-file-system "$tmp"' EXIT
        rc=0
        unshare --mount --propagation private --pid --fork --uts --ipc \
                "$0" --inside "$lower" "$tmp" || rc=$?
        exit "$rc"
fi

lower=$2
tmp=$3
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
mkdir "$tmp/upper" "$tmp/work" "$tmp/root"
r=$tmp/root
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$tmp/upper,workdir=$tmp/work" "$r"
mount -t proc proc "$r/proc"
# apt and dpkg log through a pseudo-terminal: a devpts of the root's own.
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
cp -L /etc/resolv.conf "$r/etc/resolv.conf"

# What the test brings goes to the root's /tmp, which the comparison skips.
mkdir -p "$r/tmp/pkgs"
debs=()
for p in pharos pharos-plugins pharos-dev; do
        f=$(compgen -G "$DIST/${p}_*.deb" | head -1)
        cp "$f" "$r/tmp/pkgs/"
        debs+=("/tmp/pkgs/${f##*/}")
done
cp -r "$SOURCE_DIR/sdk/examples/hello" "$r/tmp/hello"
cp "$SOURCE_DIR/tests/config/good/seed.yml" "$r/tmp/cluster.yml"

in_root() {
        chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"
}
# Every path in the root but the ones apt and dpkg keep their own state,
# caches and logs in, and /tmp.
snapshot() {
        (cd "$r" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/lib/dpkg \
                -o -path ./var/lib/apt -o -path ./var/cache -o -path ./var/log \) -prune \
                -o -print | sort)
}
# shellcheck disable=SC2016 # a dpkg-query format, not shell
packages() { in_root dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | sort; }
# A check the rest cannot go on without failed.
stop() {
        finish || true
        exit 1
}

run in_root apt-get update -q
expect_rc 0 "apt-get update in the root (is Debian's archive reachable?)"
[ "$rc" -eq 0 ] || stop
files_before=$(snapshot)
packages_before=$(packages)

# apt resolves what the packages depend on from Debian's archive.
run in_root apt-get install -y -q --no-install-recommends "${debs[@]}"
expect_rc 0 "apt-get install pharos pharos-plugins pharos-dev"
[ "$rc" -eq 0 ] || stop

# What each package holds.
run in_root dpkg -L pharos
expect_contains "$out" "/usr/bin/pharos" "pharos holds the binary"
expect_contains "$out" "/usr/share/bash-completion/completions/pharos" "pharos holds the bash completion"
expect_contains "$out" "/usr/share/zsh/site-functions/_pharos" "pharos holds the zsh completion"
expect_contains "$out" "/usr/share/man/man1/pharos.1" "pharos holds pharos(1)"
expect_not_contains "$out" "/pharos/plugins/" "pharos holds no plugin module (its OS plugins are built in)"
run in_root dpkg -L pharos-plugins
plugin_dir=$(grep -m1 '/pharos/plugins/1$' <<<"$out" || true)
expect_contains "$plugin_dir" "/usr/lib/" "pharos-plugins holds the plugin directory"
for p in kubeadm runtime-containerd network-weave addon-ingress-nginx firewalld; do
        expect_contains "$out" "$plugin_dir/$p.so" "pharos-plugins holds $p"
done
expect_not_contains "$out" "/os-" "pharos-plugins holds no OS plugin (built into pharos)"
run in_root dpkg -L pharos-dev
expect_contains "$out" "/usr/include/pharos/plugin.h" "pharos-dev holds the headers"
expect_contains "$out" "/usr/include/pharos/version.h" "pharos-dev holds the generated version.h"
expect_contains "$out" "/pkgconfig/pharos-plugin.pc" "pharos-dev holds the pkg-config file"
expect_contains "$out" "/cmake/PharosPlugin/PharosPluginConfig.cmake" "pharos-dev holds the CMake package"
mapfile -t owned < <(in_root dpkg -L pharos pharos-plugins pharos-dev | sort -u)

# The plugin loader refuses files others can write or others own.
# shellcheck disable=SC2016 # expanded by the root's bash
run in_root bash -c 'for f; do [ -e "$f" ] && stat -c "%U:%G %a %n" "$f"; done; true' - "${owned[@]}"
bad=$(grep -Ev '^root:root (644|755) ' <<<"$out" || true)
expect_eq "$bad" "" "every installed file and directory is root's, mode 0644 or 0755"

run in_root pharos version
expect_rc 0 "pharos version"
version=$(dpkg-deb -f "$(compgen -G "$DIST/pharos_*.deb" | head -1)" Version)
expect_eq "$(head -1 <<<"$out")" "pharos ${version%-*}" "pharos version is the package's upstream version"
run in_root pharos plugins list --output json
expect_rc 0 "pharos plugins list"
list=$out
for p in os-debian os-ubuntu; do
        expect_eq "$(jq -r ".[] | select(.name==\"$p\") | .origin" <<<"$list")" "builtin" "$p is built in"
done
expect_eq "$(jq -r '.[] | select(.name=="os-el") | .name' <<<"$list")" "" "os-el is not in the Debian build"
for p in kubeadm runtime-containerd network-weave addon-ingress-nginx; do
        expect_eq "$(jq -r ".[] | select(.name==\"$p\") | .origin" <<<"$list")" "$plugin_dir/$p.so" \
                "$p loaded from the installed plugin directory"
done
run in_root pharos config validate -c /tmp/cluster.yml
expect_rc 0 "pharos config validate on the seed's example (its addon checked by the installed plugin)"

run in_root bash -c '. /usr/share/bash-completion/completions/pharos && complete -p pharos'
expect_rc 0 "the bash completion loads"
expect_contains "$out" "pharos" "the bash completion completes pharos"
run in_root head -c 4096 /usr/share/man/man1/pharos.1
expect_contains "$out" ".TH PHAROS 1" "pharos(1) is a man page"

# The SDK example, against the installed pharos-dev only: find_package ...
run in_root cmake -S /tmp/hello -B /tmp/hello-build
expect_rc 0 "configure the SDK example with find_package(PharosPlugin)"
run in_root cmake --build /tmp/hello-build
expect_rc 0 "build the SDK example"
run in_root pharos plugins check /tmp/hello-build/hello.so
expect_rc 0 "the installed pharos accepts the example"
run in_root pharos --plugin-path /tmp/hello-build hello greet World
expect_rc 0 "run the example's command"
expect_eq "$out" "Hello, World!" "the example's command output"
# ... and pkg-config.
run in_root pkg-config --variable=plugindir pharos-plugin
# Relative to the .pc file (sdk/CMakeLists.txt), so resolved here.
expect_eq "$(in_root realpath -e "$out")" "$plugin_dir" "pkg-config names the installed plugin directory"
# shellcheck disable=SC2016 # expanded by the root's bash
run in_root bash -c 'set -e; mkdir -p /tmp/pc
        cmake -DOUT=/tmp/pc/hello_scripts.h -DFILES=/tmp/hello/scripts/greet.sh \
                -P "$(pkg-config --variable=embedscript pharos-plugin)"
        cc -std=gnu11 -shared -fPIC -Wall -Werror -I/tmp/pc -o /tmp/pc/hello.so /tmp/hello/hello.c \
                $(pkg-config --cflags --libs pharos-plugin)'
expect_rc 0 "build the SDK example with pkg-config"
run in_root pharos plugins check /tmp/pc/hello.so
expect_rc 0 "the installed pharos accepts the pkg-config build"

# Uninstall: purge the packages and what apt installed for them.
run in_root apt-get purge -y -q pharos pharos-plugins pharos-dev
expect_rc 0 "apt-get purge"
run in_root apt-get autoremove --purge -y -q
expect_rc 0 "apt-get autoremove --purge"
# Directories other packages also own (/usr/bin, ...) stay, as they should.
left=$(for f in "${owned[@]}"; do [ -e "$r$f" ] && [ ! -d "$r$f" ] && echo "$f"; done; true)
expect_eq "$left" "" "no file the packages installed is left"
expect_eq "$(diff <(echo "$files_before") <(snapshot) || true)" "" \
        "the root's files are what they were before the install (diff before/after)"
expect_eq "$(diff <(echo "$packages_before") <(packages) || true)" "" \
        "the root's packages are what they were before the install"

finish
