#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan, leak checks) and runs the
# cluster.yml loader for SECONDS, seeded with the test files, then the
# manifest converter (YAML -> JSON -> YAML) for SECONDS/2, seeded with the
# plugins' manifests. Crash inputs
# are kept in BUILD/fuzz-artifacts/. Exit status is libFuzzer's: 0 when
# nothing was found. The seed is fixed (PHAROS_FUZZ_SEED overrides it) so a
# CI failure reproduces; longer runs with other seeds are how new bugs are
# hunted, and each one found becomes a bad/*.yml case that seeds the corpus.
# usage: tests/fuzz.sh SECONDS   (PHAROS_FUZZ_BUILD overrides the build dir)
set -euo pipefail

seconds=${1:?usage: fuzz.sh SECONDS}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PHAROS_FUZZ_BUILD:-$root/build-fuzz}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DPHAROS_FUZZ=ON -DBUILD_TESTING=OFF \
        -DPHAROS_WERROR=ON >/dev/null
cmake --build "$build" --target fuzz_config_load fuzz_manifest -j2 >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/manifests" "$build/fuzz-artifacts"
cp "$root"/tests/config/bad/*.yml "$root"/tests/config/good/*.yml "$work/corpus/"
find "$root/plugins" -path '*/manifests/*' \( -name '*.yml' -o -name '*.yaml' \) -exec cp {} "$work/manifests/" \;

# Each fuzzer is one process on one core, so the manifest converter runs
# beside the loader. Their logs are printed one after the other, a failure's
# last, where CI's tail of this output shows it.
"$build/tests/kube/fuzz/fuzz_manifest" \
        -seed="${PHAROS_FUZZ_SEED:-1}" -max_total_time="$((seconds / 2))" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/" -print_final_stats=1 \
        "$work/manifests" >"$work/manifest.log" 2>&1 &
manifest_pid=$!

config_status=0
"$build/tests/config/fuzz/fuzz_config_load" \
        -seed="${PHAROS_FUZZ_SEED:-1}" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/tests/config/fuzz/cluster.dict" \
        -artifact_prefix="$build/fuzz-artifacts/" -print_final_stats=1 \
        "$work/corpus" >"$work/config.log" 2>&1 || config_status=$?

manifest_status=0
wait "$manifest_pid" || manifest_status=$?
if [ "$config_status" -ne 0 ]; then
        cat "$work/manifest.log" "$work/config.log"
        exit "$config_status"
fi
cat "$work/config.log" "$work/manifest.log"
exit "$manifest_status"
