#!/usr/bin/env bash
# pharos up on an external etcd, on the real tier: three members of the etcd
# release the real tier builds (what kubeadm 1.37 accepts; Debian 12's own etcd
# is too old for it), TLS for clients and peers, run by a systemd unit on hosts
# of their own, and one master (real kubeadm, kubelet, containerd, API server)
# whose API server stores the cluster in them. The master runs no etcd; its
# Node is Ready and stored in the external etcd; a second up changes nothing;
# `pharos reset` wipes the master, says the external etcd still holds the
# objects, and leaves them there.
set -euo pipefail
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=real_test.sh
. "$(dirname "$0")/real_test.sh"
bin=$("$src/tests/testbed/real/build/build.sh" --print-dir)/bin
[[ -x $bin/etcd && -x $bin/etcdctl ]] || fail "no etcd built by the real tier in $bin"

step "testbed start --tier real: hosts 1-3 for etcd, host-4 the master"
"$TESTBED" start --tier real --hosts 4 --masters 1 --dir "$dir/tb"

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
initial="" endpoints=""
for i in 1 2 3; do
        cert "etcd-$i" "IP:$(paddr "$i")"
        initial+="${initial:+,}etcd-$i=https://$(paddr "$i"):2380"
        endpoints+="${endpoints:+,}https://$(paddr "$i"):2379"
done
for i in 1 2 3; do
        h=host-$i a=$(paddr "$i")
        for b in etcd etcdctl; do
                on "$h" sh -c "cat > /usr/local/bin/$b && chmod 0755 /usr/local/bin/$b" <"$bin/$b"
        done
        on "$h" mkdir -p -m 0700 /etc/etcd/pki /var/lib/etcd
        on "$h" sh -c 'cat > /etc/etcd/pki/ca.crt' <"$pki/ca.crt"
        on "$h" sh -c 'cat > /etc/etcd/pki/server.crt' <"$pki/etcd-$i.crt"
        on "$h" sh -c 'umask 077; cat > /etc/etcd/pki/server.key' <"$pki/etcd-$i.key"
        on "$h" sh -c 'umask 077; cat > /etc/etcd/pki/client.key' <"$pki/apiserver-client.key"
        on "$h" sh -c 'cat > /etc/etcd/pki/client.crt' <"$pki/apiserver-client.crt"
        on "$h" sh -c 'cat > /etc/systemd/system/etcd.service' <<EOF
[Unit]
Description=etcd
After=network-online.target

[Service]
Type=notify
EnvironmentFile=/etc/default/etcd
ExecStart=/usr/local/bin/etcd
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
        on "$h" sh -c 'cat > /etc/default/etcd' <<EOF
ETCD_NAME=etcd-$i
ETCD_DATA_DIR=/var/lib/etcd/data
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
        on "$h" systemctl daemon-reload
done
# Side by side: a member reports ready (Type=notify) only once the cluster has
# a quorum, so a start job alone would wait for the others.
starts=()
for i in 1 2 3; do
        on "host-$i" systemctl start etcd &
        starts+=($!)
done
for p in "${starts[@]}"; do
        wait "$p" || fail "systemctl start etcd failed"
done
etcdctl() {
        on host-1 etcdctl --endpoints "$endpoints" --cacert /etc/etcd/pki/ca.crt \
                --cert /etc/etcd/pki/client.crt --key /etc/etcd/pki/client.key "$@"
}
run etcdctl endpoint health
expect_rc 0 "the external etcd is healthy: $out $err"

real_network "$dir/rest.yml"
cat >>"$dir/rest.yml" <<EOF
etcd:
  endpoints:
    - https://$(paddr 1):2379
    - https://$(paddr 2):2379
    - https://$(paddr 3):2379
  ca_certificate: $pki/ca.crt
  certificate: $pki/apiserver-client.crt
  key: $pki/apiserver-client.key
EOF
cluster cluster 4:master

step "pharos up"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "up on the external etcd"
printf '%s\n' "$out" | tail -3
expect_not_contains "$out$err" "PRIVATE KEY" "no key is printed"

step "the master runs no etcd, its API server uses the three endpoints"
run on host-4 test -e /etc/kubernetes/manifests/etcd.yaml
expect_rc 1 "no etcd static Pod on the master"
man=$(on host-4 cat /etc/kubernetes/manifests/kube-apiserver.yaml)
expect_contains "$man" "--etcd-servers=$endpoints" "the API server uses the three endpoints"
k() { on host-4 kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }
ready=""
for _ in $(seq 90); do
        ready=$(k get node host-4 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
        [[ $ready == True ]] && break
        sleep 2
done
expect_eq "$ready" "True" "the master's Node Ready"
run etcdctl get --prefix --keys-only /registry/minions/
expect_contains "$out" "/registry/minions/host-4" "the Node is stored in the external etcd"

step "a second up changes nothing"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "second up"
expect_contains "$out" "no changes" "nothing to change"

step "reset: the master wiped, the external etcd keeps the objects"
run pharos reset -c "$dir/cluster.yml" -y
expect_rc 0 "reset"
printf '%s\n' "$out" | tail -3
expect_contains "$err" "the external etcd (https://$(paddr 1):2379, ...) still holds this cluster's objects" \
        "reset names the external etcd"
run on host-4 test -e /etc/kubernetes/admin.conf
expect_rc 1 "the master is wiped"
run etcdctl get --prefix --keys-only /registry/minions/
expect_contains "$out" "/registry/minions/host-4" "the objects stay in the external etcd"
step "done"
finish
