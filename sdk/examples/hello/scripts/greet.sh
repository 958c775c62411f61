#!/bin/sh
# Runs on each host (embedded into the plugin at build time; fed to `sh -s`).
# GREETING comes from the plugin as a declared variable.
set -eu
printf '%s from %s\n' "${GREETING:?}" "$(hostname)"
