#!/usr/bin/env bash
# The whole test suite, as CI runs it (README: `make test`):
#   1. Debian packages                       (scripts/deps.sh)
#   2. build with -Werror, every ctest test   (unit, cli, sdk, integration ...)
#   3. ASan+UBSan build, unit tests under it
#   4. the cluster.yml loader and the manifest converter under libFuzzer (tests/fuzz.sh)
#   5. lint gate                              (scripts/lint.sh)
# Every stage runs; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=$(nproc)
failed=()

stage() {
        local name=$1
        shift
        echo
        echo "==> $name"
        if ! "$@"; then
                failed+=("$name")
        fi
}

scripts/deps.sh || exit 1

stage "build" bash -c "cmake --preset default -DPHAROS_WERROR=ON >/dev/null && cmake --build build -j$jobs"
stage "tests" bash -c "cd build && ctest --output-on-failure -j$jobs"
stage "asan build" bash -c "cmake --preset asan >/dev/null && cmake --build build-asan -j$jobs"
stage "asan unit tests" bash -c "cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -L unit -j$jobs"
stage "fuzz cluster.yml loader and manifests (60 + 30 s)" bash -c "tests/fuzz.sh 60 > build/fuzz.log 2>&1 || { tail -40 build/fuzz.log; exit 1; }; grep -E '^stat::number_of_executed_runs|^Done' build/fuzz.log"
stage "lint" scripts/lint.sh build

echo
if [ "${#failed[@]}" -gt 0 ]; then
        echo "FAILED stages: ${failed[*]}"
        exit 1
fi
echo "all stages passed"
