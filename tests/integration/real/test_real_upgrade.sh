#!/usr/bin/env bash
# `pharos up` upgrading a real cluster across one minor, as kubernetes.io's
# "Upgrading kubeadm clusters" does it: 3 masters (stacked etcd) and 2
# workers built at the previous minor (tests/testbed/real/build/previous:
# real kubeadm, kubelet, control plane, etcd and CoreDNS of that release),
# then cluster.yml names the current one. --plan names the order; the run is
# interrupted while the first master's real `kubeadm upgrade apply` runs, and
# the next run takes the upgrade up where it stopped. A Deployment of two
# with a PodDisruptionBudget of one stays available throughout, through
# real evictions. At the end every kubelet, control plane component, etcd,
# CoreDNS and kube-proxy runs the new release, the packages and the
# repository have moved, every Node is uncordoned, and one more run changes
# nothing.
set -euo pipefail
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
# shellcheck source=real_test.sh
. "$(dirname "$0")/real_test.sh"

# pin FILE NAME: NAME's value in a versions.env, without the tag's "v".
pin() {
        # shellcheck disable=SC1090 # one of the two below
        (. "$1" && v=${!2} && echo "${v#v}")
}
# The releases the real tier built: the previous minor's and the current one's.
prev=$src/tests/testbed/real/build/previous/versions.env cur=$src/tests/testbed/real/build/versions.env
old=$(pin "$prev" KUBERNETES_VERSION) old_etcd=$(pin "$prev" ETCD_VERSION) old_dns=v$(pin "$prev" COREDNS_VERSION)
new=$(pin "$cur" KUBERNETES_VERSION) new_etcd=$(pin "$cur" ETCD_VERSION) new_dns=v$(pin "$cur" COREDNS_VERSION)
new_minor=${new%.*}

# kubectl on the first master whose own API server answers: admin.conf names
# host-1's (the control-plane endpoint), which restarts during the upgrade,
# and the others' restart after it.
k() {
        local i
        for i in 1 2 3; do
                on "host-$i" kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=10s \
                        --server "https://$(paddr "$i"):6443" "$@" 2>/dev/null && return 0
        done
        return 1
}

"$src/tests/testbed/real/build/build.sh" --release previous --print-dir >/dev/null ||
        fail "the previous minor is not built: tests/testbed/real/prepare.sh builds it (the ctest fixture real_tier)"

step "testbed start --tier real: 3 masters, 2 workers"
"$TESTBED" start --tier real --hosts 5 --masters 3 --os debian-12,debian-13 --dir "$dir/tb"
real_network "$dir/rest.yml"
# kube-proxy 1.36 writes nf_conntrack_max whatever it holds (1.37 only when
# it is lower), and a host in a network namespace of its own may not: the
# file is read-only outside the machine's first one. Nodes in containers set
# maxPerCore 0 for that (kind does), which leaves the limit alone.
cat >>"$dir/rest.yml" <<EOF
kubernetes:
  version: "$old"
kube_proxy:
  conntrack:
    maxPerCore: 0
EOF
cluster cluster 1:master 2:master 3:master 4:worker 5:worker
# version V: cluster.yml names Kubernetes V.
version() { sed -i "s/^  version: .*/  version: \"$1\"/" "$dir/cluster.yml"; }

step "pharos up at $old"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "first up at $old"
printf '%s\n' "$out" | tail -3
all="host-1=True host-2=True host-3=True host-4=True host-5=True "
ready=""
for _ in $(seq 90); do
        ready=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}' || true)
        [[ $ready == "$all" ]] && break
        sleep 2
done
expect_eq "$ready" "$all" "five Nodes Ready"
kubelets() { k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion} {end}'; }
# images COMPONENT: the image of each of its kube-system Pods, sorted, one line.
images() {
        k -n kube-system get pods -l "$1" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' |
                sed 's/.*://' | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $1, $2; sep = " " }'
}
expect_eq "$(kubelets)" "host-1=v$old host-2=v$old host-3=v$old host-4=v$old host-5=v$old " \
        "every kubelet at $old"
expect_eq "$(images component=kube-apiserver)" "3xv$old" "three API servers at $old"
expect_eq "$(images component=etcd)" "3x$old_etcd-0" "three etcd members at $old_etcd"

step "a Deployment of 2 with a PodDisruptionBudget of 1"
k apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: docker.io/library/busybox:1.36
          command: [busybox, httpd, -f, -p, "8080", -h, /etc]
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 2}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
EOF
run k rollout status deployment/web --timeout=180s
expect_rc 0 "web rolled out"
# The fewest web pods serving, and the most Nodes cordoned at once, seen each
# second through the whole upgrade (a moment no API server answered is left
# out). Serving is what the PodDisruptionBudget guards and what a Service's
# endpoints take: Ready and not being deleted. (The Deployment's own
# availableReplicas, which its controller computes later, read 0 at moments of
# two runs here while the budget refused and allowed evictions as it should.)
# Each moment's web pods (NODE:DELETED/READY) and Nodes
# (NAME=UNSCHEDULABLE/READY) go to $dir/timeline, to show what a gap was.
web_pods() {
        k get pods -l app=web \
                -o jsonpath='{range .items[*]}{.spec.nodeName}:{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status} {end}'
}
nodes() {
        k get nodes \
                -o jsonpath='{range .items[*]}{.metadata.name}={.spec.unschedulable}/{.status.conditions[?(@.type=="Ready")].status} {end}'
}
cordoned() { k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.spec.unschedulable} {end}'; }
(
        while :; do
                if p=$(web_pods) && n=$(nodes); then
                        echo "$((SECONDS - t0))s $(date +%T) | $p| $n" >>"$dir/timeline"
                        echo "$(grep -o ':/True' <<<"$p" | wc -l) $((SECONDS - t0))s" >>"$dir/available"
                        awk '{ print gsub(/=true\//, "") }' <<<"$n" >>"$dir/cordoned"
                fi
                sleep 1
        done
) &
real_watcher=$!

step "--plan names the upgrade"
version "$new"
run pharos up -c "$dir/cluster.yml" --plan
expect_rc 0 "plan"
expect_contains "$out" "kubeadm.upgrade-masters" "the masters' step"
expect_contains "$out" "control plane at v$old, kubelet at v$old to $new" "what a master has and gets"
expect_contains "$out" "kubeadm.upgrade-workers" "the workers' step"
expect_eq "$(images component=kube-apiserver)" "3xv$old" "--plan upgraded nothing"

step "an upgrade interrupted while host-1's kubeadm upgrade apply runs"
"$PHAROS" --plugin-path "$PLUGINS" up -c "$dir/cluster.yml" >"$dir/up1.out" 2>&1 &
pid=$!
seen=0
for _ in $(seq 900); do
        if on host-1 pgrep -f "kubeadm upgrade apply v$new" >/dev/null; then
                seen=1
                break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
done
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
expect_eq "$seen" "1" "kubeadm upgrade apply seen running on host-1"
# 130: interrupted. The step that ran goes on (host-1's apply, then its
# kubelet) but is not tried again after a failure, and no other host's
# starts: only host-1's control plane moved.
expect_eq "$rc" "130" "the interrupted run's exit: $(tail -3 "$dir/up1.out")"
tail -3 "$dir/up1.out"
expect_contains "$(cat "$dir/up1.out")" "the next \`pharos up\` goes on from here" "says how to go on"
expect_contains "$(kubelets)" "host-2=v$old host-3=v$old host-4=v$old host-5=v$old " \
        "the other masters and the workers not reached"
for i in 1 2 3; do
        want=$old
        [ "$i" != 1 ] || want=$new
        expect_contains "$(on "host-$i" grep 'image:' /etc/kubernetes/manifests/kube-apiserver.yaml)" \
                "kube-apiserver:v$want" "host-$i's API server manifest at $want"
done

step "the next run takes it up"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "resumed upgrade"
grep -E "upgrade-(masters|workers)" <<<"$out" || true
expect_eq "$(kubelets)" "host-1=v$new host-2=v$new host-3=v$new host-4=v$new host-5=v$new " \
        "every kubelet at $new"
expect_eq "$(images component=kube-apiserver)" "3xv$new" "three API servers at $new"
expect_eq "$(images component=kube-controller-manager)" "3xv$new" "three controller managers at $new"
expect_eq "$(images component=kube-scheduler)" "3xv$new" "three schedulers at $new"
expect_eq "$(images component=etcd)" "3x$new_etcd-0" "three etcd members at $new_etcd"
# kubeadm upgrade apply moved the add-ons; their rollouts may still run.
for a in daemonset/kube-proxy deployment/coredns; do
        run k -n kube-system rollout status "$a" --timeout=180s
        expect_rc 0 "$a rolled out"
done
expect_eq "$(k -n kube-system get daemonset kube-proxy -o jsonpath='{.spec.template.spec.containers[0].image}')" \
        "registry.k8s.io/kube-proxy:v$new" "kube-proxy at $new"
expect_eq "$(k -n kube-system get deployment coredns -o jsonpath='{.spec.template.spec.containers[0].image}')" \
        "registry.k8s.io/coredns/coredns:$new_dns" "CoreDNS at $new_dns (was $old_dns)"
expect_not_contains "$(cordoned)" "=true" "every Node uncordoned"
expect_contains "$(k -n kube-system get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}')" \
        "kubernetesVersion: v$new" "kubeadm-config at $new"
expect_eq "$(k -n kube-system get configmap pharos-config -o jsonpath='{.data.kubernetes\.version}')" \
        "$new" "the stored state at $new"
# shellcheck disable=SC2016 # dpkg-query's format
for i in 1 2 3 4 5; do
        expect_eq "$(on "host-$i" dpkg-query -W -f='${Version} ' kubelet kubeadm kubectl)" \
                "$new-1.1 $new-1.1 $new-1.1 " "host-$i's packages"
        expect_contains "$(on "host-$i" cat /etc/apt/sources.list.d/kubernetes.list)" "/v$new_minor/" \
                "host-$i's repository at the new minor"
done
kill "$real_watcher"
real_watcher=""
checks=$((checks + 1))
[ "$(wc -l <"$dir/available")" -gt 30 ] || fail "the watcher saw web's replicas $(wc -l <"$dir/available") times only"
gaps=$(awk '$1 == 0 { print $2 }' "$dir/available" | paste -sd' ')
expect_eq "$(sort -n "$dir/available" | head -1 | cut -d' ' -f1)" "1" \
        "web stayed available, one pod serving at the least (none at: $gaps)"
if [ -n "$gaps" ]; then
        echo "web's pods and the Nodes around the gaps:"
        grep -C3 -E "^(${gaps// /|}) " "$dir/timeline" | cut -c1-400 || true
fi
expect_eq "$(sort -n "$dir/cordoned" | tail -1)" "1" "one Node drained at a time"
run k rollout status deployment/web --timeout=120s
expect_rc 0 "web whole again"

step "one more run changes nothing"
run pharos up -c "$dir/cluster.yml"
expect_rc 0 "no-change run"
expect_contains "$out" "no changes" "no changes"
step "done"
finish
