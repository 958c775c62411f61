#!/usr/bin/env bash
# Runs each built program's version command and checks it reports the release
# versions.env pins, and that kubeadm asks for the images the pins provide.
#   check.sh [DIR]                     DIR defaults to build.sh --print-dir
#   check.sh --release previous [DIR]  the previous minor's (previous/versions.env):
#                                      the programs it builds, and kubeadm's images
# Exit 77 (ctest's skip) when nothing is built yet.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
release=()
if [ "${1:-}" = --release ]; then
	[ "${2:-}" = previous ] || {
		echo "usage: $0 [--release previous] [DIR]" >&2
		exit 2
	}
	release=(--release previous)
	shift 2
	# shellcheck source=previous/versions.env
	. "$here/previous/versions.env"
fi

if [ $# -gt 0 ]; then
	dir=$1
elif ! dir=$("$here/build.sh" "${release[@]}" --print-dir 2>/dev/null); then
	echo "check: SKIPPED, the real tier's binaries are not built (run $here/build.sh ${release[*]})"
	exit 77
fi

failures=0
# expect NAME WANT COMMAND...: the command's output (stdout and stderr) must
# contain WANT as a whole line or as part of one.
expect() {
	local name=$1 want=$2 out
	shift 2
	if ! out=$("$@" 2>&1); then
		echo "check: FAIL $name: '$*' failed: $out"
		failures=$((failures + 1))
	elif ! grep -qF -- "$want" <<<"$out"; then
		echo "check: FAIL $name: '$*' does not report '$want': $out"
		failures=$((failures + 1))
	else
		echo "check: ok   $name: $want"
	fi
}

b=$dir/bin
k=$KUBERNETES_VERSION
expect kubeadm "$k" "$b/kubeadm" version -o short
for c in kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
	expect "$c" "Kubernetes $k" "$b/$c" --version
done
expect kubectl "Client Version: $k" "$b/kubectl" version --client

images=$("$b/kubeadm" config images list --kubernetes-version "$k" 2>&1) || true
for image in kube-apiserver:"$k" kube-controller-manager:"$k" kube-scheduler:"$k" \
	kube-proxy:"$k" coredns/coredns:"$COREDNS_VERSION" pause:"$PAUSE_VERSION" \
	etcd:"${ETCD_VERSION#v}-0"; do
	expect "kubeadm image" "registry.k8s.io/$image" echo "$images"
done

e=${ETCD_VERSION#v}
expect etcd "etcd Version: $e" "$b/etcd" --version
expect etcdctl "etcdctl version: $e" "$b/etcdctl" version
expect etcdutl "etcdutl version: $e" "$b/etcdutl" version
expect crictl "crictl version ${CRI_TOOLS_VERSION#v}" "$b/crictl" --version
expect coredns "CoreDNS-${COREDNS_VERSION#v}" "$b/coredns" -version

# The previous minor builds only what a Kubernetes minor decides.
if [ ${#release[@]} -gt 0 ]; then
	if [ "$failures" -gt 0 ]; then
		echo "check: $failures failed in $dir"
		exit 1
	fi
	echo "check: all versions match previous/versions.env in $dir"
	exit 0
fi

cv="github.com/containerd/containerd/v2 $CONTAINERD_VERSION"
expect containerd "containerd $cv" "$b/containerd" --version
expect ctr "ctr $cv" "$b/ctr" --version
expect containerd-shim-runc-v2 "Version:  $CONTAINERD_VERSION" "$b/containerd-shim-runc-v2" -v

expect runc "runc version ${RUNC_VERSION#v}" "$b/runc" --version
# Built without seccomp, runc would still run but could not apply the
# kubelet's RuntimeDefault profile.
expect runc-seccomp "libseccomp:" "$b/runc" --version

expect flanneld "$FLANNEL_VERSION" "$b/flanneld" --version

# A CNI plugin run without CNI_COMMAND prints what it is.
for p in bridge host-local loopback portmap; do
	expect "cni $p" "CNI $p plugin $CNI_PLUGINS_VERSION" env -u CNI_COMMAND "$dir/cni/$p"
done
expect "cni flannel" "CNI flannel plugin $FLANNEL_CNI_PLUGINS_VERSION" env -u CNI_COMMAND "$dir/cni/flannel"

expect pause "pharos pause $PAUSE_VERSION" "$b/pause" -v
# The runtime stops a sandbox with SIGTERM; pause must end, with status 0.
"$b/pause" &
pid=$!
sleep 0.2
kill -TERM "$pid"
if wait "$pid"; then
	echo "check: ok   pause: ends with 0 on SIGTERM"
else
	echo "check: FAIL pause: SIGTERM ended it with status $?"
	failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
	echo "check: $failures failed in $dir"
	exit 1
fi
echo "check: all versions match versions.env in $dir"
