#!/usr/bin/env bash
# The version policy of `pharos up` on a running cluster, with every plugin on
# testbed hosts: 1 master + 1 worker at 1.35.4, then cluster.yml asks for a skip
# of two minors (1.37.2), a downgrade across a minor (1.34.2) and within one
# (1.35.0), and, with the worker's kubelet taken to 1.36.3 by hand, the cluster's
# own version (a kubelet newer than the control plane). Each is refused with
# exit 2 before anything changes: no mutating command on a host, no API write
# but the run's lock, and the refusal names the versions (and the node).
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
mkdir "$dir/plugins"
cp "$PLUGINS"/*.so "$dir/plugins/"
"$TESTBED" start --hosts 2 --masters 1 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }
step() { echo "[${SECONDS}s] $*"; }
version() {
        python3 - "$dir/cluster.yml" "$1" <<'PY'
import sys, yaml
path, version = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(path))
doc["kubernetes"] = {"version": version}
yaml.safe_dump(doc, open(path, "w"))
PY
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" "$@"; }

step "1 master + 1 worker at 1.35.4"
version 1.35.4
up
expect_rc 0 "first up"

on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
kubelets() { api /api/v1/nodes | jq -r '[.items[] | .metadata.name + "=" + .status.nodeInfo.kubeletVersion] | sort | join(" ")'; }
expect_eq "$(kubelets)" "host-1=v1.35.4 host-2=v1.35.4" "kubelets at 1.35.4"
expect_eq "$(api /api/v1/namespaces/kube-system/configmaps/pharos-config | jq -r '.data["kubernetes.version"]')" \
        "1.35.4" "the state keeps the version"

changes() {
        for i in 1 2; do
                on "$i" cat /var/log/pharos-testbed/journal.jsonl | jq -s '[.[] | select(.changed)] | length'
        done | paste -sd' '
}
# The admin's writes but for the run's own lock (the Lease every run takes).
api_writes() {
        on 1 cat /var/log/pharos-testbed/api-audit.jsonl |
                jq -s '[.[] | select(.user == "kubernetes-admin") |
                        select(.path | test("^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases(/pharos-lock)?([?]|$)") | not)] | length'
}
# refused VERSION WHAT NEEDLE...: up with VERSION exits 2 naming NEEDLEs, changing nothing.
refused() {
        local v=$1 what=$2 before writes
        shift 2
        before=$(changes) writes=$(api_writes)
        version "$v"
        for mode in --plan ""; do
                # shellcheck disable=SC2086 # no option is an empty word
                up $mode
                expect_rc 2 "$what${mode:+ ($mode)}"
                for needle in "$@"; do
                        expect_contains "$err" "$needle" "$what${mode:+ ($mode)}: the message"
                done
                expect_contains "$err" "Nothing was changed" "$what: says so"
        done
        expect_eq "$(changes)" "$before" "$what: no mutating command on a host"
        expect_eq "$(api_writes)" "$writes" "$what: no API write"
        expect_eq "$(kubelets)" "host-1=v1.35.4 host-2=v1.35.4" "$what: kubelets unchanged"
        # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
        expect_eq "$(on 2 dpkg-query -W -f='${Version}' kubelet)" "1.35.4-1.1" "$what: packages unchanged"
}

step "a skip of two minors"
refused 1.37.2 "1.35.4 -> 1.37.2" "kubernetes.version 1.37.2" "skips minors from the cluster's 1.35.4" \
        "go to 1.36 first"
step "downgrades"
refused 1.34.2 "1.35.4 -> 1.34.2" "1.34.2 is older than the cluster's 1.35.4" "not downgraded"
refused 1.35.0 "1.35.4 -> 1.35.0" "1.35.0 is older than the cluster's 1.35.4"

step "a kubelet newer than the control plane"
on 2 sh -c 'sed -i "s,/v1.35/,/v1.36/," /etc/apt/sources.list.d/kubernetes.list &&
        rm -f /etc/apt/preferences.d/kubernetes && apt-get update -q >/dev/null &&
        apt-get install -y -q --allow-change-held-packages kubelet=1.36.3-1.1 >/dev/null &&
        systemctl restart kubelet'
for _ in $(seq 60); do
        [[ "$(kubelets)" == *"host-2=v1.36.3"* ]] && break
        sleep 1
done
expect_eq "$(kubelets)" "host-1=v1.35.4 host-2=v1.36.3" "host-2's kubelet at 1.36.3"
before=$(changes) writes=$(api_writes)
version 1.35.4
up
expect_rc 2 "a kubelet newer than kubernetes.version"
expect_contains "$err" "node host-2: its kubelet 1.36.3 is newer than the API server would be (1.35.4)" \
        "the node and both versions named"
expect_eq "$(changes)" "$before" "kubelet skew: no mutating command on a host"
expect_eq "$(api_writes)" "$writes" "kubelet skew: no API write"
finish
