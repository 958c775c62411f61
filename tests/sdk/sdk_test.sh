#!/usr/bin/env bash
# Installs pharos into a temporary prefix and builds sdk/examples/hello
# against that installed SDK only (a copy of the example outside the source
# tree, found through find_package and through pkg-config), then loads it.
set -euo pipefail
: "${BUILD_DIR:?}" "${EXAMPLE_DIR:?}" "${TEMPLATE_DIR:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
work=$(mktemp -d)
trap 'rm -rf "$work" "$_tmp_out" "$_tmp_err"' EXIT
prefix=$work/prefix
unset PHAROS_PLUGIN_PATH PHAROS_NO_SYSTEM_PLUGINS

cmake --install "$BUILD_DIR" --prefix "$prefix" >/dev/null
cp -r "$EXAMPLE_DIR" "$work/hello"
pharos=$prefix/bin/pharos

# CMake: find_package(PharosPlugin).
run cmake -S "$work/hello" -B "$work/hello-build" -DCMAKE_PREFIX_PATH="$prefix"
expect_rc 0 "configure the example against the installed SDK"
run cmake --build "$work/hello-build"
expect_rc 0 "build the example"
PHAROS_PLUGIN_PATH=$work/hello-build run "$pharos" plugins list --output json
expect_rc 0 "plugins list"
expect_eq "$(jq -r '.[] | select(.name=="hello") | [.kind,.origin,.steps,.commands] | join(" ")' <<<"$out")" \
        "other $work/hello-build/hello.so 1 1" "hello listed from PHAROS_PLUGIN_PATH"
PHAROS_PLUGIN_PATH=$work/hello-build run "$pharos" hello greet World --times 2 --shout
expect_rc 0 "run the typed command"
expect_eq "$out" $'HELLO, WORLD!\nHELLO, WORLD!' "command output"
PHAROS_PLUGIN_PATH=$work/hello-build run "$pharos" hello greet World --times two
expect_rc 2 "wrong type"
expect_contains "$err" "--times: 'two' is not an integer" "wrong type message"
expect_contains "$err" "usage: pharos hello greet NAME [--times N] [--[no-]shout] [--pause NUM]" "synopsis"
PHAROS_PLUGIN_PATH=$work/hello-build run "$pharos" help
expect_contains "$out" "hello greet" "help lists the command"

# Installing the example puts it where the installed pharos looks by itself.
run cmake --install "$work/hello-build"
expect_rc 0 "install the example"
run "$pharos" plugins list --output json
expect_eq "$(jq -r '.[] | select(.name=="hello") | .origin' <<<"$out")" \
        "$(jq -r '.[] | select(.name=="hello") | .origin' <<<"$out" | grep "^$prefix/.*/pharos/plugins/1/hello.so$" || true)" \
        "installed plugin dir contains the ABI major"
expect_contains "$out" "\"name\": \"hello\"" "installed plugin found without PHAROS_PLUGIN_PATH"

# pkg-config: the same plugin from a plain compiler line.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$prefix/share/pkgconfig
run pkg-config --variable=abi pharos-plugin
# The ABI minor grows with every service added: read it rather than repeat it.
minor=$(sed -n 's/^#define PHAROS_ABI_MINOR \([0-9]*\)$/\1/p' "$(dirname "$0")/../../include/pharos/plugin.h")
expect_eq "$out" "1.$minor" "pkg-config abi"
run pkg-config --variable=plugindir pharos-plugin
expect_contains "$out" "$prefix/" "pkg-config plugindir"
expect_contains "$out" "/pharos/plugins/1" "plugindir has the ABI major"
mkdir "$work/pc"
run cmake -DOUT="$work/pc/hello_scripts.h" -DFILES="$work/hello/scripts/greet.sh" \
        -P "$(pkg-config --variable=embedscript pharos-plugin)"
expect_rc 0 "embed the host script with the installed helper"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -std=gnu11 -shared -fPIC -Wall -Werror -I"$work/pc" -o "$work/pc/hello.so" "$work/hello/hello.c" \
        $(pkg-config --cflags --libs pharos-plugin)
run "$pharos" --plugin-path "$work/pc" plugins check "$work/pc/hello.so"
expect_rc 0 "pkg-config-built plugin passes check"
run nm -D --defined-only "$work/pc/hello.so"
expect_eq "$(grep -c ' T ' <<<"$out")" "1" "only the describe symbol is exported"
expect_contains "$out" "pharos_plugin_describe" "exported symbol"

# The template builds as it is.
cp -r "$TEMPLATE_DIR" "$work/template"
run cmake -S "$work/template" -B "$work/template-build" -DCMAKE_PREFIX_PATH="$prefix"
expect_rc 0 "configure the template"
run cmake --build "$work/template-build"
expect_rc 0 "build the template"
run "$pharos" --plugin-path "$work/template-build" plugins check "$work/template-build/myplugin.so"
expect_rc 0 "template passes check"
expect_contains "$out" "ok: plugin 'myplugin'" "template check message"
finish
