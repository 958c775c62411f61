#!/usr/bin/env bash
# `pharos up` with the kubeadm plugin on testbed hosts prepared by hand (the
# OS and runtime plugins' work): MASTERS masters and WORKERS workers on
# Kubernetes VERSION; every Node Ready with its labels and taints, one etcd
# member per master, join secrets never printed, and a second run that
# changes nothing (no mutating host command, no API write); with one master,
# `pharos reset` with its /var/lib/etcd a mount point; with three masters, the
# third one's join failing in etcd: at once when another try cannot pass (the
# next run resets what it left and joins it again), reset and tried again in
# the same run when etcd was only settling, then the workers' node-local API
# proxy: the first master's host killed, a worker's kubelet renews its Lease
# and a new pod runs; the proxies follow the masters of cluster.yml and go
# when api.endpoint names a load balancer.
# Usage: test_kubeadm_up.sh MASTERS WORKERS VERSION
set -euo pipefail
: "${PHAROS:?}" "${PLUGIN:?}" "${TESTBED:?}"
masters=$1 workers=$2 version=$3
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=../../lib/admin_pem.sh
. "$(dirname "$0")/../../lib/admin_pem.sh"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=prepare_by_hand.sh
. "$here/prepare_by_hand.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
# Only this plugin: the hosts are prepared by hand below.
mkdir "$dir/plugins"
cp "$PLUGIN" "$dir/plugins/"
n=$((masters + workers))
"$TESTBED" start --hosts "$n" --masters "$masters" --dir "$dir" >/dev/null
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
on() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- "${@:2}"; }

prepare_by_hand "$dir" "$n" "${version%.*}"

# Labels on the first worker, a taint on the last host, the version pinned,
# CoreDNS at one replica (kubeadm deploys two), Pod Security Admission defaults.
python3 - "$dir/cluster.yml" "$version" <<'PY'
import sys, yaml
path, version = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(path))
workers = [h for h in doc["hosts"] if h["role"] == "worker"]
workers[0]["labels"] = {"tier": "web", "example.com/zone": "a-1"}
doc["hosts"][-1]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
doc["kubernetes"] = {"version": version}
doc["api"] = {"sans": ["api.example.com"]}
doc["network"] = {"dns_replicas": 1}
doc["pod_security"] = {"enforce": "baseline"}
yaml.safe_dump(doc, open(path, "w"))
PY
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$dir/cluster.yml" "$@"; }

# The first master keeps etcd's data on a file system of its own (kubeadm's
# docs advise a disk for it), which no reset may try to remove.
on 1 sh -c 'mkdir -p /var/lib/etcd && mount -t tmpfs -o mode=0700 etcd-disk /var/lib/etcd'

# The last host looks like an interrupted join: the run must reset and repair it.
on "$n" sh -c 'mkdir -p /etc/kubernetes/pki && echo partial >/etc/kubernetes/pki/ca.crt &&
        echo partial >/etc/kubernetes/bootstrap-kubelet.conf'
# The first master looks like a kubeadm init that failed after writing its
# kubeconfigs but before etcd ever ran (seen with the real kubelet refusing to
# start): admin.conf without etcd data is no control plane to keep.
on 1 sh -c 'mkdir -p /etc/kubernetes/pki && echo partial >/etc/kubernetes/pki/ca.crt &&
        echo partial >/etc/kubernetes/admin.conf'

up --plan
expect_rc 0 "plan on fresh hosts"
expect_contains "$out" "kubeadm.init" "plan shows init"
expect_contains "$out" "no /etc/kubernetes/admin.conf" "plan says why"
run on 1 cat /etc/kubernetes/admin.conf
expect_eq "$out" "partial" "plan initialised nothing"

# kubeadm_runs I CMD: the `kubeadm CMD` runs on host-I the emulators' journal recorded.
kubeadm_runs() {
        on "$1" cat /var/log/pharos-testbed/journal.jsonl |
                jq -s --arg c "$2" '[.[] | select(.tool == "kubeadm" and .argv[1] == $c)] | length'
}
# fault_join I KIND: host-I's next control-plane join fails as KIND (emulators' README).
fault_join() {
        local f
        f=$(jq -r --arg n "host-$1" '.hosts[] | select(.name == $n) | .root' "$dir/hosts.json")
        f=$f/var/lib/pharos-testbed/kubeadm-fault.json
        printf '{"join": "%s", "count": 1}\n' "$2" >"$f.tmp"
        mv "$f.tmp" "$f"
}
# A master whose etcd still holds another learner fails its join at once:
# that learner stays, so another try cannot pass.
pre_out="" pre_err=""
if ((masters > 2)); then
        fault_join 3 etcd-too-many-learners
        up
        pre_out=$out pre_err=$err
        ((rc != 0)) || fail "a join that cannot pass fails the run"
        expect_contains "$out$err" "etcdserver: too many learner members in cluster" "kubeadm's error shown"
        expect_not_contains "$out$err" "failed (transient)" "no retry"
        expect_eq "$(kubeadm_runs 3 join)" "1" "host-3 joined once"
        # kubeadm before 1.33 bootstraps the kubelet in kubelet-start, before
        # the etcd phase: the failed join left kubelet.conf, and the next run
        # must not take host-3 for a joined master.
        run on 3 test -e /etc/kubernetes/kubelet.conf
        expect_rc 0 "the failed join left kubelet.conf"
        up --plan
        expect_rc 0 "plan after the failed join"
        expect_contains "$out" "a control-plane join did not finish: reset, then joined again" \
                "plan takes host-3 for a master to join again"
        # etcd refuses the next join's member add until the newest member has
        # been connected a while: the join is reset and tried again.
        fault_join 3 etcd-unhealthy
        joins_before=$(kubeadm_runs 3 join) resets_before=$(kubeadm_runs 3 reset)
fi

up
expect_rc 0 "first up"
first_out=$out first_err=$err
expect_contains "$pre_out$out" "kubeadm init" "init ran"
if ((masters > 2)); then
        expect_contains "$out$err" "etcdserver: unhealthy cluster (not ready yet: reset for another try)" \
                "the transient join error shown"
        expect_contains "$out$err" "kubeadm.join-masters: attempt 1 failed (transient)" "the join retried"
        expect_eq "$(($(kubeadm_runs 3 join) - joins_before))" "2" "host-3 joined twice in the run"
        expect_eq "$(($(kubeadm_runs 3 reset) - resets_before))" "2" \
                "the failed join's leftovers reset, then the settling join's before the retry"
fi
run on "$n" cat /etc/kubernetes/bootstrap-kubelet.conf
expect_rc 1 "the interrupted join's leftovers were reset"
run on 1 cat /etc/kubernetes/admin.conf
expect_contains "$out" "client-key-data" "the failed init's admin.conf replaced by a new init's"

# The API as the admin, straight to the first master (the test's own view).
on 1 cat /etc/kubernetes/admin.conf >"$dir/admin.conf"
admin_pem "$dir/admin.conf" "$dir/admin.pem"
api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 0):6443$1"; }
nodes=$(api /api/v1/nodes)
expect_eq "$(jq '.items | length' <<<"$nodes")" "$n" "every host is a Node"
expect_eq "$(jq '[.items[] | select(.status.conditions[] | .type == "Ready" and .status == "True")] | length' <<<"$nodes")" \
        "$n" "every Node Ready"
for ((i = 1; i <= n; i++)); do
        a=$(addr $((i - 1)))
        role=master
        ((i > masters)) && role=worker
        labels=$(jq -c ".items[] | select(.metadata.name == \"host-$i\") | .metadata.labels" <<<"$nodes")
        expect_eq "$(jq -r ".\"node-role.kubernetes.io/$role\"" <<<"$labels")" "" "host-$i role label"
        expect_eq "$(jq -r '."node-address.kontena.io/external-ip"' <<<"$labels")" "$a" "host-$i external-ip"
        expect_eq "$(jq -r '."node-address.kontena.io/internal-ip"' <<<"$labels")" "$a" "host-$i internal-ip"
done
w=$((masters + 1))
expect_eq "$(jq -r ".items[] | select(.metadata.name == \"host-$w\") | .metadata.labels.tier + \" \" + .metadata.labels.\"example.com/zone\"" <<<"$nodes")" \
        "web a-1" "cluster.yml labels on host-$w"
# The node lifecycle controller's own taints (node.kubernetes.io/not-ready until
# the Node is Ready) come and go: only cluster.yml's are compared.
expect_eq "$(jq -c ".items[] | select(.metadata.name == \"host-$n\") | [.spec.taints[] | select(.key | startswith(\"node.kubernetes.io/\") | not) | [.key, .value, .effect]]" <<<"$nodes")" \
        '[["dedicated","db","NoSchedule"]]' "cluster.yml taints on host-$n"

expect_eq "$(api /apis/apps/v1/namespaces/kube-system/deployments/coredns | jq .spec.replicas)" "1" \
        "CoreDNS scaled to network.dns_replicas"
# The API server's flag names the admission configuration pharos wrote.
admission_file() {
        on "$1" sed -n 's/.*--admission-control-config-file=\([^" ]*\).*/\1/p' \
                /etc/kubernetes/manifests/kube-apiserver.yaml
}
admission=$(admission_file 1)
expect_contains "$admission" "/etc/kubernetes/pharos/admission-" "API server flag names the admission file"
expect_eq "$(on 1 stat -c %a "$admission")" "644" "admission configuration mode"
expect_eq "$(on 1 cat "$admission" | python3 -c 'import sys, yaml; c = yaml.safe_load(sys.stdin)["plugins"][0]["configuration"]; print(c["kind"], c["defaults"]["enforce"], c["exemptions"]["namespaces"])')" \
        "PodSecurityConfiguration baseline ['kube-system']" "the PodSecurity defaults from cluster.yml"

pki=/etc/kubernetes/pki/etcd
members=$(on 1 curl -fsS --cacert "$pki/ca.crt" --cert "$pki/healthcheck-client.crt" \
        --key "$pki/healthcheck-client.key" -X POST -d '{}' "https://$(addr 0):2379/v3/cluster/member/list")
expect_eq "$(jq -r '[.members[] | .peerURLs[]] | sort | join(" ")' <<<"$members")" \
        "$(for ((i = 0; i < masters; i++)); do echo "https://$(addr "$i"):2380"; done | sort | paste -sd ' ')" \
        "one etcd member per master, no other"

# Secrets: the API server encrypts with the key pharos wrote; no bootstrap
# token, certificate key or encryption key shows in pharos' output.
key=$(on 1 sed -n 's/.*secret: "\(.*\)"/\1/p' /etc/kubernetes/pharos/encryption.yaml)
expect_eq "$(on 1 stat -c %a /etc/kubernetes/pharos/encryption.yaml)" "600" "encryption config mode"
expect_eq "$(on 1 stat -c %a /etc/kubernetes/pharos/kubeadm.yaml)" "600" "kubeadm config mode"
for ((i = 1; i <= masters; i++)); do
        expect_eq "$(on "$i" sed -n 's/.*secret: "\(.*\)"/\1/p' /etc/kubernetes/pharos/encryption.yaml)" "$key" \
                "host-$i has the cluster's encryption key"
done
tokens=$(api "/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken" |
        jq -r '.items[].data | (."token-id" | @base64d) + "." + (."token-secret" | @base64d)')
leaks=0
for s in $tokens $key; do
        [[ "$pre_out$pre_err$first_out$first_err" == *"${s#*.}"* ]] && leaks=$((leaks + 1))
done
expect_eq "$leaks" "0" "no secret in the output"
run on "$w" test -e /etc/kubernetes/pharos/join.yaml
expect_rc 1 "join configuration removed after the join"
# kubeadm refuses --certificate-key next to --config: the key went in a file, removed after use,
# and never on a command line (the emulators' journal records every kubeadm argv).
run on 1 test -e /etc/kubernetes/pharos/kubeadm-keyed.yaml
expect_rc 1 "keyed kubeadm configuration removed after init"
argvs=$(for ((i = 1; i <= n; i++)); do
        on "$i" cat /var/log/pharos-testbed/journal.jsonl | jq -c 'select(.tool == "kubeadm") | .argv'
done)
expect_not_contains "$argvs" '"--certificate-key' "no certificate key on a kubeadm command line"
expect_contains "$argvs" '["kubeadm","init","--upload-certs","--skip-token-print","--skip-certificate-key-print","--config","/etc/kubernetes/pharos/kubeadm-keyed.yaml"]' \
        "init reads the key from the file"
# What pharos writes is what kubeadm's own strict check accepts.
run on 1 kubeadm config validate --config /etc/kubernetes/pharos/kubeadm.yaml
expect_rc 0 "kubeadm config validate accepts kubeadm.yaml"

# cgroup v1 hosts (the hosts have this machine's /sys/fs/cgroup): from 1.35 on the kubelet
# is told to run there and kubeadm to skip SystemVerification, and the user is told once.
kubelet_cfg=$(on 1 cat /var/lib/kubelet/config.yaml)
if [[ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]]; then
        expect_eq "$(grep -c 'cgroup v1 on' <<<"$first_out$first_err")" "1" "one cgroup v1 warning"
        if [[ "$(printf '%s\n' "$version" 1.35.0 | sort -V | head -1)" == 1.35.0 ]]; then
                expect_contains "$kubelet_cfg" "failCgroupV1: false" "the kubelet may run on cgroup v1"
                expect_contains "$(on 1 cat /etc/kubernetes/pharos/kubeadm.yaml)" \
                        "ignorePreflightErrors:
  - SystemVerification" "kubeadm skips SystemVerification"
        else
                expect_not_contains "$kubelet_cfg" "failCgroupV1" "nothing to allow before 1.35"
        fi
else
        expect_not_contains "$first_out$first_err" "cgroup v1" "no cgroup v1 warning on cgroup v2"
        expect_not_contains "$kubelet_cfg" "failCgroupV1" "nothing to allow on cgroup v2"
fi

journal_changes() {
        local total=0 c
        for ((i = 1; i <= n; i++)); do
                c=$(on "$i" cat /var/log/pharos-testbed/journal.jsonl | jq -s '[.[] | select(.changed)] | length')
                total=$((total + c))
        done
        echo "$total"
}
# Writes the admin (pharos, through admin.conf) made, from the API servers' audit
# logs, but for the run's own lock (the Lease kube-system/pharos-lock every run takes).
api_writes() {
        local total=0 c
        for ((i = 1; i <= masters; i++)); do
                c=$(on "$i" cat /var/log/pharos-testbed/api-audit.jsonl |
                        jq -s '[.[] | select(.user == "kubernetes-admin") |
                                select(.path | test("^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases(/pharos-lock)?([?]|$)") | not)] | length')
                total=$((total + c))
        done
        echo "$total"
}
before=$(journal_changes)
writes=$(api_writes)
((writes > 0)) || fail "the audit log shows the first run's API writes"
up --output json
expect_rc 0 "second up"
expect_eq "$(jq -r 'select(.phase == "up") | .detail' <<<"$out")" "no changes" "second up says no changes"
expect_eq "$(jq -r 'select(.status == "changed") | .step' <<<"$out")" "" "no step changed"
expect_eq "$(journal_changes)" "$before" "no mutating command on any host"
expect_eq "$(api_writes)" "$writes" "no mutating API request"

# A label edited by hand is put back, and only that Node is written.
api /api/v1/nodes/host-1 >/dev/null
curl -fsSk --cert "$dir/admin.pem" -X PATCH -H 'Content-Type: application/merge-patch+json' \
        -d '{"metadata":{"labels":{"node-address.kontena.io/external-ip":"10.0.0.1"}}}' \
        "https://$(addr 0):6443/api/v1/nodes/host-1" >/dev/null
up
expect_rc 0 "repair up"
expect_contains "$out" "labels and taints of Node host-1" "label repaired"
expect_contains "$out" "1 change" "only that change"
expect_eq "$(api /api/v1/nodes/host-1 | jq -r '.metadata.labels."node-address.kontena.io/external-ip"')" "$(addr 0)" \
        "external-ip back"

# Labels and taints dropped from cluster.yml leave the Node; others' stay.
curl -fsSk --cert "$dir/admin.pem" -X PATCH -H 'Content-Type: application/merge-patch+json' \
        -d '{"metadata":{"labels":{"other.example.com/keep":"yes"}}}' \
        "https://$(addr 0):6443/api/v1/nodes/host-$w" >/dev/null
taints=$(api "/api/v1/nodes/host-$n" | jq -c '.spec.taints + [{"key":"other","value":"x","effect":"NoExecute"}]')
curl -fsSk --cert "$dir/admin.pem" -X PATCH -H 'Content-Type: application/merge-patch+json' \
        -d "{\"spec\":{\"taints\":$taints}}" "https://$(addr 0):6443/api/v1/nodes/host-$n" >/dev/null
python3 - "$dir/cluster.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
workers = [h for h in doc["hosts"] if h["role"] == "worker"]
del workers[0]["labels"]["tier"]
del doc["hosts"][-1]["taints"]
yaml.safe_dump(doc, open(path, "w"))
PY
up
expect_rc 0 "up without a label and a taint"
node=$(api "/api/v1/nodes/host-$w")
expect_eq "$(jq -r '.metadata.labels.tier // "gone"' <<<"$node")" "gone" "dropped label removed"
expect_eq "$(jq -r '.metadata.labels."example.com/zone"' <<<"$node")" "a-1" "kept label stays"
expect_eq "$(jq -r '.metadata.labels."other.example.com/keep"' <<<"$node")" "yes" "someone else's label untouched"
expect_eq "$(api "/api/v1/nodes/host-$n" | jq -c '[.spec.taints[] | select(.key != "node-role.kubernetes.io/control-plane") | [.key, .value, .effect]]')" \
        '[["other","x","NoExecute"]]' "dropped taint removed, someone else's kept"
up
expect_rc 0 "up after removing"
expect_contains "$out" "no changes" "removal done once"

# A new SAN alone: each master's API server serves the new certificate without
# a restart (kube-apiserver reloads its serving certificate files).
apiserver_pid() { on "$1" pgrep -o -f pharos-testbed-apiserver; }
declare -A pid_before
for ((i = 1; i <= masters; i++)); do pid_before[$i]=$(apiserver_pid "$i"); done
python3 - "$dir/cluster.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
doc["api"]["sans"].append("api3.example.com")
yaml.safe_dump(doc, open(path, "w"))
PY
up
expect_rc 0 "up with a new SAN"
expect_contains "$out" "applied the changed kubeadm configuration: API server certificate, kubeadm-config" \
        "the certificate renewed"
on 1 cat /etc/kubernetes/pki/ca.crt >"$dir/cluster-ca.crt"
for ((i = 1; i <= masters; i++)); do
        run curl -sS -o /dev/null --cacert "$dir/cluster-ca.crt" \
                --resolve "api3.example.com:6443:$(addr $((i - 1)))" https://api3.example.com:6443/readyz
        expect_rc 0 "host-$i's API server serves a certificate naming the new SAN"
        expect_eq "$(apiserver_pid "$i")" "${pid_before[$i]}" "host-$i's API server not restarted for it"
done

# A changed api.sans and API server flag reach the running control plane:
# new certificate, new manifest, API server restarted, config stored.
python3 - "$dir/cluster.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
doc["api"]["sans"].append("api2.example.com")
doc["admission_plugins"] = [{"name": "PodNodeSelector", "enabled": True}]
doc["kubelet"] = {"read_only_port": True}
doc["pod_security"]["enforce"] = "restricted"
yaml.safe_dump(doc, open(path, "w"))
PY
up
expect_rc 0 "up with a changed kubeadm configuration"
for ((i = 1; i <= masters; i++)); do
        a=$(admission_file "$i")
        [[ -n $a && $a != "$admission" ]] || fail "host-$i API server flag names the new admission file ($a)"
        expect_contains "$(on "$i" cat "$a")" 'enforce: "restricted"' "host-$i has the changed PodSecurity level"
        expect_eq "$(on "$i" find /etc/kubernetes/pharos -name 'admission-*.yaml')" "$a" \
                "host-$i keeps only the admission file in use"
done
expect_contains "$out" "applied the changed kubeadm configuration: API server certificate, API server, kubeadm-config, kubelet-config" \
        "reconfigured"
for ((i = 1; i <= n; i++)); do
        expect_contains "$(on "$i" cat /var/lib/kubelet/config.yaml)" "readOnlyPort: 10255" \
                "host-$i kubelet has the new configuration"
done
for ((i = 1; i <= masters; i++)); do
        expect_contains "$(on "$i" openssl x509 -noout -ext subjectAltName -in /etc/kubernetes/pki/apiserver.crt)" \
                "DNS:api2.example.com" "host-$i certificate has the new SAN"
        expect_contains "$(on "$i" cat /etc/kubernetes/manifests/kube-apiserver.yaml)" \
                "PodNodeSelector" "host-$i API server manifest has the new flag"
        expect_contains "$(openssl s_client -connect "$(addr $((i - 1))):6443" </dev/null 2>/dev/null |
                openssl x509 -noout -ext subjectAltName)" "DNS:api2.example.com" "host-$i serves the new certificate"
done
expect_contains "$(api /api/v1/namespaces/kube-system/configmaps/kubeadm-config | jq -r .data.ClusterConfiguration)" \
        "api2.example.com" "ClusterConfiguration uploaded"
writes=$(api_writes)
up
expect_rc 0 "up after the change"
expect_contains "$out" "no changes" "the change is applied once"
expect_eq "$(api_writes)" "$writes" "no mutating API request after the change"

# Another master with a different encryption key is never overwritten.
if ((masters > 1)); then
        other=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
        on 2 sed -i "s|secret: \".*\"|secret: \"$other\"|" /etc/kubernetes/pharos/encryption.yaml
        up
        expect_rc 1 "a master with another key"
        expect_contains "$err" "holds another secrets encryption key" "refusal explained"
        expect_eq "$(on 2 sed -n 's/.*secret: "\(.*\)"/\1/p' /etc/kubernetes/pharos/encryption.yaml)" "$other" \
                "host-2 key untouched"
        [[ "$out$err" != *"$key"* && "$out$err" != *"$other"* ]] || fail "a key in the output"
fi

# The node-local API proxy (more than two masters, so that etcd keeps its
# quorum without the first one): every worker's kubelet reaches all masters
# through 127.0.0.1:6443, and the first master's host dying cuts no worker off.
if ((masters > 2)); then
        on 2 sed -i "s|secret: \".*\"|secret: \"$key\"|" /etc/kubernetes/pharos/encryption.yaml
        kubelet_server() { on "$1" sed -n 's/^ *server: //p' /etc/kubernetes/kubelet.conf; }
        proxied() { on "$1" sh -c 'grep "^	server " /etc/kubernetes/pharos/api-proxy.cfg | cut -f3 -d" " | paste -sd" "'; }
        map_server() { jq -r ".data[\"$2\"]" <<<"$1" | sed -n 's/^ *server: //p'; }
        all=$(for ((i = 0; i < masters; i++)); do printf '%s:6443 ' "$(addr "$i")"; done)
        for ((i = w; i <= n; i++)); do
                expect_eq "$(kubelet_server "$i")" "https://127.0.0.1:6443" "host-$i's kubelet on its API proxy"
                expect_eq "$(proxied "$i") " "$all" "host-$i's API proxy reaches every master"
                expect_eq "$(api "/api/v1/namespaces/kube-system/pods/pharos-api-proxy-host-$i" | jq -r .status.phase)" \
                        Running "host-$i's API proxy pod"
        done
        for ((i = 1; i <= masters; i++)); do
                run on "$i" test -e /etc/kubernetes/manifests/pharos-api-proxy.yaml
                expect_rc 1 "no API proxy on master host-$i"
        done
        expect_contains "$(on 1 openssl x509 -noout -ext subjectAltName -in /etc/kubernetes/pki/apiserver.crt)" \
                "IP Address:127.0.0.1" "the API server certificate names 127.0.0.1"
        expect_eq "$(map_server "$(api /api/v1/namespaces/kube-system/configmaps/kube-proxy)" kubeconfig.conf)" \
                "https://127.0.0.1:6443" "kube-proxy reaches the API through 127.0.0.1"
        expect_eq "$(map_server "$(api /api/v1/namespaces/kube-public/configmaps/cluster-info)" kubeconfig)" \
                "https://$(addr 0):6443" "joining nodes still discover the first master"

        # The first master's host dies (every process but its init); nobody runs pharos.
        init=$(jq -r '.hosts[0].pid' "$dir/hosts.json")
        ps -e -o pid=,pidns= | awk -v i="$init" '{ ns[$1] = $2 } END { for (p in ns) if (p != i && ns[p] == ns[i]) print p }' |
                xargs -r kill -KILL
        killed=$(date +%s)
        api() { curl -fsSk --cert "$dir/admin.pem" "https://$(addr 1):6443$1"; }
        renewed=0
        for _ in $(seq 90); do
                renewed=$(date -d "$(api "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/host-$w" |
                        jq -r .spec.renewTime)" +%s 2>/dev/null || echo 0)
                ((renewed > killed + 10)) && break
                sleep 1
        done
        checks=$((checks + 1))
        ((renewed > killed + 10)) || fail "host-$w's kubelet renewed no Lease since host-1 died"
        pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"after-host-1","namespace":"default"},
              "spec":{"containers":[{"name":"c","image":"docker.io/library/busybox:1.36"}]}}'
        curl -fsSk --cert "$dir/admin.pem" -X POST -H 'Content-Type: application/json' -d "$pod" \
                "https://$(addr 1):6443/api/v1/namespaces/default/pods" >/dev/null
        placed=""
        for _ in $(seq 90); do
                placed=$(api /api/v1/namespaces/default/pods/after-host-1 | jq -r '.spec.nodeName + " " + .status.phase')
                [[ $placed == *" Running" ]] && break
                sleep 1
        done
        expect_contains "$placed" " Running" "a new pod scheduled and run on a worker without host-1"

        # host-1 dropped from cluster.yml: the proxies follow the masters.
        python3 - "$dir/cluster.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
doc["hosts"] = doc["hosts"][1:]
yaml.safe_dump(doc, open(path, "w"))
PY
        up
        expect_rc 0 "up without the dead first master"
        all=$(for ((i = 1; i < masters; i++)); do printf '%s:6443 ' "$(addr "$i")"; done)
        for ((i = w; i <= n; i++)); do
                expect_eq "$(proxied "$i") " "$all" "host-$i's API proxy reaches the masters left"
                expect_eq "$(kubelet_server "$i")" "https://127.0.0.1:6443" "host-$i's kubelet still on its proxy"
        done
        up
        expect_rc 0 "up again"
        expect_contains "$out" "no changes" "the proxies are settled"

        # A load balancer of the user's (here one master's address): the proxies go.
        python3 - "$dir/cluster.yml" "$(addr 1)" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
doc["api"]["endpoint"] = sys.argv[2]
yaml.safe_dump(doc, open(path, "w"))
PY
        up
        expect_rc 0 "up with api.endpoint"
        for ((i = w; i <= n; i++)); do
                expect_eq "$(kubelet_server "$i")" "https://$(addr 1):6443" "host-$i's kubelet on api.endpoint"
                expect_eq "$(on "$i" sh -c 'ls /etc/kubernetes/manifests/pharos-api-proxy.yaml \
                        /etc/kubernetes/pharos/api-proxy.cfg 2>/dev/null || true')" "" "host-$i's API proxy removed"
        done
        expect_eq "$(map_server "$(api /api/v1/namespaces/kube-system/configmaps/kube-proxy)" kubeconfig.conf)" \
                "https://$(addr 1):6443" "kube-proxy on api.endpoint"
        up
        expect_rc 0 "up after the proxies went"
        expect_contains "$out" "no changes" "their removal is done once"
fi

# The reset with one master only: the three-master run is the longer one
# (and integration.lifecycle.seed_walk resets several masters).
if ((masters == 1)); then
        run "$PHAROS" --plugin-path "$dir/plugins" reset -c "$dir/cluster.yml" -y
        expect_rc 0 "full reset"
        expect_eq "$(on 1 sh -c 'mountpoint -q /var/lib/etcd && echo mounted; ls -A /var/lib/etcd')" mounted \
                "etcd's mount point kept, empty"
        for ((i = 1; i <= n; i++)); do
                expect_eq "$(on "$i" sh -c 'ls -d /etc/kubernetes /var/lib/kubelet 2>/dev/null || true')" "" \
                        "host-$i: no kubeadm files after reset"
        done
fi
finish
