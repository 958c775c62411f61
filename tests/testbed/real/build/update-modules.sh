#!/usr/bin/env bash
# After a pin changes in versions.env: makes every module folder's go.mod and
# go.sum require that release, through the Go module proxy. Commit what it
# changes; build.sh only reads them (-mod=readonly) and refuses a mismatch.
#   update-modules.sh                     the current release (versions.env)
#   update-modules.sh --release previous  the previous minor (previous/versions.env)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
release=current
case "${1:-}" in
"") ;;
--release)
	[ "${2:-}" = previous ] || {
		echo "usage: $0 [--release previous]" >&2
		exit 2
	}
	release=previous
	here=$here/previous
	;;
*)
	echo "usage: $0 [--release previous]" >&2
	exit 2
	;;
esac
# shellcheck source=versions.env
. "$here/versions.env"

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	PATH=/usr/local/go/bin:$PATH
fi
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

# tools DIR VERSION PACKAGE...: DIR's module builds each PACKAGE (a `tool`
# line), taken from its module at VERSION; tidy then records the whole graph.
tools() {
	local dir=$1 version=$2 p
	shift 2
	for p in "$@"; do
		(cd "$here/$dir" && go get -tool "$p@$version")
	done
	(cd "$here/$dir" && go mod tidy)
	echo "update: $dir at $version"
}

# k8s.io/kubernetes requires its staging modules at v0.0.0 and points them at
# ./staging with `replace`, which only its own repository can use. Another
# module must replace each with its published release, v0.<minor>.<patch>.
staging_replaces() {
	local v=$1 gomod new m
	gomod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	new=$(sed -n 's/^[[:space:]]*\(k8s\.io\/[^ ]*\) => \.\/staging\/.*/\1/p' "$gomod")
	cd "$here/kubernetes"
	# Modules the release no longer has in staging lose their replace;
	# the others are updated in place, keeping go.mod's comments.
	sed -n 's/^\(replace \)\{0,1\}[[:space:]]*\(k8s\.io\/[^ ]*\) => .*/\2/p' go.mod |
		while read -r m; do
			grep -qxF "$m" <<<"$new" || go mod edit -dropreplace "$m"
		done
	while read -r m; do go mod edit -replace "$m=$m@v0.${v#v1.}"; done <<<"$new"
	cd - >/dev/null
}

staging_replaces "$KUBERNETES_VERSION"
k=k8s.io/kubernetes/cmd
tools kubernetes "$KUBERNETES_VERSION" "$k/kubeadm" "$k/kubelet" "$k/kube-apiserver" \
	"$k/kube-controller-manager" "$k/kube-scheduler" "$k/kube-proxy" "$k/kubectl"
tools etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
tools cri-tools "$CRI_TOOLS_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
# CoreDNS is built from coredns/main.go, which picks its plugins: the folder
# requires the release, and tidy keeps only what those plugins import. The
# previous release's folder links the current one's main.go.
(cd "$here/coredns" && go get "github.com/coredns/coredns@$COREDNS_VERSION" && go mod tidy)
echo "update: coredns at $COREDNS_VERSION"
# The previous minor has only the programs a Kubernetes minor decides.
[ "$release" = current ] || exit 0
c=github.com/containerd/containerd/v2/cmd
tools containerd "$CONTAINERD_VERSION" "$c/containerd" "$c/ctr" "$c/containerd-shim-runc-v2"
tools runc "$RUNC_VERSION" github.com/opencontainers/runc
p=github.com/containernetworking/plugins/plugins
tools cni "$CNI_PLUGINS_VERSION" "$p/main/bridge" "$p/ipam/host-local" "$p/main/loopback" "$p/meta/portmap"
tools flannel-cni "$FLANNEL_CNI_PLUGINS_VERSION" "$p/meta/flannel"
tools flannel "$FLANNEL_VERSION" github.com/flannel-io/flannel
