#!/usr/bin/env bash
# Global options after the command (as kubectl takes them), -v = --verbose with
# a pointer to --version, and nothing after a remote command's first word taken.
set -euo pipefail
: "${PHAROS:?}" "${PHAROS_STATIC:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
cfg="$(dirname "$0")/../config/good/even-masters.yml"
nodir=/nonexistent-pharos-plugins
skipped="plugin path $nodir: does not exist, skipped"

run "$PHAROS" -v
expect_rc 2 "-v alone"
expect_contains "$err" "-v means --verbose" "-v alone says what it is"
expect_contains "$err" "pharos --version" "-v alone points at --version"
run "$PHAROS" --help
expect_contains "$out" "-v, --verbose          show debug output; not the version (that is --version)" "--help says -v is not the version"
expect_contains "$out" "after the command too" "--help says global options may follow the command"
run "$PHAROS" --version
expect_rc 0 "--version"
expect_contains "$out" "pharos " "--version prints the version"

# after a built-in command: -v and --plugin-path both taken (the skipped path shows at -v only)
run "$PHAROS" config validate -c "$cfg" --plugin-path "$nodir" -v
expect_rc 0 "config validate -c FILE --plugin-path DIR -v"
expect_contains "$err" "$skipped" "-v and --plugin-path after the command"
run "$PHAROS" config validate -c "$cfg" --plugin-path="$nodir" --verbose --no-color
expect_rc 0 "--plugin-path=DIR --verbose --no-color after the command"
expect_contains "$err" "$skipped" "--verbose after the command"
run "$PHAROS" config validate -c "$cfg" --plugin-path
expect_rc 2 "--plugin-path without a value"
expect_contains "$err" "--plugin-path needs a directory" "missing value named"

# after a plugin command
run "$PHAROS_STATIC" good echo hello -v
expect_rc 0 "plugin command with -v after it"

# exec: taken among its options, left to the remote command after its first word or "--"
run "$PHAROS" exec -v --plugin-path "$nodir" -c /nonexistent/cluster.yml true
expect_rc 2 "exec -v ... (no such cluster.yml)"
expect_contains "$err" "cannot read /nonexistent/cluster.yml" "exec reached cluster.yml with -v among its options"
expect_contains "$err" "$skipped" "exec took -v and --plugin-path"
run "$PHAROS" exec --plugin-path "$nodir" -c /nonexistent/cluster.yml ls -v
expect_not_contains "$err" "$skipped" "-v after the remote command's first word is the remote command's"
run "$PHAROS" ssh --plugin-path "$nodir" -c /nonexistent/cluster.yml -- ls -v
expect_not_contains "$err" "$skipped" "-v after -- is the remote command's"
run "$PHAROS" reset -c /nonexistent/cluster.yml -y -v --plugin-path "$nodir"
expect_contains "$err" "$skipped" "reset takes -v after its options"

finish
