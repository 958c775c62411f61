#!/bin/sh
# Gives the node's kubelet the cluster's current configuration the way
# kubeadm documents it for a changed KubeletConfiguration: `kubeadm upgrade
# node phase kubelet-config` downloads the kubelet-config ConfigMap into
# /var/lib/kubelet/config.yaml; the kubelet is restarted only when that file
# changed. Then the configuration's checksum is recorded (MARK, SUM).
# A node without a checksum yet got its configuration when it joined (in this
# run, before it): only the checksum is recorded.
set -eu
conf=/var/lib/kubelet/config.yaml
mkdir -p "$(dirname "$MARK")"
if [ ! -e "$MARK" ]; then
        printf '%s\n' "$SUM" >"$MARK"
        exit 0
fi
before=$(cat "$conf" 2>/dev/null || true)
kubeadm upgrade node phase kubelet-config >&2
if [ "$(cat "$conf")" != "$before" ]; then
        systemctl restart kubelet
        echo "restarted the kubelet"
fi
printf '%s\n' "$SUM" >"$MARK"
