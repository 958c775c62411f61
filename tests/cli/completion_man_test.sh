#!/usr/bin/env bash
# `pharos completion bash|zsh` and `pharos man`: made from the command table and
# usage texts --help prints (plugin commands included), and installed by
# `cmake --install` where bash-completion, zsh and man look.
set -euo pipefail
: "${PHAROS:?}" "${PHAROS_STATIC:?}" "${BUILD_DIR:?}" "${PLUGINS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Completes the words given (the last one being completed) with the bash
# script in $1, as bash's programmable completion would call it.
complete_bash() {
        local script=$1
        shift
        bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _pharos; echo "${COMPREPLY[*]}"' \
                _ "$script" "$@"
}

"$PHAROS_STATIC" completion bash >"$tmp/static.bash"
"$PHAROS" completion bash >"$tmp/pharos.bash"
bash -n "$tmp/pharos.bash"
expect_eq "$(complete_bash "$tmp/static.bash" pharos go)" "good" "a plugin command's first word"
expect_eq "$(complete_bash "$tmp/static.bash" pharos good '')" "echo" "a plugin command's next word"
expect_eq "$(complete_bash "$tmp/static.bash" pharos good echo --h)" "--help" "a plugin command's options"
expect_eq "$(complete_bash "$tmp/static.bash" pharos help go)" "good" "help takes plugin commands"
# every command `pharos help` lists, and only those
listed=$("$PHAROS" help | awk '/^Commands:/{on=1; next} /^$/{on=0} on{print $1}' | tr '\n' ' ')
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos '') " "$listed" "the commands of pharos help"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos plugins '')" "list check steps" "subcommands"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos completion '')" "bash zsh" "completion's shells"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos up --pr)" "--prune" "an option of up --help"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos up --output '')" "text json" "the values of --output"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos up -v -o '')" "text json" "-o after a global option"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos plugins list --output '')" "table json" "plugins list --output"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos up --ver)" "--verbose --version" "global options after the command"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos exec -r master ls -)" "" "nothing after the remote command's first word"
expect_eq "$(complete_bash "$tmp/pharos.bash" pharos ssh -- -)" "" "nothing after --"
mkdir -p "$tmp/cwd/plugdir" && touch "$tmp/cwd/plugfile" "$tmp/cwd/cluster.yml"
expect_eq "$(cd "$tmp/cwd" && complete_bash "$tmp/pharos.bash" pharos --plugin-path plug)" "plugdir" "--plugin-path completes directories"
expect_eq "$(cd "$tmp/cwd" && complete_bash "$tmp/pharos.bash" pharos up -c cl)" "cluster.yml" "-c completes files"
run "$PHAROS" completion fish
expect_rc 2 "an unknown shell"
expect_contains "$err" "needs one shell: bash or zsh" "the shells named"

"$PHAROS" completion zsh >"$tmp/_pharos"
expect_eq "$(head -1 "$tmp/_pharos")" "#compdef pharos" "zsh script declares its command"
if command -v zsh >/dev/null; then
        zsh -n "$tmp/_pharos" || fail "zsh -n _pharos"
        # the shared part under zsh: the walk and the tables
        walked=$(zsh -c 'eval "$(sed "/^_pharos() {/,\$d" "$1")"; _pharos_walk up -v -c x.yml; echo "$_pharos_path $(_pharos_arg up --output) $(_pharos_next plugins)"' _ "$tmp/_pharos")
        expect_eq "$walked" "up values text json list check steps" "the zsh script's tables under zsh"
fi

# pharos(1): every built-in command's usage, the plugin commands, the global options
"$PHAROS_STATIC" man >"$tmp/pharos.1"
expect_eq "$(groff -man -ww -z "$tmp/pharos.1" 2>&1)" "" "groff has nothing to say about the page"
page=$(MANWIDTH=200 man -l "$tmp/pharos.1" 2>/dev/null | col -b)
for c in $listed; do
        expect_contains "$page" "$("$PHAROS" "$c" --help | head -1)" "the page has 'pharos $c --help'"
done
expect_contains "$page" "--connect-timeout S connect, handshake and login timeout (default 10)" "usage lines kept as --help prints them"
expect_contains "$page" "usage: pharos good echo WORD" "a plugin command's usage"
expect_contains "$page" "From the good plugin." "the plugin named"
expect_contains "$page" "-v, --verbose" "global options"
expect_contains "$page" "not the version (that is --version)" "-v is not the version"

# cmake --install: the three files where bash-completion, zsh and man look
cmake --install "$BUILD_DIR" --prefix "$tmp/inst" >/dev/null
expect_eq "$(cat "$tmp/inst/share/bash-completion/completions/pharos")" "$("$PHAROS" --plugin-path "$PLUGINS" completion bash)" "bash completion installed"
expect_eq "$(cat "$tmp/inst/share/zsh/site-functions/_pharos")" "$("$PHAROS" --plugin-path "$PLUGINS" completion zsh)" "zsh completion installed"
expect_eq "$(cat "$tmp/inst/share/man/man1/pharos.1")" "$("$PHAROS" --plugin-path "$PLUGINS" man)" "pharos(1) installed"

# A build tree searched before that installed copy: its duplicates in one line.
n=$(find "$PLUGINS" -maxdepth 1 -name '*.so' | wc -l)
if [ "$n" -gt 1 ]; then
        dir=$(dirname "$(find "$tmp/inst" -name "$(basename "$(find "$PLUGINS" -maxdepth 1 -name '*.so' | head -1)")")")
        run env -u PHAROS_NO_SYSTEM_PLUGINS PHAROS_PLUGIN_PATH="$PLUGINS" "$tmp/inst/bin/pharos" plugins list
        expect_rc 0 "installed pharos with a build tree's plugins first"
        expect_eq "$err" "warning: $n plugins from $dir ignored: already loaded from earlier in the search path (-v names them)" "duplicates said in one line"
        run env -u PHAROS_NO_SYSTEM_PLUGINS PHAROS_PLUGIN_PATH="$PLUGINS" "$tmp/inst/bin/pharos" -v plugins list
        expect_eq "$(grep -c "ignored: already loaded from $PLUGINS/" <<<"$err")" "$n" "each named at -v"
fi

finish
