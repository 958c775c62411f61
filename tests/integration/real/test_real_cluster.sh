#!/usr/bin/env bash
# pharos up against the real programs (tests/testbed/real): 1 master + 1
# worker booted with systemd, real apt from Debian's archive and the
# mirror's pkgs.k8s.io / download.docker.com, real kubeadm, kubelet,
# containerd, etcd, control plane, CoreDNS, kube-proxy and flannel
# (network-custom). Then: Nodes Ready; a Deployment's pod Running on the
# worker; its Service reached by DNS name from a pod on the master; kubectl
# logs and exec; a second up changes nothing (no mutating API request in the
# real kube-apiserver's audit log, no file, package or service changed on the
# hosts).
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
src=$(cd "$(dirname "$0")/../../.." && pwd)

# The tier needs root and new namespaces of every kind; a machine without
# them can't run it at all, and says so loudly.
if [[ $EUID -ne 0 ]] || ! unshare --mount --uts --ipc --net --pid --cgroup --fork true 2>/dev/null; then
        echo "SKIPPED: the real tier needs root and unshare of every namespace kind (uid $EUID)" >&2
        exit 77
fi

dir=$(mktemp -d)
cleanup() {
        local rc=$?
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
        exit "$rc"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
pharos() { "$PHAROS" --plugin-path "$PLUGINS" "$@"; }
on() { "$TESTBED" exec --dir "$dir/tb" --host "$1" -- "${@:2}"; }
k() { on host-1 kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }
t0=$SECONDS
step() { echo "== [$((SECONDS - t0))s] $*"; }

step "testbed start --tier real (builds what is not cached)"
"$TESTBED" start --tier real --hosts 2 --masters 1 --dir "$dir/tb"
cp "$dir/tb/cluster.yml" "$dir/cluster.yml"
cat >> "$dir/cluster.yml" <<EOF
network:
  provider: custom
  pod_network_cidr: 10.244.0.0/16
  custom:
    manifest_path: $src/tests/testbed/real/network
    options:
      backend: host-gw
      flannel_image: ghcr.io/flannel-io/flannel:$(. "$src/tests/testbed/real/build/versions.env" && echo "$FLANNEL_VERSION")
      cni_plugin_image: ghcr.io/flannel-io/flannel-cni-plugin:$(. "$src/tests/testbed/real/build/versions.env" && echo "$FLANNEL_CNI_PLUGINS_VERSION")
      busybox_image: docker.io/library/busybox:1.36
audit:
  file:
    path: /var/log/kubernetes/audit.json
EOF

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
run k exec client -- nslookup web.default.svc.cluster.local
expect_contains "$out" "$(k get svc web -o jsonpath='{.spec.clusterIP}')" "DNS name of the Service"
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

step "done: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
