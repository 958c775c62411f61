#!/usr/bin/env bash
# Builds the packages of each preset with CPack and puts them in one directory:
#
#   scripts/package.sh [--build-root DIR] [--out DIR] [PRESET...]
#
# PRESET: `debian` (.debs) and `el` (.rpms) unless named; the preset picks
# the OS plugins built in and the generator (CMakePresets.json), and
# cmake/PharosPackaging.cmake splits the install into pharos, pharos-plugins
# and pharos-dev/-devel. Each preset is built without tests in
# BUILD_ROOT/build-package-PRESET (default: the source tree; make clean
# removes them). OUT (default: dist/) gets the packages; those of the same
# kind left from an earlier run are replaced.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
root=$src
out=$src/dist
presets=()
while (($#)); do
        case $1 in
        --build-root) root=${2:?--build-root DIR}; shift 2 ;;
        --out) out=${2:?--out DIR}; shift 2 ;;
        -*) echo "package: unknown option $1" >&2; exit 2 ;;
        *) presets+=("$1"); shift ;;
        esac
done
((${#presets[@]})) || presets=(debian el)

mkdir -p "$out"
for preset in "${presets[@]}"; do
        dir=$root/build-package-$preset
        echo "package: $preset in $dir"
        # A package is what users install: no tests in it, nor their build.
        cmake --preset "$preset" -S "$src" -B "$dir" -DBUILD_TESTING=OFF >/dev/null
        cmake --build "$dir" -j"$(nproc)" >/dev/null
        rm -rf "$dir/cpack"
        if ! (cd "$dir" && cpack -B "$dir/cpack" >"$dir/cpack.log" 2>&1); then
                tail -30 "$dir/cpack.log" >&2
                echo "package: cpack failed for $preset (log: $dir/cpack.log)" >&2
                exit 1
        fi
        mapfile -t made < <(find "$dir/cpack" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.rpm' \))
        ((${#made[@]})) || { echo "package: cpack made no package for $preset" >&2; exit 1; }
        for ext in deb rpm; do
                if compgen -G "$dir/cpack/*.$ext" >/dev/null; then
                        rm -f "$out"/*."$ext"
                fi
        done
        cp "${made[@]}" "$out/"
done

# What was made: size and number of files (directories not counted) of each package.
for f in "$out"/*.deb "$out"/*.rpm; do
        [[ -f $f ]] || continue
        case $f in
        *.deb) files=$(dpkg-deb -c "$f" | grep -vc '^d') ;;
        *.rpm) files=$(rpm -qp --qf '[%{FILEMODES:perms}\n]' "$f" | grep -vc '^d') ;;
        esac
        printf 'package: %s  %s bytes, %s files\n' "${f#"$src"/}" "$(stat -c %s "$f")" "$files"
done
