#!/usr/bin/env bash
# Every bad/NN-name.yml must fail `pharos config validate` with exit code 2,
# print nothing on stdout and exactly bad/NN-name.err on stderr (every
# problem as FILE:LINE:COL: error: MESSAGE). 05-big.yml (10 MB) is
# generated here rather than committed. Directories (84-manifests/) are
# copied too: the manifests a bad file names.
# usage: run_bad.sh PHAROS FIXTURE_DIR BAD_DIR [--regenerate]
set -euo pipefail

pharos=$1
fixtures=$2
src=$3
regenerate=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"/

awk 'BEGIN { print "hosts:"; for (i = 0; i < 280000; i++) print "  - {address: 10.0.0.1, role: master}" }' \
        >"$work/05-big.yml"
truncate -s 10485760 "$work/05-big.yml"

cd "$work"
failed=0
cases=0
for f in *.yml; do
        base=${f%.yml}
        cases=$((cases + 1))
        rc=0
        env -i PATH="$PATH" HOME=/home/pharos-test PHAROS_NO_SYSTEM_PLUGINS=1 \
                "$pharos" --plugin-path "$fixtures/network-testnet" \
                --plugin-path "$fixtures/addon-ingress-nginx" \
                config validate -c "$f" >"$base.stdout" 2>"$base.stderr" || rc=$?
        if [[ $regenerate == --regenerate ]]; then
                cp "$base.stderr" "$src/$base.err"
                continue
        fi
        if [[ $rc -ne 2 ]]; then
                echo "FAIL $f: exit code $rc, expected 2"
                failed=$((failed + 1))
        fi
        if [[ -s $base.stdout ]]; then
                echo "FAIL $f: unexpected output on stdout:"
                cat "$base.stdout"
                failed=$((failed + 1))
        fi
        if [[ ! -f $base.err ]]; then
                echo "FAIL $f: no $base.err with the expected messages"
                failed=$((failed + 1))
        elif ! diff -u "$base.err" "$base.stderr"; then
                echo "FAIL $f: messages differ (expected -, got +)"
                failed=$((failed + 1))
        fi
done

if [[ $cases -lt 40 ]]; then
        echo "FAIL: only $cases malformed files, expected at least 40"
        exit 1
fi
echo "$cases malformed files, $failed failures"
[[ $failed -eq 0 ]]
