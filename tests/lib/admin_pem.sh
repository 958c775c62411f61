# shellcheck shell=bash
# admin_pem CONF PEM: the client certificate and key of the first user of
# the kubeconfig CONF as one PEM file, for curl --cert; 0600, as it holds the key.
admin_pem() {
        (
                umask 077
                python3 - "$1" "$2" <<'PY'
import base64, sys, yaml
u = yaml.safe_load(open(sys.argv[1]))["users"][0]["user"]
with open(sys.argv[2], "w") as f:
    f.write(base64.b64decode(u["client-certificate-data"]).decode())
    f.write(base64.b64decode(u["client-key-data"]).decode())
PY
        )
}
