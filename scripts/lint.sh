#!/usr/bin/env bash
# Lint gate run by CI: formatting, clang-tidy, cppcheck and shellcheck.
# Usage: scripts/lint.sh BUILD_DIR   (a configured build with compile_commands.json)
set -euo pipefail
build=${1:?usage: scripts/lint.sh BUILD_DIR}
cd "$(dirname "$0")/.."
status=0

mapfile -t c_files < <(git ls-files '*.c' '*.h' | grep -v '^tests/testbed/emulators/')
echo "lint: clang-format (${#c_files[@]} files)"
clang-format --dry-run --Werror "${c_files[@]}" || status=1

# sdk/ is built out of tree (tests/sdk), so it has no compile commands here.
mapfile -t core_c < <(git ls-files 'core/*.c' 'plugins/*.c')
echo "lint: clang-tidy (${#core_c[@]} files)"
# One clang-tidy per core, a few files each: a single process left the other
# cores idle for minutes. xargs exits non-zero if any of them found something.
printf '%s\0' "${core_c[@]}" |
        xargs -0 -P "$(nproc)" -n 8 clang-tidy -quiet -p "$build" 2>/dev/null || status=1

echo "lint: cppcheck"
cppcheck -j "$(nproc)" --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
        --suppress=missingIncludeSystem --std=c11 -I include -I core -I "$build/include" \
        "${core_c[@]}" || status=1

mapfile -t sh_files < <(git ls-files '*.sh' 'tests/testbed/testbed' '.ci/run')
echo "lint: shellcheck (${#sh_files[@]} scripts)"
# Each script is checked on its own (with what it sources), so they split
# across the cores like clang-tidy's files.
printf '%s\0' "${sh_files[@]}" |
        xargs -0 -P "$(nproc)" -n 16 shellcheck -x -P SCRIPTDIR || status=1

[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
