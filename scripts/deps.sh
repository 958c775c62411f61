#!/usr/bin/env bash
# Installs the Debian packages pharos needs to build and test.
set -euo pipefail

apt-get update
apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libyaml-dev libcyaml-dev libyajl-dev libssh2-1-dev libcurl4-openssl-dev libffi-dev \
        libcmocka-dev \
        clang strace shellcheck clang-format
