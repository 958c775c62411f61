#!/usr/bin/env bash
# What the README shows a user: `pharos version --output json`, and
# `pharos worker up - MASTER... < join.txt` (the token read from stdin, never shown).
set -euo pipefail
: "${PHAROS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
readme="$(dirname "$0")/../../README.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_contains "$(cat "$readme")" "pharos version [--output json]" "README shows version --output json"
run "$PHAROS" version --output json
expect_rc 0 "version --output json"
expect_eq "$(jq -r '.pharos' <<<"$out")" "$(sed -n 's/^pharos //p' <<<"$("$PHAROS" version)")" "json pharos = text pharos"
expect_eq "$(jq -r '.plugin_abi' <<<"$out")" "$(sed -n 's/^plugin ABI //p' <<<"$("$PHAROS" version)")" "json plugin_abi"
expect_eq "$(jq -r '.libraries | keys_unsorted | join(",")' <<<"$out")" \
        "libssh2,libcurl,yajl,libcyaml,libyaml,libffi" "json libraries"
expect_eq "$(jq -r '.libraries.libssh2' <<<"$out")" "$(sed -n 's/^libssh2 //p' <<<"$("$PHAROS" version)")" "json libssh2"
run "$PHAROS" --version -o json
expect_eq "$(jq -r '.pharos' <<<"$out")" "$(jq -r '.pharos' <<<"$("$PHAROS" version -o json)")" "--version -o json"
run "$PHAROS" version --output yaml
expect_rc 2 "version --output yaml"
expect_contains "$err" "--output must be text or json, not 'yaml'" "bad format named"

# The README's worker line, as written, with a master that does not answer:
# the join command comes from stdin and the run gets as far as asking a master.
line=$(grep -o 'pharos worker up - MASTER_ADDRESS[^#]*< join.txt' "$readme")
expect_eq "$line" "pharos worker up - MASTER_ADDRESS... [--label K=V] < join.txt" "README shows worker up - < join.txt"
token=abcdef.0123456789abcdef
printf 'kubeadm join 10.0.0.1:6443 --token %s --discovery-token-ca-cert-hash sha256:%064d\n' "$token" 0 >"$tmp/join.txt"
run "$PHAROS" worker up - 127.0.0.1:1 --label role=extra --master-wait 0 -v <"$tmp/join.txt"
expect_rc 1 "worker up - MASTER < join.txt"
expect_contains "$err" "no master's API answers: 127.0.0.1:1" "join command read from stdin, master asked"
expect_not_contains "$out$err" "$token" "the token is never shown"
expect_not_contains "$out$err" "0123456789abcdef" "no part of the token secret is shown"

finish
