#!/usr/bin/env bash
# pharos reset's refusals that come before any host is contacted (the
# addresses are TEST-NET ones nothing answers on): usage errors, a partial
# reset without a master, no terminal without -y, an unconfirmed prompt.
set -euo pipefail
: "${PHAROS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$_tmp_out" "$_tmp_err"' EXIT
cat >"$dir/cluster.yml" <<'YML'
hosts:
  - address: 192.0.2.1
    role: master
  - address: 192.0.2.2
    role: worker
YML

run "$PHAROS" reset --help
expect_rc 0 "help"
expect_contains "$out" "usage: pharos reset" "usage text"
expect_contains "$out" "-y, --yes" "documents -y"
run "$PHAROS" reset -c "$dir/cluster.yml" extra
expect_rc 2 "extra argument"
expect_contains "$err" "unexpected argument 'extra'" "extra argument named"
run "$PHAROS" reset --bogus
expect_rc 2 "unknown option"
run "$PHAROS" reset -c "$dir/cluster.yml" -a 192.0.2.9 -y
expect_rc 2 "no host matches"
run "$PHAROS" reset -c "$dir/cluster.yml" -r master -y
expect_rc 2 "partial reset of every master"
expect_contains "$err" "reset the whole cluster (no -a/-r/-l), or keep a master" "what to do instead"
run "$PHAROS" reset -c "$dir/cluster.yml" </dev/null
expect_rc 2 "no terminal and no -y"
expect_contains "$err" "give -y" "asks for -y"
# On a terminal the prompt names the hosts; anything but yes changes nothing.
run script -qec "$PHAROS reset -c $dir/cluster.yml -a 192.0.2.2" /dev/null <<<"n"
expect_rc 1 "not confirmed"
expect_contains "$out" "192.0.2.2 (worker)" "prompt names the host"
expect_contains "$out" "not confirmed. Nothing was changed." "refusal said"
finish
