#!/usr/bin/env bash
# A host's hostname is the host's word, not pharos': a worker that reports
# "../namespaces/prod" must not turn `pharos reset -a` into DELETE
# /api/v1/namespaces/prod, and the same name given to drain or delete-node
# must not reach the API either. Each is refused with the host and step (or
# the usage), exits non-zero, and the API server's audit log shows no write
# by the admin; the namespace and the Nodes are still there.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$(dirname "$0")/../../lib/admin_pem.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
"$TESTBED" start --hosts 2 --masters 1 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
pharos() { "$PHAROS" --plugin-path "$PLUGINS" "$@"; }

run pharos up -c "$dir/cluster.yml"
expect_rc 0 "first up"
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() {
        local path=$1
        shift
        curl -fsSk --cert "$dir/admin.pem" "$@" "https://$(addr 0):6443$path"
}
nodes() { api /api/v1/nodes | jq -r '[.items[].metadata.name] | sort | join(" ")'; }
# Writes pharos made through admin.conf, but for the run's own lock (the Lease
# kube-system/pharos-lock a reset takes before it reads any host's facts).
admin_writes() {
        on 1 sh -c 'cat /var/log/pharos-testbed/api-audit.jsonl 2>/dev/null || true' |
                jq -c 'select(.user == "kubernetes-admin") |
                        select(.path | test("^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases(/pharos-lock)?([?]|$)") | not)' |
                wc -l
}
api /api/v1/namespaces -X POST -H 'Content-Type: application/json' \
        -d '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}' >/dev/null
expect_eq "$(api /api/v1/namespaces/prod | jq -r .metadata.name)" "prod" "namespace prod exists"
expect_eq "$(nodes)" "host-1 host-2" "nodes after up"
writes=$(admin_writes)

# The worker now reports a path as its name.
on 2 python3 -c 'import socket; socket.sethostname("../namespaces/prod")'
run pharos reset -c "$dir/cluster.yml" -a "$(addr 1)" -y
[[ $rc -ne 0 ]] || fail "reset of a host with a hostile hostname succeeded"
expect_contains "$err" "$(addr 1): facts: hostname '../namespaces/prod' is not a valid Node name" \
        "the refusal names the host, the step and the value"
for name in ../namespaces/prod 'host-2/../../namespaces/prod' 'HOST-2' 'host-2?dryRun=All'; do
        run pharos drain "$name" -c "$dir/cluster.yml" --ignore-daemonsets --timeout 10s
        expect_rc 2 "drain $name is a usage error"
        expect_contains "$err" "is not a valid Node name" "drain $name says why"
        run pharos delete-node "$name" -c "$dir/cluster.yml"
        expect_rc 2 "delete-node $name is a usage error"
        expect_contains "$err" "is not a valid Node name" "delete-node $name says why"
done
expect_eq "$(admin_writes)" "$writes" "API writes by pharos after the hostile name"
expect_eq "$(api /api/v1/namespaces/prod | jq -r .metadata.name)" "prod" "namespace prod still exists"
expect_eq "$(nodes)" "host-1 host-2" "no Node deleted"
expect_eq "$(api /api/v1/nodes/host-2 | jq -r '.spec.unschedulable // false')" "false" \
        "host-2 not cordoned"

# Its real name back, the reset goes through: nothing was left half done.
on 2 python3 -c 'import socket; socket.sethostname("host-2")'
run pharos reset -c "$dir/cluster.yml" -a "$(addr 1)" -y
expect_rc 0 "reset once the hostname is a Node name again"
expect_eq "$(nodes)" "host-1" "host-2's Node deleted by the reset"
expect_eq "$(api /api/v1/namespaces/prod | jq -r .metadata.name)" "prod" "namespace prod kept"
finish
