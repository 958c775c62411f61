#!/usr/bin/env bash
# `pharos etcd restore` on a cluster of the emulated testbed, whose etcd is the
# real one (Debian's 3.4, its etcdctl standing in for the image's etcdutl):
# a ConfigMap saved in a backup, deleted, another made after it; the
# refusals change nothing (no --yes, a changed file, no description, another
# cluster's snapshot, an external etcd); the restore brings the first back and
# drops the second, keeping the old data; a run that stopped midway (manifests
# and data moved aside by hand, as a failure would leave them) is repaired by
# running it again. With MASTERS=2: the restore alone, onto two members that
# must come back as one etcd cluster, and a `pharos up` after it that finds
# nothing to change.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
masters=${MASTERS:-1}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts PHAROS_PLUGIN_PATH=$PLUGINS
step() { echo "[${SECONDS}s] $*"; }

run "$PHAROS" etcd restore --help
expect_rc 0 "--help"
expect_contains "$out" "pharos etcd restore [-c FILE] [--yes] FILE" "--help shows the synopsis"
run "$PHAROS" etcd restore
expect_rc 2 "no FILE"
expect_contains "$err" "restore needs the snapshot FILE" "says what is missing"

"$TESTBED" start --hosts "$masters" --masters "$masters" --dir "$dir/tb" --os ubuntu-24.04 >/dev/null
# A named cluster, so a snapshot of another one can be told apart.
{ echo "name: restore-test"; cat "$dir/tb/cluster.yml"; } >"$dir/cluster.yml"
cfg=$dir/cluster.yml
master=$(jq -r '.hosts[0].address' "$dir/tb/hosts.json")
on_master() { "$TESTBED" exec --dir "$dir/tb" --host host-1 -- "$@"; }
step "up"
run "$PHAROS" up -c "$cfg"
expect_rc 0 "up"
"$PHAROS" kubeconfig -c "$cfg" >"$dir/kubeconfig"
k() { kubectl --kubeconfig "$dir/kubeconfig" "$@"; }

step "backup"
k create configmap saved -n default --from-literal=when=before >/dev/null
snap=$dir/snap.db
run "$PHAROS" etcd backup -c "$cfg" -o "$snap"
expect_rc 0 "backup"
k delete configmap saved -n default >/dev/null
k create configmap later -n default --from-literal=when=after >/dev/null

if [ "$masters" = 1 ]; then
step "refusals"
run "$PHAROS" etcd restore -c "$cfg" "$snap"
expect_rc 2 "without --yes"
expect_contains "$out" "would replace the data of cluster restore-test's etcd" "says what it would do"
expect_contains "$out" "  $master" "names the masters"
expect_contains "$out" "member.pre-restore-" "says where the current data goes"
expect_contains "$err" "nothing changed: give --yes" "says how to go on"
cp "$snap" "$dir/bad.db"
cp "$snap.json" "$dir/bad.db.json"
printf 'X' | dd of="$dir/bad.db" bs=1 seek=5000 conv=notrunc 2>/dev/null
run "$PHAROS" etcd restore -c "$cfg" "$dir/bad.db" --yes
expect_rc 2 "a changed file"
expect_contains "$err" "the file changed since it was saved" "says why"
rm "$dir/bad.db.json"
run "$PHAROS" etcd restore -c "$cfg" "$dir/bad.db" --yes
expect_rc 2 "no description"
expect_contains "$err" "bad.db.json is missing" "names it"
sed 's/^name: restore-test$/name: another/' "$cfg" >"$dir/another.yml"
run "$PHAROS" etcd restore -c "$dir/another.yml" "$snap" --yes
expect_rc 2 "another cluster's snapshot"
expect_contains "$err" "a snapshot of cluster 'restore-test', and $dir/another.yml names 'another'" \
        "names both"
{ cat "$cfg"; printf 'etcd:\n  endpoints:\n    - https://127.0.0.250:2379\n'; } >"$dir/external.yml"
run "$PHAROS" etcd restore -c "$dir/external.yml" "$snap" --yes
expect_rc 2 "an external etcd"
expect_contains "$err" "etcd is external" "says why"
run k get configmap later -n default -o name
expect_eq "$out" "configmap/later" "refusals changed nothing"
expect_eq "$(on_master sh -c 'ls -d /var/lib/etcd/member.pre-restore-* /etc/kubernetes/pharos-restore 2>/dev/null || true')" \
        "" "nothing moved aside"
fi

step "restore"
run "$PHAROS" etcd restore -c "$cfg" "$snap" --yes
expect_rc 0 "restore"
printf '%s\n' "$err" | while IFS= read -r line; do echo "  $line"; done
expect_contains "$err" "$master: etcd member host-1, peer https://$master:2380" "reads the member"
expect_contains "$err" "$master: restored into /var/lib/etcd/pharos-restore-" "a new data directory"
expect_contains "$err" "$master: stopped: manifests in /etc/kubernetes/pharos-restore" "stops"
expect_contains "$err" "$master: etcd member healthy" "etcd back"
expect_contains "$err" "the Kubernetes API answers" "API back"
expect_contains "$out" "restored $snap onto $masters master" "says so"
run k get configmap saved -n default -o jsonpath='{.data.when}'
expect_eq "$out" "before" "the deleted object is back"
run k get configmap later -n default -o name
expect_rc 1 "what came after the snapshot is gone"
expect_contains "$err" "NotFound" "not found"
run k get nodes -o name
expect_contains "$out" "node/host-1" "the cluster answers"
kept=$(on_master sh -c 'ls -d /var/lib/etcd/member.pre-restore-*')
expect_contains "$kept" "/var/lib/etcd/member.pre-restore-" "the old data is kept"
expect_eq "$(on_master sh -c 'ls /var/lib/etcd/ | grep -c "^pharos-restore" || true')" "0" \
        "no upload or restore directory left"
expect_eq "$(on_master ls /etc/kubernetes/manifests | tr '\n' ' ')" \
        "etcd.yaml kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml " \
        "the manifests are back"
expect_not_contains "$out$err" "PRIVATE KEY" "no key is printed"

if [ "$masters" != 1 ]; then
        # shellcheck disable=SC2016 # expanded on the master
        members=$(on_master env ADDR="$master" sh -c 'ETCDCTL_API=3 etcdctl --endpoints="https://$ADDR:2379" \
                --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt \
                --key=/etc/kubernetes/pki/apiserver-etcd-client.key member list' | grep -c ", started, host-")
        expect_eq "$members" "$masters" "every member back in one etcd cluster"
        step "up after the restore"
        run "$PHAROS" up -c "$cfg"
        expect_rc 0 "up"
        expect_contains "$out$err" "up: no changes" "finds nothing to change"
        finish
        exit
fi

step "a run stopped midway is repaired by running it again"
k create configmap later -n default --from-literal=when=after >/dev/null
# What a failure between moving the old data aside and moving the restored
# data in leaves: the control plane stopped, no member directory.
# shellcheck disable=SC2016 # expanded on the master
on_master sh -c 'mkdir -p /etc/kubernetes/pharos-restore &&
        mv /etc/kubernetes/manifests/etcd.yaml /etc/kubernetes/manifests/kube-apiserver.yaml \
           /etc/kubernetes/pharos-restore/ &&
        for _ in $(seq 100); do crictl ps --name "^etcd$" -q | grep -q . || break; sleep 0.2; done &&
        mv /var/lib/etcd/member /var/lib/etcd/member.pre-restore-29991231T000000Z'
run "$PHAROS" etcd restore -c "$cfg" "$snap" --yes
expect_rc 0 "the re-run"
expect_contains "$err" "from an earlier run: put /var/lib/etcd/member.pre-restore-29991231T000000Z back" \
        "puts the data back first"
expect_contains "$err" "put etcd's manifest back" "and the manifests"
run k get configmap saved -n default -o jsonpath='{.data.when}'
expect_eq "$out" "before" "restored"
run k get configmap later -n default -o name
expect_rc 1 "restored from the snapshot, not the data put back"
finish
