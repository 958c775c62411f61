#!/usr/bin/env bash
# Every ctest test that runs pharos, under ThreadSanitizer (`make tsan`; not
# part of `make test`: on 2 cores under it, the emulated integration tests
# took 24 min one at a time, faults.up 10 min and the real tier 13 min).
#   scripts/tsan.sh [CTEST_ARGS...]   (default: -L '^(unit|cli|config|integration|faults)$')
# Reports go to build-tsan/tsan-reports/report.PID, one file per process
# that found something, and any of them fails the run even when its test
# passed (a pharos its test killed, or whose exit status it does not check,
# leaves only the file). `pharos worker up` run inside testbed hosts (through
# sshd, or `testbed exec` with env -i) gets no TSAN_OPTIONS: a report goes to
# its stderr and it exits 66, which fails the test that checks for 0.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=$(nproc)
reports=$PWD/build-tsan/tsan-reports

scripts/deps.sh test || exit 1
cmake --preset tsan >/dev/null || exit 1
cmake --build build-tsan -j"$jobs" || exit 1

rm -rf "$reports"
mkdir -p "$reports"
(($#)) || set -- -L '^(unit|cli|config|integration|faults)$'
status=0
TSAN_OPTIONS="log_path=$reports/report exitcode=66 second_deadlock_stack=1 halt_on_error=0" \
        ctest --test-dir build-tsan --output-on-failure -j"$jobs" "$@" || status=1

found=("$reports"/report.*)
if [[ -e ${found[0]} ]]; then
        echo "tsan: ${#found[@]} report file(s) in $reports:"
        grep -h '^SUMMARY: ThreadSanitizer' "${found[@]}" | sort | uniq -c
        status=1
else
        echo "tsan: no reports (they would be in $reports)"
fi
exit "$status"
