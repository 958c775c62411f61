#!/usr/bin/env bash
# Packages (deb) and images (OCI) of the real tier, made from the binaries
# dir into $PHAROS_TESTBED_CACHE/artifacts/<key>/ (default cache:
# ~/.cache/pharos-testbed), once per input. Prints the artifacts dir.
#   build.sh [--bin DIR]               build if needed
#   build.sh [--bin DIR] --print-dir   print the dir, exit 1 if not built
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
exec /usr/bin/python3 -c 'import sys; from pharos_artifacts import main; sys.exit(main.main())' "$@"
