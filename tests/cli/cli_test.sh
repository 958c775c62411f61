#!/usr/bin/env bash
# The CLI surface of issue 2: version, help, plugins list/check/steps, typed
# plugin commands, static and module builds of one plugin.
set -euo pipefail
: "${PHAROS:?}" "${PHAROS_STATIC:?}" "${FIXTURES:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
# The ABI minor grows with every service added: read it rather than repeat it.
minor=$(sed -n 's/^#define PHAROS_ABI_MINOR \([0-9]*\)$/\1/p' "$(dirname "$0")/../../include/pharos/plugin.h")

run "$PHAROS" version
expect_rc 0 "version"
expect_contains "$out" "plugin ABI 1." "version shows the ABI"
for lib in libssh2 libcurl yajl libcyaml libffi; do
        expect_contains "$out" "$lib " "version shows $lib"
done
run "$PHAROS" --version
expect_contains "$out" "pharos " "--version"

run "$PHAROS" --help
expect_rc 0 "--help"
expect_contains "$out" "plugins" "help lists commands"
run "$PHAROS"
expect_rc 0 "no arguments prints help"
for c in help version plugins; do
        run "$PHAROS" "$c" --help
        expect_rc 0 "$c --help"
        expect_contains "$out" "usage: pharos $c" "$c --help"
done
run "$PHAROS" frobnicate
expect_rc 2 "unknown command"
expect_contains "$err" "unknown command 'frobnicate'" "unknown command message"
run "$PHAROS" --bogus version
expect_rc 2 "unknown global option"

# Module build: origin is the .so path.
run "$PHAROS" --plugin-path "$FIXTURES/good" plugins list --output json
expect_rc 0 "plugins list json"
expect_eq "$(jq -r '.[0] | [.name,.kind,.version,.abi,.origin,.steps,.commands] | join(" ")' <<<"$out")" \
        "good other 0.0.1 1.$minor $FIXTURES/good/good.so 1 1" "module plugin in json"
expect_eq "$(jq -r '.[0] | keys | sort | join(",")' <<<"$out")" \
        "abi,commands,description,kind,name,origin,steps,version" "json keys"
# Static build of the same plugin: origin builtin.
run "$PHAROS_STATIC" plugins list --output json
expect_eq "$(jq -r '.[0] | [.name,.origin,.steps,.commands] | join(" ")' <<<"$out")" \
        "good builtin 1 1" "static plugin in json"
run "$PHAROS_STATIC" plugins list
expect_contains "$out" "builtin" "table shows builtin"
# Both present: --plugin-path comes first in the search order and wins, with a warning.
run "$PHAROS_STATIC" --plugin-path "$FIXTURES/good" plugins list --output json
expect_eq "$(jq -r 'length' <<<"$out")" "1" "one plugin named good"
expect_eq "$(jq -r '.[0].origin' <<<"$out")" "$FIXTURES/good/good.so" "plugin path beats builtin"
expect_contains "$err" "plugin 'good' from builtin ignored: already loaded from $FIXTURES/good/good.so" "duplicate warning"
# PHAROS_PLUGIN_PATH, and a bad file does not stop the rest.
PHAROS_PLUGIN_PATH="$FIXTURES/abi-major-bad:$FIXTURES/good" run "$PHAROS" plugins list --output json
expect_rc 0 "list with a rejected plugin"
expect_eq "$(jq -r '.[].name' <<<"$out")" "good" "good still loads"
expect_contains "$err" "abi-major-bad.so: rejected: built for plugin ABI 2.$minor, this pharos has ABI 1.$minor" "rejection line"
run "$PHAROS" plugins list --output xml
expect_rc 2 "bad --output"

# plugins check: exit 0, or 1 with the reason.
run "$PHAROS" plugins check "$FIXTURES/good/good.so"
expect_rc 0 "check good"
expect_contains "$out" "ok: plugin 'good' (other) version 0.0.1, ABI 1.$minor, 1 steps, 1 commands" "check good message"
expect_contains "$out" "$FIXTURES/good/good.so: loading it into this pharos and running its init() to see what it registers" "check says it runs init()"
run "$PHAROS" plugins --help
expect_contains "$out" "this loads FILE and runs its init()" "plugins --help says check runs init()"
# a file others could change is refused before it is loaded
gw=$(mktemp -d)
cp "$FIXTURES/good/good.so" "$gw/good.so"
chmod 0664 "$gw/good.so"
run "$PHAROS" plugins check "$gw/good.so"
expect_rc 1 "check a group-writable file"
expect_contains "$out" "$gw/good.so: refused: the file is writable by group or others (mode 0664)" "refusal names the file"
rm -rf "$gw"
check_bad() {
        run "$PHAROS" plugins check "$FIXTURES/$1/$1.so"
        expect_rc 1 "check $1"
        expect_contains "$out" "$2" "check $1 message"
}
check_bad abi-major-bad "rejected: built for plugin ABI 2.$minor, this pharos has ABI 1.$minor (the major version must match)"
check_bad abi-minor-newer "rejected: built for plugin ABI 1.$((minor + 1)), this pharos has ABI 1.$minor (the plugin needs a newer pharos)"
check_bad size-big-nonzero "with non-zero data past the"
check_bad no-symbol "rejected: no pharos_plugin_describe symbol (not a pharos plugin)"
check_bad init-fails "init of plugin 'init-fails' failed (returned -7): the fixture refuses to start"
check_bad step-cycle "steps of phase 'network' form a cycle: fixture.a -> fixture.b -> fixture.c -> fixture.a"
check_bad unknown-after "step 'fixture.lonely' (phase 'addons') is to run after unknown step 'nobody.nothing'"
run "$PHAROS" --plugin-path "$FIXTURES/good" plugins check "$FIXTURES/dup/dup.so"
expect_rc 1 "check a duplicate name"
expect_contains "$out" "plugin 'good' is already provided by $FIXTURES/good/good.so" "duplicate check"
run "$PHAROS" plugins check
expect_rc 2 "check without file"

# plugins steps: the sequences with the registered steps in order.
run "$PHAROS" --plugin-path "$FIXTURES/good" plugins steps
expect_rc 0 "steps"
expect_contains "$out" "good.step" "steps lists the step"
run "$PHAROS" --plugin-path "$FIXTURES/step-cycle" plugins steps
expect_rc 2 "steps with a cycle"
expect_contains "$err" "form a cycle: fixture.a -> fixture.b -> fixture.c -> fixture.a" "cycle path"

# Typed plugin commands.
run "$PHAROS_STATIC" help
expect_contains "$out" "good echo" "help lists plugin command"
expect_contains "$out" "[good]" "help names the plugin"
run "$PHAROS_STATIC" good echo hello
expect_rc 0 "plugin command return value is the exit code"
run "$PHAROS_STATIC" good echo xyz
expect_rc 1 "plugin command return value 1"
run "$PHAROS_STATIC" good echo
expect_rc 2 "missing argument"
expect_contains "$err" "missing argument word" "missing argument message"
expect_contains "$err" "usage: pharos good echo WORD" "synopsis on usage error"
run "$PHAROS_STATIC" good echo a b
expect_rc 2 "surplus argument"
run "$PHAROS_STATIC" good echo --help
expect_rc 0 "plugin command --help"
expect_contains "$out" "usage: pharos good echo WORD" "plugin command usage"
run "$PHAROS_STATIC" help good echo
expect_rc 0 "help for a plugin command"
expect_contains "$out" "usage: pharos good echo WORD" "help PLUGIN-COMMAND"

finish
