#!/bin/sh
# A worker's node-local API proxy (kubeadm.api-proxy), in one round trip.
# WANTED=1: CONFIG_TEXT in CONFIG and POD_TEXT in MANIFEST, and the kubelet's
# kubeconfig naming URL; WANTED=0: neither file. PHAROS_MODE=check prints one
# "pharos-change: ..." line per difference; apply writes the files (each
# whole or not at all) and, with WANTED=1, waits until the proxy answers for
# an API server. The kubeconfig is the caller's to rewrite, after that.
set -eu
mode=${PHAROS_MODE:?}
wanted=${WANTED:?}
config=${CONFIG:?}
manifest=${MANIFEST:?}
url=${URL:?}

change() {
        printf 'pharos-change: %s\n' "$1"
}

# Whether file holds exactly text (the trailing newline included).
holds() {
        [ -f "$1" ] && printf '%s' "$2" | cmp -s - "$1"
}

# The kubelet runs a static pod from every file in its manifest directory
# whose name does not start with a dot: the new text is written under a
# dot-name, then renamed in place.
put() {
        mkdir -p "$(dirname "$1")"
        tmp="$(dirname "$1")/.$(basename "$1").pharos-new"
        printf '%s' "$2" >"$tmp"
        chmod "$3" "$tmp"
        mv -f "$tmp" "$1"
}

if [ "$wanted" != 1 ]; then
        for f in "$manifest" "$config"; do
                if [ -e "$f" ]; then
                        change "remove $f"
                        [ "$mode" = check ] || rm -f "$f"
                fi
        done
        exit 0
fi

if ! holds "$config" "$CONFIG_TEXT"; then
        change "write $config"
        [ "$mode" = check ] || put "$config" "$CONFIG_TEXT" 0644
fi
if ! holds "$manifest" "$POD_TEXT"; then
        change "write $manifest"
        [ "$mode" = check ] || put "$manifest" "$POD_TEXT" 0600
fi
if [ "$mode" = check ]; then
        server=$(sed -n 's/^[[:space:]]*server:[[:space:]]*//p' /etc/kubernetes/kubelet.conf 2>/dev/null || true)
        [ "$server" = "$url" ] || change "point the kubelet at $url"
        exit 0
fi
# Any HTTP answer means an API server is behind the proxy (/readyz may be
# 401 without anonymous auth); the kubelet pulls the image first.
i=0
while [ "$i" -lt 180 ]; do
        i=$((i + 1))
        if curl -sk -o /dev/null --max-time 5 "$url/readyz"; then
                exit 0
        fi
        sleep 1
done
echo "the node-local API proxy ($manifest) did not answer on $url within 180s: see crictl ps -a --name haproxy" >&2
exit 1
