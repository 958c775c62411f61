#!/usr/bin/env bash
# No secret leaves its place (issue 13): a full `pharos up` (3 masters + 2
# workers, addons on, secrets encryption, a proxy with a password for kubeadm,
# the kubelet and the package tools), `pharos worker up`, `pharos drain` and
# `pharos reset`, each at debug level (`-v`); `up` with `--output json`, the
# others in text (they have no JSON output).
# Every byte of their output, every command line a sampler saw on this machine
# (the hosts' processes included) and every line of the hosts' sudo logs is
# searched for the bootstrap tokens, the certificate key, every private key
# (CAs, clients, service accounts), the encryption key, the weave password and
# the proxy password.
# Commands for the hosts are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$here/../../lib/admin_pem.sh"
dir=$(mktemp -d)
sampler=""
cleanup() {
        [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
export PHAROS_PLUGIN_PATH=$PLUGINS
step() { echo "[${SECONDS}s] $*"; }
"$TESTBED" start --hosts 6 --masters 3 --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$(($1 - 1))].address" "$dir/hosts.json"; }
on() {
        "$TESTBED" exec --dir "$dir" --host "host-$1" -- \
                env PATH=/usr/local/lib/pharos-testbed/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c "$2"
}
# sudo logs every command it runs, whole (no line wrapping), on every host.
for i in 1 2 3 4 5 6; do
        on "$i" 'printf "Defaults logfile=/var/log/sudo.log, loglinelen=0\n" >/etc/sudoers.d/zz-log &&
                chmod 0440 /etc/sudoers.d/zz-log'
done

proxy_pw=PxPw-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The package mirror and the cluster stay direct: the hosts' addresses one by one, as
# the emulators are Python, whose no_proxy knows no CIDR (Go's, in kubeadm, does).
no_proxy=pkgs.k8s.io,download.docker.com,127.0.0.0/8,localhost$(jq -r '.hosts[].address' "$dir/hosts.json" | sed 's/^/,/' | tr -d '\n')
PROXY_PW=$proxy_pw python3 - "$dir/cluster.yml" "$(addr 6)" "$no_proxy" <<'PY'
import os, sys, yaml
path, sixth, no_proxy = sys.argv[1:]
pw = os.environ["PROXY_PW"]
d = yaml.safe_load(open(path))
d["hosts"] = [h for h in d["hosts"] if h["address"] != sixth]
proxy = "http://pharos:%s@proxy.invalid:3128" % pw
for h in d["hosts"]:
    h["environment"] = {"http_proxy": proxy, "https_proxy": proxy, "no_proxy": no_proxy}
d.setdefault("control_plane", {})["use_proxy"] = True
d["addons"] = {"ingress-nginx": {"enabled": True}, "cert-manager": {"enabled": True},
               "metrics-server": {"enabled": True}, "kured": {"enabled": True},
               "host-upgrades": {"enabled": True, "schedule": "30 4 * * 1-5"}}
yaml.safe_dump(d, open(path, "w"), sort_keys=False)
PY
roles=$(python3 -c 'import sys, yaml; print(" ".join(h["role"] for h in yaml.safe_load(open(sys.argv[1]))["hosts"]))' \
        "$dir/cluster.yml")
expect_eq "$roles" "master master master worker worker" "3 masters + 2 workers in cluster.yml"

# The sampler watches the copy of kubeadm.yaml with the certificate key while it lives.
keyed=()
for i in 1 2 3; do keyed+=("$(jq -r ".hosts[$((i - 1))].root" "$dir/hosts.json")/etc/kubernetes/pharos/kubeadm-keyed.yaml"); done
python3 "$here/sampler.py" "$dir/cmdlines" "${keyed[@]}" &
sampler=$!
outputs=()
# pharos_run NAME ARGS...: runs pharos, keeping its stdout and stderr for the scan.
pharos_run() {
        local name=$1
        shift
        rc=0
        "$PHAROS" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
        out=$(cat "$dir/$name.out")
        err=$(cat "$dir/$name.err")
        outputs+=("$dir/$name.out" "$dir/$name.err")
}

step "up: 3 masters + 2 workers, -v --output json"
pharos_run up -v up -c "$dir/cluster.yml" --output json
expect_rc 0 "up"
[[ $rc -eq 0 ]] || { tail -20 <<<"$err"; finish; exit 1; }
expect_contains "$err" '$ sudo ' "debug output was on"
expect_contains "$out" '"step":"kubeadm.join-masters"' "masters joined"
expect_contains "$out" '"step":"kubeadm.join-workers"' "workers joined"
expect_contains "$out" '"step":"addon-ingress-nginx.' "addons applied"
on 1 'cat /etc/kubernetes/admin.conf' >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
chmod 600 "$dir/admin.pem" "$dir/admin.conf"

step "worker up on host-6, -v, the join command on stdin"
root6=$(jq -r '.hosts[5].root' "$dir/hosts.json")
mkdir -p "$root6/opt/pharos/plugins"
cp "$PHAROS" "$root6/opt/pharos/pharos"
cp "$PLUGINS"/*.so "$root6/opt/pharos/plugins/"
# The join command is this test's own input: its output is not scanned.
"$PHAROS" exec -c "$dir/cluster.yml" -r master -f sudo kubeadm token create --print-join-command \
        >"$dir/join" 2>/dev/null
grep -q 'kubeadm join' "$dir/join" || fail "no join command from pharos exec"
tail -1 "$dir/join" >"$dir/join1"
cp "$dir/cluster.yml" "$dir/all.yml"
python3 - "$dir/all.yml" "$(addr 6)" "$dir/id_ed25519" <<'PY'
import sys, yaml
path, sixth, key = sys.argv[1:]
d = yaml.safe_load(open(path))
d["hosts"].append({"address": sixth, "user": "pharos", "ssh_key_path": key, "role": "worker"})
yaml.safe_dump(d, open(path, "w"), sort_keys=False)
PY
pharos_run worker-up ssh -c "$dir/all.yml" -a "$(addr 6)" -- /opt/pharos/pharos \
        --plugin-path /opt/pharos/plugins -v worker up - "$(addr 1)" --address "$(addr 6)" --control-plane-proxy \
        -e "HTTPS_PROXY=http://pharos:$proxy_pw@proxy.invalid:3128" \
        -e "NO_PROXY=$no_proxy" <"$dir/join1"
expect_rc 0 "worker up"
expect_contains "$out$err" "kubeadm.worker-up-join" "joined by the worker-up step"

# What the cluster holds now, before drain and reset take it apart.
echo "proxy password=$proxy_pw" >"$dir/literals"
python3 "$here/secrets.py" "$dir/hosts.json" "$dir/none" "$dir/secrets.json" "$dir/admin.pem" "$dir/literals"

step "drain host-5, -v"
pharos_run drain -v drain host-5 -c "$dir/cluster.yml" --ignore-daemonsets --delete-local-data --timeout 60s
expect_rc 0 "drain"

# The hosts' sudo logs, read before reset wipes the hosts.
for i in 1 2 3 4 5 6; do on "$i" 'cat /var/log/sudo.log 2>/dev/null || true' >"$dir/sudo-$i.log"; done
step "reset, -v"
pharos_run reset -v reset -c "$dir/cluster.yml" -y
expect_rc 0 "reset"
for i in 1 2 3 4 5 6; do on "$i" 'cat /var/log/sudo.log 2>/dev/null || true' >>"$dir/sudo-$i.log"; done
kill "$sampler"
wait "$sampler" || true
sampler=""
# the certificate keys the sampler caught
python3 "$here/secrets.py" "$dir/hosts.json" "$dir/cmdlines.files" "$dir/secrets.json" "$dir/admin.pem"

needles=$(jq -r 'keys[]' "$dir/secrets.json")
for kind in "bootstrap token" "certificate key" "private key host-1:/etc/kubernetes/pki/ca.key" \
        "private key host-1:/etc/kubernetes/pki/etcd/ca.key" "client key data host-1:/etc/kubernetes/admin.conf" \
        "encryption key host-1:/etc/kubernetes/pharos/encryption.yaml" "proxy password"; do
        expect_contains "$needles" "$kind" "the scan looks for the $kind"
done
[ -s "$dir/sudo-1.log" ] || fail "sudo logged nothing on host-1"
grep -q 'kubeadm' "$dir/cmdlines" || fail "the sampler saw no kubeadm command"

# pharos' own command lines are the operator's input (worker up's -e proxy): the
# hosts' command lines are the rest.
grep -q -F "/opt/pharos/pharos --plugin-path /opt/pharos/plugins -v worker up" "$dir/cmdlines" ||
        fail "the sampler did not see pharos worker up"
grep -v -F -e "/opt/pharos/pharos" -e "$PHAROS" "$dir/cmdlines" >"$dir/cmdlines.hosts" || true

step "scan"
run python3 "$here/scan.py" "$dir/secrets.json" "${outputs[@]}" "$dir/cmdlines.hosts" "$dir"/sudo-*.log
echo "$out"
expect_rc 0 "no secret in any output, command line or sudo log"
finish
