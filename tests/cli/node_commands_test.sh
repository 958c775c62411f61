#!/usr/bin/env bash
# The command lines of drain, delete-node and worker up, without a cluster:
# --help, usage errors (exit 2, nothing contacted) and an unreachable master
# (exit 1). The commands' work is tested in tests/integration/lifecycle.
set -euo pipefail
: "${PHAROS:?}"
# shellcheck source=../lib/assert.sh
. "$(dirname "$0")/../lib/assert.sh"
export PHAROS_NO_SYSTEM_PLUGINS=1
unset PHAROS_PLUGIN_PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$_tmp_out" "$_tmp_err"' EXIT
join='kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:0000000000000000000000000000000000000000000000000000000000000000'

run "$PHAROS" drain --help
expect_rc 0 "drain --help"
for opt in --config --timeout --ignore-daemonsets --delete-local-data --force; do
        expect_contains "$out" "$opt" "drain --help lists $opt"
done
run "$PHAROS" drain
expect_rc 2 "drain without NODE"
run "$PHAROS" drain n1 n2
expect_rc 2 "drain with two nodes"
run "$PHAROS" drain n1 --timeout 5parsecs
expect_rc 2 "drain with a bad timeout"
expect_contains "$err" "--timeout needs a duration" "says what a timeout is"
run "$PHAROS" drain n1 -c "$dir/missing.yml"
expect_rc 2 "drain with a missing cluster.yml"

run "$PHAROS" delete-node --help
expect_rc 0 "delete-node --help"
expect_contains "$out" "usage: pharos delete-node NODE" "delete-node usage"
run "$PHAROS" delete-node
expect_rc 2 "delete-node without NODE"
run "$PHAROS" delete-node n1 --bogus
expect_rc 2 "delete-node with an unknown option"

run "$PHAROS" worker up --help
expect_rc 0 "worker up --help"
for opt in --container-runtime --label --taint --insecure-registry --image-repository --env --address \
        --control-plane-proxy; do
        expect_contains "$out" "$opt" "worker up --help lists $opt"
done
run "$PHAROS" worker
expect_rc 2 "worker without up"
run "$PHAROS" worker up "$join"
expect_rc 2 "worker up without a master"
run "$PHAROS" worker up "kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef" 127.0.0.1
expect_rc 2 "worker up with half a join command"
[[ "$out$err" != *0123456789abcdef* ]] || fail "the token was printed"
run "$PHAROS" worker up "$join" 127.0.0.1 --taint dedicated
expect_rc 2 "worker up with a taint without effect"
# Nothing listens on port 1: no master answers (asked once: --master-wait 0).
run "$PHAROS" worker up "$join" 127.0.0.1:1 --master-wait 0
expect_rc 1 "worker up with no master answering"
expect_contains "$err" "no master's API answers: 127.0.0.1:1" "names the master"
expect_not_contains "$err" "asking again" "asked once"
run "$PHAROS" worker up "$join" 127.0.0.1:1 --master-wait soon
expect_rc 2 "--master-wait takes a duration"
expect_contains "$err" "--master-wait 'soon' is not a duration" "says what is wrong"
# A master that refuses is asked again until --master-wait is spent, then given up.
run "$PHAROS" worker up "$join" 127.0.0.1:1 --master-wait 2s
expect_rc 1 "worker up gives up after --master-wait"
expect_contains "$err" "no master's API answers yet (127.0.0.1:1: Couldn't connect to server); asking again in 1 s" "says it waits"
expect_contains "$err" "no master's API answers: 127.0.0.1:1" "then gives up naming the master"
[[ "$out$err" != *0123456789abcdef* ]] || fail "the token was printed"
finish
