#!/bin/sh
# Takes what kubeadm set up off a host (`pharos reset`): `kubeadm reset`
# (static pods, certificates, kubeconfigs, the etcd data of a master), the
# kubelet stopped, then what kubeadm reset leaves behind by design: the rest
# of /etc/kubernetes (pharos' own files), the kubelet's and etcd's state and
# the CNI configuration the network wrote (of a mount point, only what it
# holds).
# PHAROS_MODE=check|apply; one "pharos-change: ..." line per change.
set -eu
mode=${PHAROS_MODE:?}

need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

joined=""
for f in /etc/kubernetes/admin.conf /etc/kubernetes/kubelet.conf \
        /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/manifests/etcd.yaml \
        /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/pki/ca.crt; do
        if [ -e "$f" ]; then joined=1; fi
done
if [ -n "$joined" ] && command -v kubeadm >/dev/null 2>&1 && need "kubeadm reset"; then
        kubeadm reset --force >&2
fi

if systemctl is-active -q kubelet 2>/dev/null && need "stop the kubelet"; then
        systemctl stop kubelet >&2
fi

for d in /etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/cni/net.d /var/lib/cni; do
        if [ -d "$d" ] && [ ! -L "$d" ] && mountpoint -q "$d" 2>/dev/null; then
                # A file system of its own (etcd's data on a disk of its own,
                # as kubeadm's docs advise): rm cannot take the mount point
                # away (EBUSY), so its contents go.
                if [ -n "$(ls -A "$d")" ] && need "empty $d (a mount point)"; then
                        find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
                fi
        elif [ -e "$d" ] && need "remove $d"; then
                rm -rf -- "$d"
        fi
done
