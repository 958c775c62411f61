#!/bin/sh
# Applies a changed kubeadm configuration to a running control-plane node the
# way kubeadm's documentation does it: a new API server certificate for new
# SANs (the old one moved away first, as kubeadm keeps an existing one),
# regenerated static pod manifests, the stored ClusterConfiguration uploaded.
# For new flags the API server is stopped (its manifest moved away) and
# started again, then must answer /readyz before the next master is touched.
# A new certificate alone needs no restart: kube-apiserver watches its serving
# certificate and key files and serves the new pair (apiserver's
# dynamiccertificates); the script waits until it does.
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

# SHA-256 fingerprint of the certificate the API server serves (empty when it
# does not answer) and of the one in its files.
served_cert() {
        case $ADDRESS in
        *:*) peer="[$ADDRESS]:6443" ;;
        *) peer="$ADDRESS:6443" ;;
        esac
        openssl s_client -connect "$peer" </dev/null 2>/dev/null |
                openssl x509 -noout -fingerprint -sha256 2>/dev/null || true
}
file_cert() {
        openssl x509 -noout -fingerprint -sha256 -in "$pki/apiserver.crt"
}

[ -d "$keep" ] || mkdir -m 0700 "$keep"
# Only new SANs, and openssl to tell which certificate is served: the API
# server reloads the new pair in place.
if [ "$SANS" = 1 ] && [ "$APISERVER" != 1 ] && command -v openssl >/dev/null &&
        [ -e "$manifests/kube-apiserver.yaml" ] && api_up; then
        if [ -e "$pki/apiserver.crt" ]; then
                mv "$pki/apiserver.crt" "$keep/apiserver.crt"
                mv "$pki/apiserver.key" "$keep/apiserver.key"
        fi
        kubeadm init phase certs apiserver --config "$CONFIG"
        want=$(file_cert)
        i=0
        # Its file watch acts at once; a periodic check every minute backs it up.
        until [ "$(served_cert)" = "$want" ] || [ "$i" -ge 75 ]; do
                i=$((i + 1))
                sleep 1
        done
        if [ "$(served_cert)" = "$want" ]; then
                echo "the API server serves its new certificate (no restart)"
                SANS=0
        else
                echo "the API server on $ADDRESS still serves its old certificate: restarting it" >&2
        fi
fi

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
