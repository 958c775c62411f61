#!/bin/sh
# Applies a changed kubeadm configuration to a running control-plane node the
# way kubeadm's documentation does it: a new API server certificate for new
# SANs (the old one moved away first, as kubeadm keeps an existing one),
# regenerated static pod manifests, the stored ClusterConfiguration uploaded.
# The API server is stopped (its manifest moved away) and started again so it
# reads the new certificate and flags, then must answer /readyz before the
# next master is touched.
# Env: CONFIG PREVIOUS ADDRESS, and 0/1 flags APISERVER SANS CONTROLLER
# SCHEDULER UPLOAD UPLOAD_KUBELET (the nodes fetch the kubelet's later).
set -eu
pki=/etc/kubernetes/pki
manifests=/etc/kubernetes/manifests
keep=/etc/kubernetes/pharos/replaced
case $ADDRESS in
*:*) api="https://[$ADDRESS]:6443" ;;
*) api="https://$ADDRESS:6443" ;;
esac

api_up() {
        curl -fsSk --max-time 5 "$api/readyz" >/dev/null 2>&1
}

[ -d "$keep" ] || mkdir -m 0700 "$keep"
if [ "$SANS" = 1 ] || [ "$APISERVER" = 1 ]; then
        if [ -e "$manifests/kube-apiserver.yaml" ]; then
                mv "$manifests/kube-apiserver.yaml" "$keep/kube-apiserver.yaml"
        fi
        i=0
        while api_up; do
                i=$((i + 1))
                if [ "$i" -ge 120 ]; then
                        mv "$keep/kube-apiserver.yaml" "$manifests/kube-apiserver.yaml"
                        echo "the API server on $ADDRESS did not stop within 120s" >&2
                        exit 1
                fi
                sleep 1
        done
        if [ "$SANS" = 1 ] && [ -e "$pki/apiserver.crt" ]; then
                mv "$pki/apiserver.crt" "$keep/apiserver.crt"
                mv "$pki/apiserver.key" "$keep/apiserver.key"
        fi
        if [ ! -e "$pki/apiserver.crt" ]; then
                kubeadm init phase certs apiserver --config "$CONFIG"
        fi
        kubeadm init phase control-plane apiserver --config "$CONFIG"
        i=0
        until api_up; do
                i=$((i + 1))
                if [ "$i" -ge 180 ]; then
                        echo "the API server on $ADDRESS is not ready 180s after its restart" >&2
                        exit 1
                fi
                sleep 1
        done
        echo "restarted the API server"
fi
if [ "$CONTROLLER" = 1 ]; then
        kubeadm init phase control-plane controller-manager --config "$CONFIG"
fi
if [ "$SCHEDULER" = 1 ]; then
        kubeadm init phase control-plane scheduler --config "$CONFIG"
fi
if [ "$UPLOAD" = 1 ] || [ "$UPLOAD_KUBELET" = 1 ]; then
        # Through this master's own API server: admin.conf names the
        # control-plane endpoint, which may be the master this change removed
        # (kubeadm.endpoint points the kubeconfigs at the new one afterwards).
        local_conf=$(mktemp /etc/kubernetes/pharos/admin-local.XXXXXX)
        trap 'rm -f "$local_conf"' EXIT
        sed "s|^\([[:space:]]*server:\).*|\1 $api|" /etc/kubernetes/admin.conf >"$local_conf"
fi
if [ "$UPLOAD" = 1 ]; then
        kubeadm init phase upload-config kubeadm --config "$CONFIG" --kubeconfig "$local_conf"
fi
if [ "$UPLOAD_KUBELET" = 1 ]; then
        kubeadm init phase upload-config kubelet --config "$CONFIG" --kubeconfig "$local_conf"
fi
rm -f "$PREVIOUS"
