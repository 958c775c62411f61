# shellcheck shell=bash
# How each upstream is built: flags, tags and version stamps, following each
# project's own Makefile or release script (README.md names them). Sourced by
# build.sh after versions.env, with $here set; each build_<name> writes into
# $1/bin or $1/cni. Part of the cache key: a change here rebuilds.
# shellcheck disable=SC2154 # $here is set by build.sh

# go build in one module folder; every upstream here is built with -trimpath.
go_build() {
	local dir=$1 cgo=$2
	shift 2
	(cd "$here/$dir" && CGO_ENABLED=$cgo go build -trimpath "$@")
}

# Which go.mod requires which pinned module: "folder module version" lines.
# build.sh checks them all before building, or the cache key would name one
# release and hold another.
pins() {
	cat <<EOF
kubernetes k8s.io/kubernetes $KUBERNETES_VERSION
etcd go.etcd.io/etcd/server/v3 $ETCD_VERSION
etcd go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION
etcd go.etcd.io/etcd/etcdutl/v3 $ETCD_VERSION
containerd github.com/containerd/containerd/v2 $CONTAINERD_VERSION
runc github.com/opencontainers/runc $RUNC_VERSION
cni github.com/containernetworking/plugins $CNI_PLUGINS_VERSION
flannel-cni github.com/containernetworking/plugins $FLANNEL_CNI_PLUGINS_VERSION
flannel github.com/flannel-io/flannel $FLANNEL_VERSION
cri-tools sigs.k8s.io/cri-tools $CRI_TOOLS_VERSION
coredns github.com/coredns/coredns $COREDNS_VERSION
EOF
}

# Kubernetes' hack/lib/version.sh stamps both version packages. A module zip
# carries no commit, so gitCommit is zeros; the fixed buildDate keeps the
# binaries reproducible. Upstream links these static (CGO_ENABLED=0), stripped.
build_kubernetes() {
	local v=$KUBERNETES_VERSION minor ld="-s -w" p
	minor=${v#v1.}
	minor=${minor%%.*}
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor"
		ld+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean"
		ld+=" -X $p.buildDate=2026-01-01T00:00:00Z"
	done
	go_build kubernetes 0 -ldflags "$ld" -o "$1/bin/" \
		k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubelet \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy \
		k8s.io/kubernetes/cmd/kubectl
}

# etcd's scripts/build_lib.sh: static, GitSHA from git or "GitNotFound" without
# it, which is the case of a module zip. The etcd image carries all three.
build_etcd() {
	local ld="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=GitNotFound"
	go_build etcd 0 -ldflags "$ld" -o "$1/bin/etcd" go.etcd.io/etcd/server/v3
	go_build etcd 0 -ldflags "$ld" -o "$1/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
	go_build etcd 0 -ldflags "$ld" -o "$1/bin/etcdutl" go.etcd.io/etcd/etcdutl/v3
}

# containerd's Makefile with STATIC=1 and BUILDTAGS=no_btrfs (the btrfs
# snapshotter needs cgo and btrfs headers); the shim adds no_grpc as upstream
# does. Revision comes from git upstream and is left empty here.
build_containerd() {
	local pkg=github.com/containerd/containerd/v2 tags="urfave_cli_no_docs no_btrfs osusergo netgo static_build" ld
	ld="-s -w -X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Package=$pkg"
	go_build containerd 0 -tags "$tags" -ldflags "$ld" -o "$1/bin/" "$pkg/cmd/containerd" "$pkg/cmd/ctr"
	go_build containerd 0 -tags "$tags no_grpc" -ldflags "$ld" -o "$1/bin/" "$pkg/cmd/containerd-shim-runc-v2"
}

# runc's Makefile "static" target: cgo for libseccomp (linked statically from
# Debian's libseccomp-dev), static PIE. libpathrs, a Rust library Debian 12
# does not package, is left out as runc's README allows (RUNC_BUILDTAGS=-libpathrs).
# The version comes from runc's embedded VERSION file.
build_runc() {
	go_build runc 1 -buildmode=pie -tags "seccomp urfave_cli_no_docs netgo osusergo" \
		-ldflags "-s -w -linkmode external -extldflags -static-pie" \
		-o "$1/bin/runc" github.com/opencontainers/runc
}

# The CNI plugins' release workflow: build_linux.sh with BuildVersion set to
# the tag, static; pure Go, so CGO_ENABLED=0 gives the same static binaries.
build_cni() {
	local m=github.com/containernetworking/plugins
	go_build cni 0 -ldflags "-s -w -X $m/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
		-o "$1/cni/" "$m/plugins/main/bridge" "$m/plugins/ipam/host-local" \
		"$m/plugins/main/loopback" "$m/plugins/meta/portmap"
}

# flannel's CNI plugin, which reads /run/flannel/subnet.env and hands the pod
# to the bridge plugin; see versions.env for where it comes from.
build_flannel_cni() {
	local m=github.com/containernetworking/plugins
	go_build flannel-cni 0 -ldflags "-s -w -X $m/pkg/utils/buildversion.BuildVersion=$FLANNEL_CNI_PLUGINS_VERSION" \
		-o "$1/cni/flannel" "$m/plugins/meta/flannel"
}

# flannel's Makefile for amd64: cgo (its UDP backend has C), static. netgo and
# osusergo keep glibc's resolver, which a static binary cannot load, out.
build_flannel() {
	go_build flannel 1 -tags "netgo osusergo" \
		-ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION -extldflags -static" \
		-o "$1/bin/flanneld" github.com/flannel-io/flannel
}

# cri-tools' Makefile: static, the version without its "v".
build_cri_tools() {
	go_build cri-tools 0 -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRI_TOOLS_VERSION#v}" \
		-o "$1/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl
}

# CoreDNS' Makefile: static, tag grpcnotrace. The plugins are coredns/main.go's
# choice, where upstream's plugin.cfg would be. Its version is a constant in
# coremain; GitCommit comes from git upstream and is left empty here.
build_coredns() {
	go_build coredns 0 -tags grpcnotrace -ldflags "-s -w" -o "$1/bin/coredns" .
}

build_pause() {
	gcc -static -Os -s -Wall -Wextra -Werror -DPAUSE_VERSION="\"$PAUSE_VERSION\"" \
		-o "$1/bin/pause" "$here/pause/pause.c"
}

# In build order: Kubernetes first, as the others share some of its packages.
components() {
	echo kubernetes etcd containerd runc cni flannel_cni flannel cri_tools coredns pause
}
