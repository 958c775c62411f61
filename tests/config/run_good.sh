#!/usr/bin/env bash
# Every good/NAME.yml must validate (exit 0) with the summary and warnings in
# good/expected/, `config show` must print expected/NAME.show.yaml and
# NAME.show.json, and the YAML it prints, read back from stdin, must
# validate and show the same again (round trip). Also: without -c,
# ./cluster.yml is read.
# usage: run_good.sh PHAROS FIXTURE_DIR GOOD_DIR [--regenerate]
set -euo pipefail

pharos=$1
fixtures=$2
src=$3
regenerate=${4:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

run() {
        env -i PATH="$PATH" HOME=/home/pharos-test PHAROS_NO_SYSTEM_PLUGINS=1 \
                PHAROS_TEST_CLUSTER=demo PHAROS_TEST_PORT=2222 \
                "$pharos" --plugin-path "$fixtures/network-testnet" \
                --plugin-path "$fixtures/network-standin-weave" \
                --plugin-path "$fixtures/addon-ingress-nginx" "$@"
}

# check NAME GOT: compares GOT with expected/NAME (or stores it with --regenerate).
check() {
        if [[ $regenerate == --regenerate ]]; then
                if [[ -s $2 || $1 != *.stderr ]]; then
                        cp "$2" "$src/expected/$1"
                fi
                return 0
        fi
        local want="$src/expected/$1"
        if [[ $1 == *.stderr && ! -f $want ]]; then
                want=/dev/null
        fi
        if ! diff -u "$want" "$2"; then
                echo "FAIL: $1 differs (expected -, got +)"
                failed=$((failed + 1))
        fi
}

cd "$src"
for f in *.yml; do
        base=${f%.yml}
        out="$work/$base"
        if ! run config validate -c "$f" >"$out.summary" 2>"$out.stderr"; then
                echo "FAIL: $f does not validate:"
                cat "$out.stderr"
                failed=$((failed + 1))
                continue
        fi
        check "$base.summary" "$out.summary"
        check "$base.stderr" "$out.stderr"
        run config show -c "$f" >"$out.show.yaml" 2>/dev/null
        run config show -c "$f" --output json >"$out.show.json" 2>/dev/null
        check "$base.show.yaml" "$out.show.yaml"
        check "$base.show.json" "$out.show.json"
        if ! run config validate -c - <"$out.show.yaml" >/dev/null 2>"$out.again.stderr"; then
                echo "FAIL: the shown configuration of $f does not validate:"
                cat "$out.again.stderr"
                failed=$((failed + 1))
        fi
        run config show -c - <"$out.show.yaml" >"$out.again.yaml" 2>/dev/null || true
        if ! diff -u "$out.show.yaml" "$out.again.yaml"; then
                echo "FAIL: $f does not round-trip through config show"
                failed=$((failed + 1))
        fi
done

mkdir "$work/cwd"
cp "$src/seed.yml" "$work/cwd/cluster.yml"
first=$(cd "$work/cwd" && run config validate | head -n 1)
if [[ $first != "cluster.yml: ok" ]]; then
        echo "FAIL: without -c, ./cluster.yml is not read (got '$first')"
        failed=$((failed + 1))
fi

echo "good files: $failed failures"
[[ $failed -eq 0 ]]
