#!/bin/sh
# Stands in for the OS and runtime plugins on a testbed host (run as root
# inside it): the documented manual install of containerd and the kube
# packages of minor $1, kernel settings, and a CNI configuration as a network
# plugin would leave it, so the kubeadm plugin can be tested on its own.
# Usage: prepare_host.sh MINOR ADDRESS
set -eu
minor=$1
address=$2
# The address the emulated kubeadm and kubelet use for this host.
mkdir -p /etc/pharos-testbed
[ -s /etc/pharos-testbed/address ] || echo "$address" >/etc/pharos-testbed/address
mkdir -p /etc/apt/keyrings /etc/containerd /etc/cni/net.d
# The repository as the Kubernetes docs set it up; the testbed's package
# mirror answers for pkgs.k8s.io.
curl -fsSL "https://pkgs.k8s.io/core:/stable:/v$minor/deb/Release.key" |
        gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$minor/deb/ /" \
        >/etc/apt/sources.list.d/kubernetes.list
apt-get update >/dev/null
apt-get install -y containerd kubelet kubeadm kubectl >/dev/null
apt-mark hold kubelet kubeadm kubectl >/dev/null
swapoff -a
modprobe overlay
modprobe br_netfilter
sysctl -w net.ipv4.ip_forward=1 >/dev/null
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n' \
        >/etc/containerd/config.toml
systemctl enable --now containerd >/dev/null 2>&1
systemctl enable kubelet >/dev/null 2>&1
printf '{"cniVersion": "0.3.1", "name": "test", "plugins": [{"type": "loopback"}]}\n' \
        >/etc/cni/net.d/10-test.conflist
# Package commands are linked into the host's own bin directory; make sure
# SSH sessions and sudo find them even where the testbed's PATH lacks it.
if ! command -v kubeadm >/dev/null 2>&1; then
        for c in /var/lib/pharos-testbed/bin/*; do
                ln -sf "$c" /usr/local/bin/
        done
fi
