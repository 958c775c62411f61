#!/usr/bin/env bash
# `pharos etcd backup` on a 1-master cluster of the emulated testbed, whose
# etcd is the real one: the snapshot comes through etcd's own gateway, and the
# real `etcdctl snapshot restore` (which checks the SHA-256 etcd appends) is
# the judge of the file. Then: an existing file refused, --force, the default
# name, an external etcd refused; a connection cut midway (a TCP proxy in
# front of the master's sshd) failing, and SIGINT while it stalls: nothing is
# left behind.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
dir=$(mktemp -d)
proxy=""
cleanup() {
        [ -n "$proxy" ] && kill "$proxy" 2>/dev/null
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts PHAROS_PLUGIN_PATH=$PLUGINS
step() { echo "[${SECONDS}s] $*"; }

run "$PHAROS" etcd backup --help
expect_rc 0 "--help"
expect_contains "$out" "usage: pharos etcd backup" "--help shows the synopsis"
expect_contains "$out" "FILE.json" "--help names the description file"
run "$PHAROS" etcd backup extra
expect_rc 2 "a surplus argument"

"$TESTBED" start --hosts 1 --dir "$dir/tb" --os ubuntu-24.04 >/dev/null
cfg=$dir/tb/cluster.yml
master=$(jq -r '.hosts[0].address' "$dir/tb/hosts.json")
step "up"
run "$PHAROS" up -c "$cfg"
expect_rc 0 "up"

step "backup"
snap=$dir/out/snap.db
mkdir -p "$dir/out"
run "$PHAROS" -v etcd backup -c "$cfg" -o "$snap"
expect_rc 0 "backup"
expect_contains "$err" "$master: etcd member healthy" "the member it asked"
expect_contains "$err" "(100%)" "progress in bytes"
expect_contains "$out" "saved $snap" "says where it saved"
expect_eq "$(stat -c %a "$snap")" "600" "the snapshot is private"
expect_eq "$(stat -c %a "$snap.json")" "600" "its description is private"
meta() { jq -r ".$1" "$snap.json"; }
expect_eq "$(meta sha256)" "$(sha256sum "$snap" | cut -d' ' -f1)" "sha256 is the file's"
expect_eq "$(meta size)" "$(stat -c %s "$snap")" "size is the file's"
expect_eq "$(meta db_size)" "$(($(stat -c %s "$snap") - 32))" "the checksum etcd appends follows the db"
expect_eq "$(meta db_sha256)" "$(head -c "$(meta db_size)" "$snap" | sha256sum | cut -d' ' -f1)" \
        "db_sha256 is the database's"
expect_eq "$(tail -c 32 "$snap" | od -An -tx1 | tr -d ' \n')" "$(meta db_sha256)" \
        "the file ends with the database's SHA-256, as etcd sends it"
"$PHAROS" kubeconfig -c "$cfg" >"$dir/kubeconfig"
name=$(kubectl --kubeconfig "$dir/kubeconfig" -n kube-system get configmap pharos-config \
        -o jsonpath='{.data.pharos-cluster-name}')
expect_eq "$(meta cluster_name)" "$name" "cluster name from the cluster state"
expect_eq "$(meta kubernetes_version)" "1.37.2" "kubernetes version"
expect_eq "$(meta kubernetes_version_from)" "cluster state" "version from the cluster state"
expect_eq "$(meta etcd_member)" "$master" "member it came from"
expect_contains "$(meta etcd_version)" "3." "etcd's version"
expect_contains "$(meta taken_at)" "Z" "time taken, UTC"
# The real etcdctl is the judge: restore verifies the appended SHA-256.
run env ETCDCTL_API=3 etcdctl snapshot restore "$snap" --data-dir "$dir/restored"
expect_rc 0 "etcdctl snapshot restore takes the file"
cp "$snap" "$dir/corrupt.db"
printf 'X' | dd of="$dir/corrupt.db" bs=1 seek=5000 conv=notrunc 2>/dev/null
run env ETCDCTL_API=3 etcdctl snapshot restore "$dir/corrupt.db" --data-dir "$dir/restored2"
expect_rc 1 "etcdctl refuses a changed byte: the check is real"
# No secret in the output at debug level: the etcd client key stays on the master.
key=$("$TESTBED" exec --dir "$dir/tb" --host host-1 -- cat /etc/kubernetes/pki/apiserver-etcd-client.key |
        sed -n 2p)
expect_not_contains "$out$err" "$key" "the etcd client key is not printed"
expect_not_contains "$out$err" "PRIVATE KEY" "no key is printed"

step "refusals"
sum=$(sha256sum "$snap")
run "$PHAROS" etcd backup -c "$cfg" -o "$snap"
expect_rc 2 "an existing file is refused"
expect_contains "$err" "$snap exists: refusing to overwrite it" "says why"
expect_eq "$(sha256sum "$snap")" "$sum" "the existing file is untouched"
rm "$snap"
run "$PHAROS" etcd backup -c "$cfg" -o "$snap"
expect_rc 2 "an existing description is refused too"
expect_contains "$err" "$snap.json exists" "names the description"
[ ! -e "$snap" ] || fail "nothing written when refused"
run "$PHAROS" etcd backup -c "$cfg" -o "$snap" --force
expect_rc 0 "--force replaces"
expect_eq "$(jq -r .sha256 "$snap.json")" "$(sha256sum "$snap" | cut -d' ' -f1)" "replaced together"
{ cat "$cfg"; printf 'etcd:\n  endpoints:\n    - https://127.0.0.250:2379\n'; } >"$dir/external.yml"
run "$PHAROS" etcd backup -c "$dir/external.yml" -o "$dir/out/ext.db"
expect_rc 2 "an external etcd is refused"
expect_contains "$err" "etcd is external" "says why"

# A member that does not answer: etcd asked where nothing listens.
sed "s/^\(    role: master\)$/\1\n    private_address: 127.0.0.250/" "$cfg" >"$dir/nowhere.yml"
run "$PHAROS" etcd backup -c "$dir/nowhere.yml" -o "$dir/out/nowhere.db"
expect_rc 1 "no healthy member"
expect_contains "$err" "no master's etcd member answers healthy ($master: etcd does not answer" \
        "names the master and why"
[ ! -e "$dir/out/nowhere.db" ] || fail "nothing written without a healthy member"

step "default name"
(cd "$dir/out" && "$PHAROS" etcd backup -c "$cfg" >/dev/null 2>&1)
made=$(compgen -G "$dir/out/$name-etcd-*Z.db" || true)
expect_contains "$made" "$dir/out/$name-etcd-" "CLUSTER-etcd-TIME.db in the current directory"
[ -e "$made.json" ] || fail "its description beside it"

# through_proxy MODE: a proxy in front of the master's sshd that breaks (MODE cut
# or stall) the SSH connection carrying the tunnels once it got as many bytes
# back as the snapshot is large (the base64 stream is a third larger: midway);
# writes $dir/MODE.yml, cluster.yml going through it.
through_proxy() {
        if [ -n "$proxy" ]; then
                kill "$proxy"
                wait "$proxy" 2>/dev/null || true
        fi
        rm -f "$dir/proxy.port"
        python3 -u "$here/cut_proxy.py" "$master" "$master" 22 "$(stat -c %s "$snap")" "$1" \
                >"$dir/proxy.port" 2>"$dir/proxy.err" &
        proxy=$!
        for _ in $(seq 100); do [ -s "$dir/proxy.port" ] && break; sleep 0.1; done
        port=$(cat "$dir/proxy.port")
        sed "s/^\(    role: master\)$/\1\n    ssh_port: $port/" "$cfg" >"$dir/$1.yml"
        expect_contains "$(cat "$dir/$1.yml")" "ssh_port: $port" "cluster.yml through the proxy"
        mkdir "$dir/$1"
}

step "a connection cut midway"
through_proxy cut
run "$PHAROS" etcd backup -c "$dir/cut.yml" -o "$dir/cut/snap.db" --trust-hosts
expect_rc 1 "a cut stream fails"
echo "  $err" | tail -1
expect_contains "$err" "snapshot stream broke off" "says the stream broke off"
expect_contains "$(cat "$dir/proxy.err")" "cut a connection" "the proxy did cut it"
expect_eq "$(ls -A "$dir/cut")" "" "nothing left behind, no temporary file either"

step "SIGINT while the stream stalls"
through_proxy stall
"$PHAROS" etcd backup -c "$dir/stall.yml" -o "$dir/stall/snap.db" --trust-hosts \
        >"$dir/stall.out" 2>"$dir/stall.err" &
backup=$!
for _ in $(seq 300); do grep -q stalled "$dir/proxy.err" && break; sleep 0.1; done
expect_contains "$(cat "$dir/proxy.err")" "stalled a connection" "the proxy stalls the stream"
expect_contains "$(ls -A "$dir/stall")" ".snap.db." "a temporary file while it runs"
kill -INT "$backup"
rc=0
wait "$backup" || rc=$?
out=$(cat "$dir/stall.out") err=$(cat "$dir/stall.err")
expect_rc 130 "interrupted"
expect_contains "$err" "interrupted by SIGINT" "says so"
echo "  $err" | tail -1
expect_eq "$(ls -A "$dir/stall")" "" "the partial file is removed"
finish
