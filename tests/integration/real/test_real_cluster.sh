#!/usr/bin/env bash
# pharos up against the real programs (tests/testbed/real): 1 master + 1
# worker booted with systemd (the hosts alternate Debian 12 and 13: the
# worker and the fourth host run Debian 13), real apt from Debian's archive and the
# mirror's pkgs.k8s.io / download.docker.com, real kubeadm, kubelet,
# containerd, etcd, control plane, CoreDNS, kube-proxy and flannel
# (network-custom). Then: Nodes Ready; a Deployment's pod Running on the
# worker; its Service reached by DNS name from a pod on the master; kubectl
# logs and exec; a second up changes nothing (no mutating API request in the
# real kube-apiserver's audit log, no file, package or service changed on the
# hosts). Then the seed's lifecycle, on the same cluster: two masters
# added (3 real etcd members); `pharos etcd backup`, judged by the real
# etcdutl, then `pharos etcd restore` onto the three masters (the object
# deleted after the backup back, the one made after it gone, the members and
# Nodes as before, then "no changes"); refusals (back to one master, half of the members: nothing
# changed); the worker's node-local API proxy (the real HAProxy in front of
# the three masters); the first master killed (the worker renews its Lease
# through the proxy, so its Node stays Ready, and a new pod runs there), then
# dropped from cluster.yml (its member removed, the control-plane endpoint
# moves, the proxy follows, the printed `kubectl delete node`, then "no
# changes"); a host joined with `pharos worker up` run on itself with the
# join command from `pharos exec`; the worker dropped from cluster.yml, then
# `pharos drain` (the real eviction moves the web pod) and `pharos
# delete-node`; a reset refusal, then the full `pharos reset`: no kube
# package, file, unit or container left on the hosts.
set -euo pipefail
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=real_test.sh
. "$(dirname "$0")/real_test.sh"
# The master kubectl runs on: the first one until it is killed.
M=host-1
# KSERVER: that master's own API server, once admin.conf's (the endpoint) may be gone.
KSERVER=""
k() { on "$M" kubectl --kubeconfig /etc/kubernetes/admin.conf ${KSERVER:+--server "$KSERVER"} "$@"; }

step "testbed start --tier real (builds what is not cached)"
"$TESTBED" start --tier real --hosts 5 --masters 1 --os debian-12,debian-13 --dir "$dir/tb"
# pharos runs on host-5 for `pharos worker up`: its libraries come from
# Debian's archive, as a package's dependencies would, while the first up runs
# (with ThreadSanitizer's runtime when pharos is the tsan preset's: make tsan).
libs="libcurl4 libcyaml1 libyajl2"
[[ $(ldd "$PHAROS") != *libtsan.so* ]] || libs+=" libtsan2"
on host-5 sh -c "apt-get update -q && apt-get install -y -q $libs" >"$dir/host-5-apt.log" 2>&1 &
apt5=$!
real_network "$dir/rest.yml"
cluster cluster 1:master 2:worker

step "pharos up"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "first up"
printf '%s\n' "$out" | tail -5

step "Nodes Ready"
ready=""
for _ in $(seq 90); do
        ready=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}' 2>/dev/null || true)
        [[ $ready == "host-1=True host-2=True " ]] && break
        sleep 2
done
expect_eq "$ready" "host-1=True host-2=True " "Nodes Ready"
expect_eq "$(k get node host-2 -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')" \
        "v1.37.2 containerd://2.4.2" "the worker's kubelet and runtime"
expect_eq "$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}: {.status.nodeInfo.osImage}; {end}')" \
        "host-1: Debian GNU/Linux 12 (bookworm); host-2: Debian GNU/Linux 13 (trixie); " \
        "a Debian 12 master, a Debian 13 worker"

step "a Deployment on the worker, its Service from a pod on the master"
# busybox's httpd logs nothing to stdout: the line before it is what
# kubectl logs must show.
k create deployment web --image=docker.io/library/busybox:1.36 -- \
        sh -c 'echo "web: serving /etc on 8080"; exec busybox httpd -f -p 8080 -h /etc' >/dev/null
k expose deployment web --port 80 --target-port 8080 >/dev/null
run k rollout status deployment/web --timeout=180s
expect_rc 0 "web rolled out"
web=$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
expect_eq "$(k get pod "$web" -o jsonpath='{.spec.nodeName} {.status.phase}')" "host-2 Running" "web runs on the worker"
k run client --image=docker.io/library/busybox:1.36 --restart=Never \
        --overrides='{"spec":{"nodeName":"host-1","tolerations":[{"operator":"Exists"}]}}' -- sleep 3600 >/dev/null
run k wait --for=condition=Ready pod/client --timeout=120s
expect_rc 0 "client pod Ready on the master"
# busybox's own resolver (nslookup) asks the cluster DNS Service; wget then
# goes through kube-proxy's Service rules to the pod on the other node.
# (Debian 12's busybox-static wget crashes with its -T: busybox's timeout
# bounds it instead.)
# `up` ends when the control plane and the nodes are; CoreDNS becomes
# available some seconds later (its pods wait for the pod network and for
# their readiness probe), and until kube-proxy has its endpoints the DNS
# Service refuses connections. A user's first lookup waits for that too.
run k -n kube-system rollout status deployment/coredns --timeout=180s
expect_rc 0 "CoreDNS available"
if [[ $rc -ne 0 ]]; then
        k -n kube-system get pods -o wide >&2 || true
        k -n kube-system logs -l k8s-app=kube-dns --tail=20 >&2 || true
fi
svc_ip=$(k get svc web -o jsonpath='{.spec.clusterIP}')
[[ -n $svc_ip ]] || fail "the web Service has no cluster IP"
for _ in $(seq 15); do
        run k exec client -- nslookup web.default.svc.cluster.local
        [[ $out == *"$svc_ip"* ]] && break
        sleep 2
done
expect_contains "$out" "$svc_ip" "DNS name of the Service"
run k exec client -- timeout 20 wget -q -O- http://web.default.svc.cluster.local/hostname
expect_rc 0 "wget through the Service"
expect_eq "$out" "$web" "answered by the pod on the worker"
run k logs "$web"
expect_contains "$out" "web: serving /etc on 8080" "kubectl logs of the pod on the worker"
run k exec "$web" -- hostname
expect_eq "$out" "$web" "kubectl exec in the pod on the worker"

# What a second up must leave alone on each host: files pharos writes, the
# packages, and when each service last started.
footprint() {
        # shellcheck disable=SC2016 # expanded by the host's shell
        on "$1" sh -c 'find /etc/kubernetes /etc/containerd /etc/apt /etc/systemd /etc/sysctl.d \
                        /var/lib/kubelet/config.yaml -type f -print0 2>/dev/null | sort -z |
                        xargs -0 sha256sum; dpkg-query -W; for u in kubelet containerd; do
                        systemctl show -p ActiveEnterTimestampMonotonic "$u"; done'
}
step "a second up changes nothing"
before1=$(footprint host-1)
before2=$(footprint host-2)
audit_lines=$(on host-1 cat /var/log/kubernetes/audit.json | wc -l)
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up reports no changes"
expect_eq "$(footprint host-1)" "$before1" "host-1 unchanged by the second up"
expect_eq "$(footprint host-2)" "$before2" "host-2 unchanged by the second up"
# The admin's (pharos') requests since the second up began: reads only, but
# for the run's own lock (the Lease kube-system/pharos-lock every run takes).
writes=$(on host-1 tail -n +"$((audit_lines + 1))" /var/log/kubernetes/audit.json |
        jq -r 'select(.user.username == "kubernetes-admin") |
                select(.verb | test("^(create|update|patch|delete|deletecollection)$")) |
                select(.requestURI | test("^/apis/coordination.k8s.io/v1/namespaces/kube-system/leases(/pharos-lock)?([?]|$)") | not) |
                "\(.verb) \(.requestURI)"')
reads=$(on host-1 tail -n +"$((audit_lines + 1))" /var/log/kubernetes/audit.json |
        jq -r 'select(.user.username == "kubernetes-admin") | .verb' | wc -l)
expect_eq "$writes" "" "mutating API requests by pharos in the second up"
checks=$((checks + 1))
[[ $reads -gt 0 ]] || fail "the audit log shows no request by pharos at all: the check above would prove nothing"

members() {
        k -n kube-system exec "etcd-$M" -- etcdctl --endpoints https://127.0.0.1:2379 \
                --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                --key /etc/kubernetes/pki/etcd/healthcheck-client.key member list -w json |
                jq -r '[.members[].name] | sort | join(" ")'
}
# wait_ready "host-1=True ..." WHAT: the Nodes and their Ready condition.
wait_ready() {
        local got=""
        for _ in $(seq 90); do
                got=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}' \
                        2>/dev/null || true)
                [[ $got == "$1" ]] && break
                sleep 2
        done
        expect_eq "$got" "$1" "$2"
}
# Waits until host NAME's kubelet renews its Lease after the epoch second T.
lease_after() {
        local renewed=0
        for _ in $(seq 60); do
                renewed=$(date -d "$(k -n kube-node-lease get lease "$1" -o jsonpath='{.spec.renewTime}')" +%s \
                        2>/dev/null || echo 0)
                ((renewed > $2)) && break
                sleep 2
        done
        checks=$((checks + 1))
        ((renewed > $2)) || fail "$1's kubelet did not renew its Lease after the endpoint moved"
}

step "two masters added"
cluster c2 1:master 2:worker 3:master 4:master
apiserver1=$(on host-1 crictl ps --name kube-apiserver -q)
run pharos up -c "$dir/c2.yml"
expect_rc 0 "up: two masters added"
printf '%s\n' "$out" | tail -2
# New SANs alone (the new masters, 127.0.0.1 for the proxy): the real API
# server serves its renewed certificate without a restart.
expect_contains "$out" "applied the changed kubeadm configuration: API server certificate, kubeadm-config" \
        "host-1's certificate renewed"
expect_eq "$(on host-1 crictl ps --name kube-apiserver -q)" "$apiserver1" "host-1's API server not restarted for it"
run on host-1 curl -sS -o /dev/null --cacert /etc/kubernetes/pki/ca.crt https://127.0.0.1:6443/readyz
expect_rc 0 "host-1's API server serves a certificate naming 127.0.0.1"
expect_eq "$(members)" "host-1 host-3 host-4" "three real etcd members"
wait_ready "host-1=True host-2=True host-3=True host-4=True " "four Nodes Ready"
server_of() { on "$1" sed -n 's/^ *server: //p' "$2"; }
# The worker's node-local API proxy: the real HAProxy (its image) in front of
# the three real API servers, whose certificates the kubelet checks for 127.0.0.1.
expect_eq "$(server_of host-2 /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
        "the worker's kubelet on its node-local API proxy"
expect_eq "$(k -n kube-system get pod pharos-api-proxy-host-2 -o jsonpath='{.status.phase} {.spec.containers[0].image}')" \
        "Running docker.io/library/haproxy:2.6" "the proxy's pod on the worker"
expect_eq "$(on host-2 grep -c '^	server ' /etc/kubernetes/pharos/api-proxy.cfg)" "3" "the proxy reaches the three masters"
expect_eq "$(k -n kube-system get configmap kube-proxy -o jsonpath='{.data.kubeconfig\.conf}' |
        sed -n 's/^ *server: //p')" "https://127.0.0.1:6443" "kube-proxy on 127.0.0.1"

step "etcd backup from the real etcd"
k -n default create configmap pharos-restore-probe --from-literal=at=backup >/dev/null
run pharos etcd backup -c "$dir/c2.yml" -o "$dir/etcd.db"
expect_rc 0 "etcd backup"
expect_eq "$(stat -c %a "$dir/etcd.db")" "600" "the snapshot is private"
expect_eq "$(jq -r .sha256 "$dir/etcd.db.json")" "$(sha256sum "$dir/etcd.db" | cut -d' ' -f1)" \
        "its description has its SHA-256"
expect_eq "$(jq -r .etcd_member "$dir/etcd.db.json")" "$(addr 1)" "taken from the first healthy master"
expect_eq "$(jq -r .etcd_version "$dir/etcd.db.json")" \
        "$(. "$src/tests/testbed/real/build/versions.env" && echo "${ETCD_VERSION#v}")" "the real etcd's version"
# The real etcdutl is the judge: restore checks the SHA-256 etcd appended.
etcdutl=$("$src/tests/testbed/real/build/build.sh" --print-dir)/bin/etcdutl
run "$etcdutl" snapshot status "$dir/etcd.db" -w json
expect_rc 0 "etcdutl snapshot status reads it"
checks=$((checks + 1))
[[ $(jq -r .totalKey <<<"$out") -gt 0 ]] || fail "the snapshot holds no key"
run "$etcdutl" snapshot restore "$dir/etcd.db" --data-dir "$dir/etcd-restored"
expect_rc 0 "etcdutl snapshot restore takes it"

step "etcd restore onto the three real masters"
k -n default delete configmap pharos-restore-probe >/dev/null
k -n default create configmap pharos-after-backup --from-literal=at=later >/dev/null
run pharos etcd restore -c "$dir/c2.yml" --yes "$dir/etcd.db"
expect_rc 0 "etcd restore"
printf '%s\n%s\n' "$out" "$err" | grep -E '^(restored|error)' || true
got=""
for _ in $(seq 60); do
        got=$(k -n default get configmap pharos-restore-probe -o jsonpath='{.data.at}' 2>/dev/null || true)
        [[ -n $got ]] && break
        sleep 2
done
expect_eq "$got" "backup" "the object deleted after the backup is back"
checks=$((checks + 1))
k -n default get configmap pharos-after-backup >/dev/null 2>&1 &&
        fail "the object made after the backup survived the restore"
expect_eq "$(members)" "host-1 host-3 host-4" "three members after the restore"
wait_ready "host-1=True host-2=True host-3=True host-4=True " "four Nodes Ready after the restore"
for i in 1 3 4; do
        checks=$((checks + 1))
        on "host-$i" sh -c 'ls -d /var/lib/etcd/member.pre-restore-*' >/dev/null 2>&1 ||
                fail "host-$i kept no member.pre-restore-* copy of its old data"
done
run pharos up -c "$dir/c2.yml"
expect_rc 0 "up after the restore"
expect_contains "$out" "no changes" "up after the restore has nothing to do"

step "refusals change nothing"
for i in 1 2 3 4; do footprint "host-$i" >"$dir/before-$i"; done
cluster one 1:master 2:worker
run pharos up -c "$dir/one.yml"
expect_rc 2 "back to one master"
expect_contains "$err" "leaves one master, but etcd has 3 members" "back to one explained"
cluster half 1:master 2:worker 5:master
run pharos up -c "$dir/half.yml"
expect_rc 2 "half of the members"
expect_contains "$err" "would remove 2 of the 3 etcd members" "majority explained"
for i in 1 2 3 4; do
        expect_eq "$(footprint "host-$i")" "$(cat "$dir/before-$i")" "host-$i unchanged by the refusals"
done
expect_eq "$(members)" "host-1 host-3 host-4" "three members still"

step "the first master killed: the worker carries on through its proxy"
kill -9 "$(jq -r '.hosts[0].pid' "$dir/tb/hosts.json")"
killed=$(date +%s)
M=host-3 KSERVER=https://$(paddr 3):6443
lease_after host-2 "$((killed + 10))"
k run after-host-1 --image=docker.io/library/busybox:1.36 --restart=Never \
        --overrides='{"spec":{"nodeSelector":{"kubernetes.io/hostname":"host-2"}}}' -- sleep 3600 >/dev/null
run k wait --for=condition=Ready pod/after-host-1 --timeout=120s
expect_rc 0 "a new pod scheduled and run on the worker without host-1"
expect_eq "$(k get node host-2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" "True" \
        "the worker still Ready"
k delete pod after-host-1 --wait=false >/dev/null

step "the first master dropped from cluster.yml"
cluster c3 2:worker 3:master 4:master
run pharos up -c "$dir/c3.yml"
expect_rc 0 "up: the killed first master removed"
moved=$(date +%s)
printf '%s\n' "$out" | tail -2
expect_eq "$(members)" "host-3 host-4" "two etcd members left"
expect_contains "$err" "2 masters" "quorum warning"
expect_contains "$out" "removed etcd member host-1" "removal reported"
expect_contains "$out$err" "kubectl delete node host-1" "the command still to run"
expect_eq "$(server_of host-2 /etc/kubernetes/kubelet.conf)" "https://127.0.0.1:6443" \
        "the worker's kubelet stays on its proxy"
expect_eq "$(on host-2 grep -c '^	server ' /etc/kubernetes/pharos/api-proxy.cfg)" "2" \
        "the proxy reaches the two masters left"
expect_eq "$(k -n kube-public get configmap cluster-info -o jsonpath='{.data.kubeconfig}' |
        sed -n 's/^ *server: //p')" "https://$(paddr 3):6443" "cluster-info names the new endpoint"
lease_after host-2 "$moved"
run k delete node host-1
expect_rc 0 "the printed command deletes the Node"
wait_ready "host-2=True host-3=True host-4=True " "three Nodes Ready"
run pharos up -c "$dir/c3.yml"
expect_rc 0 "up again"
expect_contains "$out" "no changes" "the moved endpoint is settled"

step "host-5 joined with pharos worker up, run on itself"
wait "$apt5" || fail "pharos' libraries on host-5: $(tail -5 "$dir/host-5-apt.log")"
root5=$(jq -r '.hosts[4].root' "$dir/tb/hosts.json")
mkdir -p "$root5/opt/pharos/plugins"
cp "$PHAROS" "$root5/opt/pharos/pharos"
cp "$PLUGINS"/*.so "$root5/opt/pharos/plugins/"
run pharos exec -c "$dir/c3.yml" -r master -f -- sudo kubeadm token create --print-join-command
expect_rc 0 "the join command from pharos exec"
join=$(tail -1 <<<"$out")
expect_contains "$join" "kubeadm join $(paddr 3):6443 --token" "the join command names the endpoint"
token=$(awk '{print $5}' <<<"$join")
run on host-5 /opt/pharos/pharos --plugin-path /opt/pharos/plugins worker up - "$(paddr 3)" "$(paddr 4)" <<<"$join"
expect_rc 0 "worker up on host-5"
printf '%s\n' "$out" | tail -2
expect_not_contains "$out$err" "${token#*.}" "the token's secret in worker up's output"
wait_ready "host-2=True host-3=True host-4=True host-5=True " "host-5 Ready"

step "the worker dropped from cluster.yml, drained and deleted"
cluster c4 3:master 4:master
run pharos up -c "$dir/c4.yml"
expect_rc 0 "up: host-2 dropped"
expect_contains "$out" "not in cluster.yml" "host-2 listed"
expect_contains "$out" "pharos drain host-2 -c $dir/c4.yml" "with the drain command"
expect_contains "$out" "pharos delete-node host-2 -c $dir/c4.yml" "and the delete-node command"
expect_eq "$(k get nodes -o jsonpath='{.items[*].metadata.name}')" "host-2 host-3 host-4 host-5" "up deleted no Node"
run pharos drain host-2 -c "$dir/c4.yml" --ignore-daemonsets --delete-local-data --timeout 180s
expect_rc 0 "drain host-2"
expect_eq "$(k get node host-2 -o jsonpath='{.spec.unschedulable}')" "true" "host-2 cordoned"
run k rollout status deployment/web --timeout=180s
expect_rc 0 "web available again after the eviction"
web=$(k get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
expect_eq "$(k get pod "$web" -o jsonpath='{.spec.nodeName} {.status.phase}')" "host-5 Running" \
        "the evicted pod runs on the worker-up node"
run k exec "$web" -- hostname
expect_eq "$out" "$web" "kubectl exec on the worker-up node"
on host-2 systemctl stop kubelet
run pharos delete-node host-2 -c "$dir/c4.yml"
expect_rc 0 "delete-node host-2"
expect_eq "$(k get nodes -o jsonpath='{.items[*].metadata.name}')" "host-3 host-4 host-5" "host-2's Node gone"
expect_eq "$(members)" "host-3 host-4" "etcd untouched by workers"

step "pharos reset"
run pharos reset -c "$dir/c4.yml" -a "$(addr 4)" -y
expect_rc 2 "reset back to one master"
expect_contains "$err" "this reset leaves one master" "explained"
expect_eq "$(members)" "host-3 host-4" "two members still"
run pharos reset -c "$dir/c4.yml" -y
expect_rc 0 "full reset"
printf '%s\n' "$out" | tail -2
for i in 3 4; do
        # shellcheck disable=SC2016 # expanded by the host's shell
        expect_eq "$(on "host-$i" sh -c 'dpkg-query -W -f="\${Package} \${Status}\n" kubelet kubeadm kubectl \
                kubernetes-cni containerd.io 2>/dev/null | grep " installed$" || true')" "" "host-$i: no kube package"
        expect_eq "$(on "host-$i" sh -c 'ls -d /etc/kubernetes /var/lib/etcd /var/lib/kubelet /etc/containerd \
                /etc/cni/net.d 2>/dev/null || true')" "" "host-$i: no kube files"
        expect_eq "$(on "host-$i" sh -c 'systemctl list-unit-files --no-legend kubelet.service containerd.service;
                pgrep -l -x "kubelet|containerd|containerd-shim-runc-v2|etcd|kube-apiserver|kube-proxy" || true')" "" \
                "host-$i: no kubelet or runtime unit, nothing of the cluster running"
done

step "done: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
