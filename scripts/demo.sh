#!/usr/bin/env bash
# The main job on the local sandbox testbed (README: `make demo`): installs
# what it needs, builds pharos and shows what it does today.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset default >/dev/null
cmake --build build -j"$(nproc)"
pharos=build/plugins/pharos
export PHAROS_PLUGIN_PATH=$PWD/build/plugins

echo
echo "==> pharos version"
"$pharos" version
echo
echo "==> pharos plugins list"
"$pharos" plugins list
echo
echo "==> pharos plugins steps"
"$pharos" plugins steps
