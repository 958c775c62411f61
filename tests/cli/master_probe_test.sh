#!/usr/bin/env bash
# `pharos worker up` trusts a master only through the CA its join command pins
# (--discovery-token-ca-cert-hash): against fake masters on loopback, a CA that
# is not pinned, a pinned CA copied by a server that can't prove it holds a
# certificate of it, and no cluster-info are all refused before /version; a
# master with the pinned CA answers, after a while if it starts as an API server
# does (403s, nothing listening). Every case stops before this machine is
# touched (refused, or a bad --address the configuration refuses).
set -euo pipefail
: "${PHAROS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
dir=$(mktemp -d)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT

# ca NAME: a self-signed CA; cert NAME CA: a server certificate for 127.0.0.1 signed by CA.
ca() {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
                -subj "/CN=$1" -keyout "$dir/$1.key" -out "$dir/$1.crt" 2>/dev/null
}
cert() {
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=kube-apiserver \
                -keyout "$dir/$1.key" -out "$dir/$1.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/$1.ext"
        openssl x509 -req -in "$dir/$1.csr" -CA "$dir/$2.crt" -CAkey "$dir/$2.key" -CAcreateserial \
                -days 2 -extfile "$dir/$1.ext" -out "$dir/$1.crt" 2>/dev/null
}
# kubeadm's documented pin: sha256 of the CA's DER SubjectPublicKeyInfo.
pin() {
        echo "sha256:$(openssl x509 -pubkey -noout -in "$dir/$1.crt" |
                openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
}
# master NAME CERT CLUSTER_CA: a fake master; its port in $port, its log $dir/NAME.log.
master() {
        : >"$dir/$1.log"
        "$(dirname "$0")/fake_master.py" "$dir/$2.crt" "$dir/$2.key" "$3" "$dir/$1.port" \
                "$dir/$1.log" &
        pids+=($!)
        for _ in $(seq 100); do [ -s "$dir/$1.port" ] && break; sleep 0.1; done
        port=$(cat "$dir/$1.port")
}
ca cluster
ca mitm
cert apiserver cluster
cert impostor mitm
join="kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash $(pin cluster)"

# the master's CA is another one than the pinned one
master other impostor "$dir/mitm.crt"
run "$PHAROS" worker up "$join" "127.0.0.1:$port" --address "not an address"
expect_rc 1 "a CA that is not pinned is refused"
expect_contains "$err" "127.0.0.1:$port: the cluster CA is not the one the join command pins (--discovery-token-ca-cert-hash $(pin cluster); the master's CA: $(pin mitm))" "names both CAs"
expect_eq "$(cat "$dir/other.log")" "/api/v1/namespaces/kube-public/configmaps/cluster-info" "nothing asked past cluster-info"
[[ "$out$err" != *0123456789abcdef* ]] || fail "the token was printed"

# the cluster's real CA, published by a server whose certificate it did not sign
master copier impostor "$dir/cluster.crt"
run "$PHAROS" worker up "$join" "127.0.0.1:$port" --address "not an address"
expect_rc 1 "a server that can't prove the pinned CA is refused"
expect_contains "$err" "127.0.0.1:$port: SSL peer certificate or SSH remote key was not OK" "TLS refused"
expect_eq "$(cat "$dir/copier.log")" "/api/v1/namespaces/kube-public/configmaps/cluster-info" "no /version from an impostor"

# no cluster-info at all
master bare apiserver -
run "$PHAROS" worker up "$join" "127.0.0.1:$port" --address "not an address"
expect_rc 1 "a master without cluster-info is refused"
expect_contains "$err" "127.0.0.1:$port: /api/v1/namespaces/kube-public/configmaps/cluster-info answered HTTP 404" "says what is missing"

# the pinned CA: the master answers (and the bad --address stops the run there)
master good apiserver "$dir/cluster.crt"
good=$port
run "$PHAROS" worker up "$join" "127.0.0.1:$good" --address "not an address"
expect_contains "$out" "==> master 127.0.0.1:$good answers: Kubernetes 1.37.2" "a pinned master answers"
expect_rc 2 "then the configuration refuses the address"
expect_eq "$(cat "$dir/good.log")" "/api/v1/namespaces/kube-public/configmaps/cluster-info
/version" "cluster-info, then /version"
# a master that starts: 403 to anonymous requests until its RBAC roles exist, and a
# second master given whose port nothing listens on; both are asked again
FAIL_FIRST=3 master starting apiserver "$dir/cluster.crt"
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "$PHAROS" worker up "$join" "127.0.0.1:$closed" "127.0.0.1:$port" --address "not an address"
expect_contains "$err" "no master's API answers yet (127.0.0.1:$closed: Couldn't connect to server; 127.0.0.1:$port: /api/v1/namespaces/kube-public/configmaps/cluster-info answered HTTP 403); asking again in 1 s" "says it waits, and for what"
expect_contains "$err" "asking again in 4 s" "backs off"
expect_contains "$out" "==> master 127.0.0.1:$port answers: Kubernetes 1.37.2" "the started master answers"
expect_eq "$(grep -c cluster-info "$dir/starting.log")" "4" "asked until it answered"
expect_rc 2 "then the configuration refuses the address"

# one pin of several is enough (a CA being rotated)
run "$PHAROS" worker up "$join --discovery-token-ca-cert-hash $(pin mitm)" "127.0.0.1:$(cat "$dir/other.port")" \
        "127.0.0.1:$good" --address "not an address"
expect_contains "$out" "==> master 127.0.0.1:$(cat "$dir/other.port") answers" "either pin"
finish
