#!/usr/bin/env bash
# cluster.yml's `manifests` on a one-host testbed cluster (kubeadm and
# addon-manifests only, the host prepared as in the kubeadm test): a broken
# manifest refused before any host is contacted, --plan naming the step,
# two files of a directory applied as the stack pharos-manifests (a README
# beside them ignored, `${...}` kept as written), a second up that writes
# nothing, a removed file's objects pruned, the removed key deleting the
# whole stack, and an up after that with nothing to do.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
version=1.37.2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$here/../../lib/admin_pem.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
mkdir "$dir/plugins"
cp "$PLUGINS/kubeadm.so" "$PLUGINS/addon-manifests.so" "$dir/plugins/"
"$TESTBED" start --hosts 1 --masters 1 --dir "$dir/tb" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/tb/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir/tb" --host "host-$1" -- "${@:2}"; }
on 1 sh -s "${version%.*}" "$(addr 0)" <"$here/../kubeadm/prepare_host.sh"

cfg=$dir/cluster.yml
write_cfg() { # MANIFESTS-YAML (the whole key, or nothing)
        cat "$dir/tb/cluster.yml"
        printf 'kubernetes:\n  version: %s\n%s\n' "$version" "$1"
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$cfg" "$@"; }

mkdir "$dir/app"
cat >"$dir/app/10-account.yml" <<'YML'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: demo-app
  namespace: default
YML
cat >"$dir/app/20-config.yaml" <<'YML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-settings
  namespace: default
data:
  run.sh: echo ${HOME}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: demo-reader
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
YML
echo "kind: [ not a manifest, and ignored" >"$dir/app/README.txt"
printf 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n' >"$dir/broken.yml"

# A broken file: refused while loading, before any connection.
write_cfg "manifests: [app, broken.yml]" >"$cfg"
cd / # relative entries are taken from cluster.yml's directory
up
expect_rc 2 "broken manifest refused"
expect_contains "$err" "manifests: $dir/broken.yml:1: not a Kubernetes resource: no metadata.name" \
        "the file and line named"
expect_eq "$(on 1 test -e /etc/kubernetes/admin.conf && echo yes || echo no)" "no" "nothing done on the host"

write_cfg "manifests: [app]" >"$cfg"
up --plan
expect_rc 0 "plan"
expect_contains "$out" "addon-manifests.apply" "plan shows the step"
expect_contains "$out" "manifests lists 1 path: apply them as stack pharos-manifests" "plan says why"

up
expect_rc 0 "first up"
[[ $rc -eq 0 ]] || { echo "$err" | tail -20; finish; exit 1; }
expect_contains "$out" "stack pharos-manifests: 3 created, 0 updated, 0 pruned" "three objects created"

on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
status() { curl -sk -o /dev/null -w '%{http_code}' --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
sa=/api/v1/namespaces/default/serviceaccounts/demo-app
cm=/api/v1/namespaces/default/configmaps/demo-settings
role=/apis/rbac.authorization.k8s.io/v1/clusterroles/demo-reader
inventory=/api/v1/namespaces/kube-system/configmaps/pharos-stack-pharos-manifests
for p in $sa $cm $role; do
        expect_eq "$(api "$p" | jq -r '.metadata.labels."pharos.kontena.io/stack"')" "pharos-manifests" \
                "$p labelled with the stack"
        expect_eq "$(api "$p" | jq -r '.metadata.annotations."pharos.kontena.io/stack-checksum" | length')" "64" \
                "$p carries its checksum"
done
expect_eq "$(api $cm | jq -r '.data."run.sh"')" "echo \${HOME}" "applied as written"

up --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up: no changes"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "" "no step changed"
expect_not_contains "$(jq -r '.step // empty' <<<"$out")" "addon-manifests" "second up: the step has no work"
up --plan --output json
expect_eq "$(jq -r 'select(.phase == "plan") | .detail' <<<"$out")" "no changes" "settled plan: no changes"

rm "$dir/app/20-config.yaml"
up --plan --output json
expect_eq "$(jq -r 'select(.status == "would-run") | .step' <<<"$out")" "addon-manifests.apply" \
        "plan: only the changed stack would run"
up
expect_rc 0 "a file removed"
expect_contains "$out" "stack pharos-manifests: 0 created, 0 updated, 2 pruned" "its objects pruned"
expect_eq "$(status $cm) $(status $role) $(status $sa)" "404 404 200" "only the removed file's objects gone"

write_cfg "" >"$cfg"
up --plan
expect_contains "$out" "manifests is empty or gone from cluster.yml: delete stack pharos-manifests" \
        "plan: the stack goes"
up
expect_rc 0 "the key removed"
expect_eq "$(status $sa) $(status $inventory)" "404 404" "the stack and its inventory gone"

up --output json
expect_rc 0 "up without the key"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "nothing left to do"
expect_not_contains "$(jq -r '.step // empty' <<<"$out")" "addon-manifests" "the step has no work"
finish
