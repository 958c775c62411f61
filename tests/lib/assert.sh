# Small assertion helpers for the shell tests (sourced).
# run CMD...: runs CMD, capturing $out, $err and $rc.
# shellcheck shell=bash
# shellcheck source=on_error.sh
. "$(dirname "${BASH_SOURCE[0]}")/on_error.sh"

_tmp_out=$(mktemp)
_tmp_err=$(mktemp)
trap 'rm -f "$_tmp_out" "$_tmp_err"' EXIT
failures=0
checks=0

run() {
        rc=0
        "$@" >"$_tmp_out" 2>"$_tmp_err" || rc=$?
        out=$(cat "$_tmp_out")
        err=$(cat "$_tmp_err")
}

fail() {
        failures=$((failures + 1))
        printf 'FAIL: %s\n' "$*" >&2
        printf '  rc=%s\n  stdout: %s\n  stderr: %s\n' "${rc-}" "${out-}" "${err-}" >&2
}

expect_rc() {
        checks=$((checks + 1))
        [ "$rc" -eq "$1" ] || fail "expected exit $1, got $rc ($2)"
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
        checks=$((checks + 1))
        [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"
}

# expect_contains HAYSTACK NEEDLE WHAT
expect_contains() {
        checks=$((checks + 1))
        case "$1" in
        *"$2"*) ;;
        *) fail "$3: [$2] not found" ;;
        esac
}

# expect_not_contains HAYSTACK NEEDLE WHAT
expect_not_contains() {
        checks=$((checks + 1))
        case "$1" in
        *"$2"*) fail "$3: [$2] found" ;;
        esac
}

finish() {
        echo "$((checks - failures)) passed, $failures failed"
        [ "$failures" -eq 0 ]
}
