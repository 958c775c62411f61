#!/usr/bin/env bash
# The `pharos config` command line: help, usage errors (exit 2), unreadable
# files, stdin, the files `manifests` names, and that `pharos help` lists the
# command.
# usage: run_cli.sh PHAROS
set -euo pipefail

pharos=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# expect CODE WANTED_OUTPUT_SUBSTRING ARGS... (stdin from $work/stdin)
expect() {
        local want_rc=$1 want_text=$2 rc=0
        shift 2
        env PHAROS_NO_SYSTEM_PLUGINS=1 "$pharos" "$@" <"$work/stdin" >"$work/out" 2>&1 || rc=$?
        if [[ $rc -ne $want_rc ]] || ! grep -qF -- "$want_text" "$work/out"; then
                echo "FAIL: pharos $*: exit $rc (want $want_rc), output:"
                cat "$work/out"
                echo "(wanted the text: $want_text)"
                failed=$((failed + 1))
        fi
}

: >"$work/stdin"
expect 2 "usage: pharos config validate" config
expect 0 "usage: pharos config validate" config --help
expect 0 "usage: pharos config validate" config show --help
expect 2 "unknown subcommand 'frob'" config frob
expect 2 "--output must be yaml or json, not 'xml'" config show --output xml -c x.yml
expect 2 "validate: unexpected argument '--output'" config validate --output json
expect 2 "-c needs a value" config validate -c
expect 2 "error: cannot read $work/none.yml: No such file or directory" \
        config validate -c "$work/none.yml"
expect 0 "Validate cluster.yml or print the effective configuration" help
expect 0 "hosts[].private_interface: string" config keys
expect 2 "keys: unexpected argument '-c'" config keys -c x.yml

printf 'hosts: 1\n' >"$work/stdin"
expect 2 "-:1:8: error: hosts: expected a list, got '1'" config validate -c -
printf 'hosts:\n  - {address: 10.0.0.1, role: master}\n' >"$work/stdin"
expect 0 "-: ok" config validate -c -
expect 0 '"address": "10.0.0.1"' config show -c - -o json

# manifests: relative entries from cluster.yml's directory (the working
# directory for stdin); checked by validate, not by show.
mkdir "$work/app"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n' >"$work/app/ns.yml"
printf 'hosts:\n  - {address: 10.0.0.1, role: master}\nmanifests: [app, gone.yml]\n' >"$work/cluster.yml"
: >"$work/stdin"
expect 2 "cluster.yml:3:18: error: manifests: $work/gone.yml: No such file or directory" \
        config validate -c "$work/cluster.yml"
expect 0 "- gone.yml" config show -c "$work/cluster.yml"
rm "$work/cluster.yml"
printf 'hosts:\n  - {address: 10.0.0.1, role: master}\nmanifests: [app]\n' >"$work/stdin"
expect 2 "-:3:13: error: manifests: app: No such file or directory" config validate -c -
cd "$work"
expect 0 "-: ok" config validate -c -
cd - >/dev/null

echo "config command line: $failed failures"
[[ $failed -eq 0 ]]
