# Sourced by the test libraries (assert.sh, tests/testbed/lib.sh): a test that
# `set -e` ends says which command failed and where, instead of exiting
# without a word.
# shellcheck shell=bash

# -E: the trap also fires inside functions, where most test commands run.
set -E
trap 'on_error_report "$?" "$BASH_COMMAND" "${BASH_SOURCE[0]:-$0}" "$LINENO"' ERR

on_error_report() { # STATUS COMMAND FILE LINE
        local i calls=""
        # Without errexit (set +e, a command substitution) the failure does not
        # end the test: the caller handles it.
        [[ $- == *e* ]] || return 0
        for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
                calls+=", in ${FUNCNAME[i]} called at ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]}"
        done
        printf "FAIL: %s:%s: '%s' exited with status %s%s\n" "${3##*/}" "$4" "$2" "$1" "$calls" >&2
}
