#!/bin/bash
# Debian packages the build, the tests and the benchmarks need.
set -euo pipefail

PKGS=(
        # testbed hosts (tests/testbed)
        openssh-server openssh-client sudo util-linux procps openssl iproute2 jq
        # fan-out benchmark comparisons (bench/fanout.sh)
        pssh ansible time
)

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PKGS[@]}"
