#!/usr/bin/env bash
# `pharos addons` with the addon plugins of the build: the addons, their
# state in cluster.yml (-c, else ./cluster.yml, else none) and their options;
# the addon schemas checked by `pharos config validate`.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
work=$(mktemp -d)
trap 'rm -rf "$work" "$_tmp_out" "$_tmp_err"' EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
mkdir "$work/plugins" "$work/empty"
cp "$PLUGINS"/addon-*.so "$work/plugins/"
pharos() { (cd "$work/empty" && "$PHAROS" --plugin-path "$work/plugins" "$@"); }

run pharos addons --help
expect_rc 0 "--help"
expect_contains "$out" "usage: pharos addons [-c FILE]" "usage"
run pharos addons --bogus
expect_rc 2 "unknown option"
expect_contains "$err" "unexpected argument '--bogus'" "unknown option named"
run "$PHAROS" --help
expect_contains "$out" "addons" "help lists the command"

# No cluster.yml: every addon, no state.
run pharos addons
expect_rc 0 "without cluster.yml"
expect_eq "$(grep -c '^[a-z]' <<<"$out")" "6" "six addons"
expect_contains "$out" "kured                -         addon-kured 1.16.0" "kured without state"
expect_contains "$out" "    reboot_days: list of string  # days reboots may happen on" "kured option"
expect_contains "$out" "      replicas: integer, 1..100, default 2  # controller replicas" "nested option"
expect_contains "$out" "      name: string, required  # object name" "list item option"
expect_contains "$out" "    kind: string, one of DaemonSet|Deployment, default DaemonSet" "enum option"

cat >"$work/cluster.yml" <<'YML'
hosts:
  - address: 10.0.0.1
    role: master
addons:
  kured:
    enabled: true
  helm:
    enabled: false
    charts:
      - name: podinfo
YML
run pharos addons -c "$work/cluster.yml"
expect_rc 0 "with -c"
expect_contains "$out" "kured                enabled   addon-kured" "kured enabled"
expect_contains "$out" "helm                 disabled  addon-helm" "helm disabled"
expect_contains "$out" "metrics-server       disabled  addon-metrics-server" "absent is disabled"
cp "$work/cluster.yml" "$work/empty/cluster.yml"
run pharos addons
expect_contains "$out" "kured                enabled" "./cluster.yml read by default"
rm "$work/empty/cluster.yml"

cat >"$work/bad.yml" <<'YML'
hosts:
  - address: 10.0.0.1
    role: master
addons:
  ingress-nginx:
    enabled: true
    kind: Pod
  cert-manager:
    enabled: true
    issuers:
      - name: le
  host-upgrades:
    enabled: true
    reboot: sometimes
YML
run pharos addons -c "$work/bad.yml"
expect_rc 2 "invalid cluster.yml"
run pharos config validate -c "$work/bad.yml"
expect_rc 2 "addon schemas validate"
expect_contains "$err" "bad.yml:7:11: error: addons.ingress-nginx.kind: 'Pod' is not one of: DaemonSet, Deployment" "enum"
expect_contains "$err" "bad.yml:11:9: error: addons.cert-manager.issuers[0]: missing required key 'spec'" "required"
expect_contains "$err" "bad.yml:14:13: error: addons.host-upgrades.reboot: expected true or false, got 'sometimes'" "bool"

run "$PHAROS" addons
expect_rc 0 "no plugins"
expect_contains "$out" "(no addon plugins loaded" "no plugins message"
finish
