#!/usr/bin/env bash
# `pharos kubeconfig`: admin.conf read over SSH from the first master, server
# rewritten to api.endpoint or the master, printed or merged into a file.
set -euo pipefail
: "${PHAROS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
"$TESTBED" start --hosts 2 --dir "$dir" >/dev/null
master=$(jq -r '.hosts[0].address' "$dir/hosts.json")

run "$PHAROS" kubeconfig -c "$dir/cluster.yml"
expect_rc 1 "no admin.conf yet"
expect_contains "$err" "$master: no /etc/kubernetes/admin.conf" "names the master"

ca=$(printf 'CA\n' | base64 -w0) cert=$(printf 'CERT\n' | base64 -w0) key=$(printf 'KEY\n' | base64 -w0)
"$TESTBED" exec --dir "$dir" --host host-1 -- sh -c "mkdir -p /etc/kubernetes && umask 077 && cat >/etc/kubernetes/admin.conf" <<EOF2
apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority-data: $ca, server: 'https://$master:6443'}
  name: kubernetes
users:
- name: kubernetes-admin
  user: {client-certificate-data: $cert, client-key-data: $key}
contexts:
- context: {cluster: kubernetes, user: kubernetes-admin}
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
EOF2

run "$PHAROS" kubeconfig -c "$dir/cluster.yml" -n demo
expect_rc 0 "print"
expect_contains "$out" "server: https://$master:6443" "server is the first master"
expect_contains "$out" "current-context: kubernetes-admin@demo" "context named after the cluster"
expect_contains "$out" "client-key-data: $key" "key carried over"

printf 'api:\n  endpoint: api.example.com\n' >>"$dir/cluster.yml"
run "$PHAROS" kubeconfig -c "$dir/cluster.yml" -C mine
expect_contains "$out" "server: https://api.example.com:6443" "server is api.endpoint"
expect_contains "$out" "current-context: mine" "-C names the context"

cat >"$dir/kube.conf" <<'EOF2'
apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: 'https://other:6443'}
contexts:
- name: other
  context: {cluster: other, user: other}
users:
- name: other
  user: {token: abc}
current-context: other
EOF2
run "$PHAROS" kubeconfig -c "$dir/cluster.yml" -n demo --merge "$dir/kube.conf"
expect_rc 0 "merge"
expect_eq "$(stat -c %a "$dir/kube.conf")" "600" "merged file is private"
expect_contains "$(cat "$dir/kube.conf")" "server: https://other:6443" "other entries kept"
expect_contains "$(cat "$dir/kube.conf")" "current-context: kubernetes-admin@demo" "new context current"
run "$PHAROS" kubeconfig --bogus
expect_rc 2 "bad flag"
finish
