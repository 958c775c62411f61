#!/usr/bin/env bash
# An external etcd (cluster.yml's etcd.endpoints with client certificates):
# three members of upstream's etcd (the release the real tier builds: kubeadm
# 1.37 refuses an external etcd older than 3.5.24, which Debian 12's 3.4 is),
# TLS for clients and peers, on hosts of their own, started by Debian's
# packaged unit; 2 masters + 1 worker built on it. The masters run no etcd member, the
# API servers use the three endpoints with the client files pharos copied,
# the cluster's objects are in the external etcd, and the joined master got
# its files from kubeadm's upload-certs. A second run changes nothing, and so
# does a run with the first endpoint's member stopped, while the API keeps
# writing through the other two. `pharos reset` says the external etcd still
# holds the objects. No key is printed at -v.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts PHAROS_PLUGIN_PATH=$PLUGINS
step() { echo "[${SECONDS}s] $*"; }
on() { "$TESTBED" exec --dir "$dir/tb" --host "host-$1" -- "${@:2}"; }
addr() { jq -r ".hosts[$(($1 - 1))].address" "$dir/tb/hosts.json"; }

etcd_bin=$("$(dirname "$0")/../../testbed/real/build/build.sh" --print-dir)/bin/etcd
[ -x "$etcd_bin" ] || fail "no etcd built by the real tier (tests/testbed/real/build/build.sh)"

# hosts 1-3: etcd; 4, 5: masters (one EL); 6: worker.
"$TESTBED" start --hosts 6 --dir "$dir/tb" \
        --os debian-12,debian-12,debian-12,ubuntu-24.04,rocky-9,ubuntu-24.04 >/dev/null

step "a 3-member etcd with TLS on hosts 1-3"
pki=$dir/pki
mkdir -p "$pki"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=etcd-ca \
        -keyout "$pki/ca.key" -out "$pki/ca.crt"
# cert NAME SAN: a leaf signed by the CA, good for serving and as a client.
cert() {
        ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
                -keyout "$pki/$1.key" -out "$pki/$1.csr"
        printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" >"$pki/$1.ext"
        ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
                -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
cert apiserver-client "DNS:apiserver-client"
initial=""
for i in 1 2 3; do
        # The emulated hosts share the machine's loopback: a member's peer
        # connections leave from 127.0.0.1, which etcd checks against the
        # certificate's addresses (--peer-client-cert-auth).
        cert "etcd-$i" "IP:$(addr "$i"),IP:127.0.0.1"
        initial+="${initial:+,}etcd-$i=https://$(addr "$i"):2380"
done
for i in 1 2 3; do
        a=$(addr "$i")
        on "$i" mkdir -p -m 0700 /etc/etcd/pki
        on "$i" sh -c 'cat > /etc/etcd/pki/ca.crt' <"$pki/ca.crt"
        on "$i" sh -c 'cat > /etc/etcd/pki/server.crt' <"$pki/etcd-$i.crt"
        on "$i" sh -c 'umask 077; cat > /etc/etcd/pki/server.key' <"$pki/etcd-$i.key"
        # Debian's etcd-server unit (the emulated hosts' systemd reads no unit of the
        # machine's own) reads /etc/default/etcd (EnvironmentFile=-/etc/default/%p);
        # it runs upstream's etcd from /usr/local/bin.
        on "$i" install -d /usr/local/bin
        on "$i" sh -c 'cat > /usr/local/bin/etcd && chmod 0755 /usr/local/bin/etcd' <"$etcd_bin"
        sed 's|^ExecStart=/usr/bin/etcd|ExecStart=/usr/local/bin/etcd|' /usr/lib/systemd/system/etcd.service |
                on "$i" sh -c 'cat > /etc/systemd/system/etcd.service'
        on "$i" grep -q '^ExecStart=/usr/local/bin/etcd' /etc/systemd/system/etcd.service ||
                fail "the unit of host-$i does not run upstream's etcd"
        on "$i" sh -c 'cat > /etc/default/etcd' <<EOF
ETCD_NAME=etcd-$i
ETCD_LISTEN_CLIENT_URLS=https://$a:2379
ETCD_ADVERTISE_CLIENT_URLS=https://$a:2379
ETCD_LISTEN_PEER_URLS=https://$a:2380
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://$a:2380
ETCD_INITIAL_CLUSTER=$initial
ETCD_INITIAL_CLUSTER_STATE=new
ETCD_CERT_FILE=/etc/etcd/pki/server.crt
ETCD_KEY_FILE=/etc/etcd/pki/server.key
ETCD_TRUSTED_CA_FILE=/etc/etcd/pki/ca.crt
ETCD_CLIENT_CERT_AUTH=true
ETCD_PEER_CERT_FILE=/etc/etcd/pki/server.crt
ETCD_PEER_KEY_FILE=/etc/etcd/pki/server.key
ETCD_PEER_TRUSTED_CA_FILE=/etc/etcd/pki/ca.crt
ETCD_PEER_CLIENT_CERT_AUTH=true
EOF
done
cfg=$dir/cluster.yml
key=$(jq -r .key "$dir/tb/hosts.json")
# config FILE ARG...: cluster.yml with the etcd endpoints of hosts N (a digit)
# and hosts mN (masters) and wN (workers).
config() {
        local f=$1 i
        shift
        {
                echo "hosts:"
                for i in 4 5 6; do
                        [[ " $* " == *" m$i "* || " $* " == *" w$i "* ]] || continue
                        printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    role: %s\n' \
                                "$(addr "$i")" "$key" "$([[ " $* " == *" w$i "* ]] && echo worker || echo master)"
                done
                echo "etcd:"
                echo "  endpoints:"
                for i in "$@"; do [[ $i == [0-9] ]] && echo "    - https://$(addr "$i"):2379"; done
                echo "  ca_certificate: $pki/ca.crt"
                echo "  certificate: $pki/apiserver-client.crt"
                echo "  key: $pki/apiserver-client.key"
        } >"$f"
}

step "Debian 12's own etcd (3.4) as the external etcd: kubeadm's preflight refuses it"
on 1 sh -c 'cat > /etc/systemd/system/etcd-debian.service' </usr/lib/systemd/system/etcd.service
on 1 sh -c "sed -e 's/^ETCD_INITIAL_CLUSTER=.*/ETCD_INITIAL_CLUSTER=etcd-1=https:\/\/$(addr 1):2380/' \
        -e '\$a ETCD_DATA_DIR=/var/lib/etcd/debian' /etc/default/etcd > /etc/default/etcd-debian"
on 1 systemctl start etcd-debian
config "$dir/debian.yml" 1 m4
run "$PHAROS" up -c "$dir/debian.yml"
expect_rc 1 "up on Debian 12's etcd"
expect_contains "$out$err" "this version of kubeadm only supports external etcd version >= 3.5.24-0. Current version: 3.4.23" \
        "kubeadm's ExternalEtcdVersion check, named in the step's failure"
on 1 systemctl stop etcd-debian
on 1 rm -rf /var/lib/etcd/debian

# Side by side: a member reports ready (sd_notify, Type=notify) only once the
# cluster has a quorum, so a start job alone would wait for the others.
starts=()
for i in 1 2 3; do
        on "$i" systemctl start etcd &
        starts+=($!)
done
for p in "${starts[@]}"; do
        wait "$p" || fail "systemctl start etcd failed"
done
endpoints="https://$(addr 1):2379,https://$(addr 2):2379,https://$(addr 3):2379"
etcdctl() {
        ETCDCTL_API=3 command etcdctl --endpoints "$endpoints" --cacert "$pki/ca.crt" \
                --cert "$pki/apiserver-client.crt" --key "$pki/apiserver-client.key" "$@"
}
for _ in $(seq 60); do
        if etcdctl endpoint health >/dev/null 2>&1; then break; fi
        sleep 1
done
run etcdctl endpoint health
expect_rc 0 "the external etcd is healthy: $err"

config "$cfg" 1 2 3 m4 m5 w6

step "config validate: 2 masters are no quorum problem with an external etcd"
run "$PHAROS" config validate -c "$cfg"
expect_rc 0 "validate"
expect_not_contains "$out$err" "odd number of masters" "no warning about the masters' count"
expect_contains "$out" "external" "the summary names the external etcd"

step "up"
run "$PHAROS" -v up -c "$cfg"
expect_rc 0 "up on an external etcd"
expect_not_contains "$out$err" "$(sed -n 2p "$pki/apiserver-client.key")" "the client key is not printed"
expect_not_contains "$out$err" "PRIVATE KEY" "no key is printed"
expect_not_contains "$out" "kubeadm.etcd-" "no step of the stacked etcd's membership runs"

step "the masters run no etcd and use the three endpoints"
for i in 4 5; do
        run on "$i" test -e /etc/kubernetes/manifests/etcd.yaml
        expect_rc 1 "host-$i has no etcd static Pod"
        run on "$i" test -e /var/lib/etcd/member
        expect_rc 1 "host-$i has no etcd data"
        man=$(on "$i" cat /etc/kubernetes/manifests/kube-apiserver.yaml)
        expect_contains "$man" "--etcd-servers=$endpoints" "host-$i's API server uses the three endpoints"
        expect_contains "$man" "--etcd-keyfile=/etc/kubernetes/pharos/etcd/client.key" \
                "host-$i's API server uses the copied client key"
        expect_eq "$(on "$i" stat -c %a /etc/kubernetes/pharos/etcd/client.key)" "600" \
                "host-$i's copy of the client key is private"
        expect_eq "$(on "$i" sha256sum /etc/kubernetes/pharos/etcd/client.crt | cut -d' ' -f1)" \
                "$(sha256sum "$pki/apiserver-client.crt" | cut -d' ' -f1)" "host-$i has the client certificate"
done
"$PHAROS" kubeconfig -c "$cfg" >"$dir/kubeconfig"
kc() { kubectl --kubeconfig "$dir/kubeconfig" "$@"; }
ready() {
        kc get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}'
}
# Ready follows the network provider's Pods, which `up` does not wait for.
for _ in $(seq 90); do
        [ "$(ready)" != "host-4=True host-5=True host-6=True " ] || break
        sleep 1
done
run ready
expect_eq "$out" "host-4=True host-5=True host-6=True " "all three nodes Ready"
run kc -n kube-system get configmap kubeadm-config -o 'jsonpath={.data.ClusterConfiguration}'
expect_contains "$out" "external:" "kubeadm-config names the external etcd"
expect_contains "$out" "https://$(addr 3):2379" "with its endpoints"
run etcdctl get --prefix --keys-only /registry/
expect_contains "$out" "/registry/namespaces/kube-system" "the cluster's objects are in the external etcd"
# Under the API server's names (SpecialDefaultResourcePrefixes): Nodes are "minions".
expect_contains "$out" "/registry/minions/host-5" "the joined master's Node is in the external etcd"
expect_contains "$out" "/registry/services/specs/kube-system/kube-dns" "so is the kube-dns Service"

step "a second up changes nothing"
run "$PHAROS" up -c "$cfg"
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up changes nothing"

step "the first endpoint's member stopped: the API writes through the other two"
on 1 systemctl stop etcd
run kc create configmap written-without-etcd-1
expect_rc 0 "a write with one member down"
run env ETCDCTL_API=3 etcdctl --endpoints "https://$(addr 2):2379" --cacert "$pki/ca.crt" \
        --cert "$pki/apiserver-client.crt" --key "$pki/apiserver-client.key" \
        get --keys-only /registry/configmaps/default/written-without-etcd-1
expect_contains "$out" "written-without-etcd-1" "the write is in the remaining members"
run "$PHAROS" up -c "$cfg"
expect_rc 0 "up with one member of three down"
expect_contains "$out" "no changes" "nothing to change with one member down"

step "reset says where the objects still are"
run "$PHAROS" reset -c "$cfg" --yes
expect_rc 0 "reset"
expect_contains "$err" "the external etcd (https://$(addr 1):2379, ...) still holds this cluster's objects" \
        "reset names the external etcd"
run etcdctl get --prefix --keys-only /registry/namespaces/kube-system
expect_contains "$out" "kube-system" "reset left the external etcd's data alone"

finish
