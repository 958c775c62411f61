#!/usr/bin/env bash
# The .rpms of DIST (pharos, pharos-plugins, pharos-devel), read with rpm:
# names, what each holds (rpm -qlp), owners and modes, what they require
# (rpm -qp --requires); then the binary and plugins taken out of them run
# here: os-el built in, the rest loaded from the extracted plugin directory;
# then rpm installs them into an empty root and erases them. No EL machine is
# at hand, so they are not installed on one.
set -euo pipefail
: "${DIST:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
command -v rpm >/dev/null || { echo "FAIL: rpm is missing (scripts/deps.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$_tmp_out" "$_tmp_err"' EXIT

declare -A rpm_of
for p in pharos pharos-plugins pharos-devel; do
        rpm_of[$p]=$(compgen -G "$DIST/$p-[0-9]*.rpm" | head -1 || true)
        [ -n "${rpm_of[$p]}" ] || { echo "FAIL: no $p-*.rpm in $DIST (scripts/package.sh el makes it)" >&2; exit 1; }
        run rpm -qp --qf '%{NAME}' "${rpm_of[$p]}"
        expect_rc 0 "rpm reads ${rpm_of[$p]##*/}"
        expect_eq "$out" "$p" "package name of ${rpm_of[$p]##*/}"
done
plugin_dir=/usr/lib64/pharos/plugins/1

run rpm -qlp "${rpm_of[pharos]}"
expect_contains "$out" "/usr/bin/pharos" "pharos holds the binary"
expect_contains "$out" "/usr/share/bash-completion/completions/pharos" "pharos holds the bash completion"
expect_contains "$out" "/usr/share/zsh/site-functions/_pharos" "pharos holds the zsh completion"
expect_contains "$out" "/usr/share/man/man1/pharos.1" "pharos holds pharos(1)"
expect_not_contains "$out" "/pharos/plugins/" "pharos holds no plugin module (os-el is built in)"
run rpm -qlp "${rpm_of[pharos-plugins]}"
for p in kubeadm runtime-containerd runtime-crio network-weave addon-ingress-nginx firewalld; do
        expect_contains "$out" "$plugin_dir/$p.so" "pharos-plugins holds $p"
done
expect_not_contains "$out" "/os-" "pharos-plugins holds no OS plugin"
expect_contains "$out"$'\n' "$plugin_dir"$'\n' "pharos-plugins owns its plugin directory (removed with it)"
run rpm -qlp "${rpm_of[pharos-devel]}"
expect_contains "$out" "/usr/include/pharos/plugin.h" "pharos-devel holds the headers"
expect_contains "$out" "/usr/include/pharos/version.h" "pharos-devel holds the generated version.h"
expect_contains "$out" "/usr/lib64/pkgconfig/pharos-plugin.pc" "pharos-devel holds the pkg-config file"
expect_contains "$out" "/usr/lib64/cmake/PharosPlugin/PharosPluginConfig.cmake" "pharos-devel holds the CMake package"

for p in pharos pharos-plugins pharos-devel; do
        # Directories the distribution owns are not claimed by ours.
        run rpm -qlp "${rpm_of[$p]}"
        shared=$(grep -Ex '/usr(/(bin|include|lib64|share|share/man|share/man/man1|lib64/pkgconfig|lib64/cmake))?' <<<"$out" || true)
        expect_eq "$shared" "" "$p claims no directory of the system"
        # user, group and mode of each entry: root's, 0644/0755 (rpmbuild's
        # /usr/lib/.build-id links aside).
        run rpm -qp --qf '[%{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms} %{FILENAMES}\n]' "${rpm_of[$p]}"
        bad=$(grep -Ev '^root:root ((-rw-r--r--|-rwxr-xr-x|drwxr-xr-x) |lrwxrwxrwx /usr/lib/\.build-id/)' <<<"$out" || true)
        expect_eq "$bad" "" "$p: every file root's, mode 0644 or 0755"
done

run rpm -qp --requires "${rpm_of[pharos]}"
for lib in libssh2.so.1 libcurl.so.4 libyaml-0.so.2 libcyaml.so.1 libyajl.so.2 libffi.so.8 libcrypto.so.3; do
        expect_contains "$out" "$lib()(64bit)" "pharos requires $lib"
done
run rpm -qp --requires "${rpm_of[pharos-plugins]}"
expect_contains "$out" "pharos = " "pharos-plugins requires pharos of its version"

# The binary from the package, with the plugins from the other one.
mkdir "$tmp/x"
for p in pharos pharos-plugins; do
        (cd "$tmp/x" && rpm2cpio "${rpm_of[$p]}" | cpio -idm --quiet)
done
run env -u PHAROS_NO_SYSTEM_PLUGINS PHAROS_PLUGIN_PATH="$tmp/x$plugin_dir" \
        "$tmp/x/usr/bin/pharos" plugins list --output json
expect_rc 0 "the packaged pharos runs"
expect_eq "$(jq -r '.[] | select(.name=="os-el") | .origin' <<<"$out")" "builtin" "os-el is built in"
expect_eq "$(jq -r '.[] | select(.name=="os-debian" or .name=="os-ubuntu") | .name' <<<"$out")" "" \
        "no Debian-family OS plugin in the EL build"
expect_eq "$(jq -r '.[] | select(.name=="kubeadm") | .origin' <<<"$out")" "$tmp/x$plugin_dir/kubeadm.so" \
        "the packaged kubeadm plugin loads"
run strings "$tmp/x/usr/bin/pharos"
expect_contains "$out" "$plugin_dir" "the binary searches $plugin_dir by itself"

# Install and erase with rpm into an empty root (--nodeps: the EL libraries
# are not there) that has the directories an EL system's own packages own
# (filesystem, bash-completion, zsh, pkgconf, cmake): nothing may be left.
rr=$tmp/rpmroot
mkdir -p "$rr"/usr/{bin,include,lib,lib64/pkgconfig,lib64/cmake} \
        "$rr"/usr/share/{man/man1,bash-completion/completions,zsh/site-functions}
run rpm --root "$rr" --initdb
expect_rc 0 "rpm --initdb"
# rpm's database is rpm's own state.
snapshot() { (cd "$rr" && find . \( -path ./root/.rpmdb -o -path ./var/lib/rpm \) -prune -o -print | sort); }
files_before=$(snapshot)
run rpm --root "$rr" -i --nodeps "${rpm_of[pharos]}" "${rpm_of[pharos-plugins]}" "${rpm_of[pharos-devel]}"
expect_rc 0 "rpm -i the three packages"
run stat -c '%U:%G %a' "$rr/usr/bin/pharos" "$rr$plugin_dir/kubeadm.so" "$rr$plugin_dir"
expect_eq "$out" $'root:root 755\nroot:root 644\nroot:root 755' "installed binary, plugin and plugin directory: root's, 0755/0644/0755"
run rpm --root "$rr" -e pharos-devel pharos-plugins pharos
expect_rc 0 "rpm -e the three packages"
expect_eq "$(diff <(echo "$files_before") <(snapshot) || true)" "" \
        "the root's files are what they were before rpm -i (diff before/after)"
finish
