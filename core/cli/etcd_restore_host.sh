#!/bin/sh
# One step of `pharos etcd restore` on a master, after etcd's disaster-recovery
# procedure and Kubernetes' "Operating etcd clusters": a new data directory
# made by `etcdutl snapshot restore` (run inside the etcd static pod's
# container, which has it, through the CRI client), the control plane stopped
# by moving its static pod manifests aside, the old member directory moved
# aside (never deleted), the restored one moved in, the manifests put back.
# Variables: RESTORE_ACTION (inspect, recover, restore, stop, swap, start),
# RESTORE_STAMP (names what this run makes), RESTORE_SNAPSHOT (the uploaded
# file, restore), RESTORE_NAME, RESTORE_PEER_URL, RESTORE_CLUSTER,
# RESTORE_TOKEN (restore), RESTORE_WAIT (seconds to wait for containers).
# Exit: 0 done; 1 failed, with why on stderr.
set -eu
manifests=/etc/kubernetes/manifests
aside=/etc/kubernetes/pharos-restore
# kube-controller-manager and kube-scheduler too: their caches would hold the
# state from before the restore.
pods="kube-apiserver kube-controller-manager kube-scheduler etcd"
wait_s=${RESTORE_WAIT:-180}

die() {
        echo "$*" >&2
        exit 1
}

# The value of --FLAG= in the etcd manifest (here or moved aside).
etcd_flag() {
        f=$manifests/etcd.yaml
        [ -f "$f" ] || f=$aside/etcd.yaml
        [ -f "$f" ] || die "no etcd static pod manifest in $manifests: is etcd stacked here?"
        sed -n "s/^ *- *[\"']\{0,1\}--$1=\([^\"']*\)[\"']\{0,1\} *\$/\1/p" "$f" | head -n 1
}

data_dir() {
        d=$(etcd_flag data-dir)
        [ -n "$d" ] || die "the etcd manifest has no --data-dir"
        echo "$d"
}

containers() {
        crictl ps --name "$1" --state running -q
}

# Waits until `containers REGEX` prints something (want=up) or nothing (down).
wait_for() {
        i=0
        while :; do
                now=$(containers "$1" 2>/dev/null || true)
                if [ "$2" = up ] && [ -n "$now" ]; then return 0; fi
                if [ "$2" = down ] && [ -z "$now" ]; then return 0; fi
                i=$((i + 1))
                [ "$i" -le "$wait_s" ] || return 1
                sleep 1
        done
}

command -v crictl >/dev/null 2>&1 || die "crictl (cri-tools) is not installed"
case "$RESTORE_ACTION" in
inspect)
        echo "name=$(etcd_flag name)"
        echo "peer=$(etcd_flag initial-advertise-peer-urls)"
        echo "data_dir=$(data_dir)"
        ;;
recover)
        # What an earlier run left half done: the member it moved aside back
        # when none took its place, then the manifests.
        dir=$(data_dir)
        if [ ! -d "$dir/member" ]; then
                last=""
                for d in "$dir"/member.pre-restore-*; do
                        if [ -d "$d" ]; then last=$d; fi
                done
                [ -n "$last" ] || die "$dir/member is missing and no member.pre-restore-* is there to put back"
                mv "$last" "$dir/member"
                echo "put $last back as $dir/member"
        fi
        for p in $pods; do
                if [ -f "$aside/$p.yaml" ]; then
                        [ ! -e "$manifests/$p.yaml" ] || die "$manifests/$p.yaml and $aside/$p.yaml both exist: keep one"
                        mv "$aside/$p.yaml" "$manifests/$p.yaml"
                        echo "put $p's manifest back"
                fi
        done
        ;;
restore)
        dir=$(data_dir)
        new=$dir/pharos-restore-$RESTORE_STAMP
        wait_for '^etcd$' up || die "no etcd container running after ${wait_s}s"
        id=$(containers '^etcd$' | head -n 1)
        # Kubernetes asks for revisions bumped past every watcher's and the old
        # ones marked compacted, where etcdutl has the flags.
        set --
        if crictl exec "$id" etcdutl snapshot restore --help 2>&1 | grep -q -- --bump-revision; then
                set -- --bump-revision 1000000000 --mark-compacted
        fi
        if ! crictl exec "$id" etcdutl snapshot restore "$RESTORE_SNAPSHOT" --name "$RESTORE_NAME" \
                --initial-cluster "$RESTORE_CLUSTER" --initial-cluster-token "$RESTORE_TOKEN" \
                --initial-advertise-peer-urls "$RESTORE_PEER_URL" --data-dir "$new" "$@" >&2; then
                rm -f "$RESTORE_SNAPSHOT"
                die "etcdutl snapshot restore failed in etcd container $id"
        fi
        rm -f "$RESTORE_SNAPSHOT"
        [ -d "$new/member" ] || die "etcdutl made no $new/member"
        echo "restored into $new${1:+ (revisions bumped, the old ones marked compacted)}"
        ;;
stop)
        mkdir -p "$aside"
        chmod 0700 "$aside"
        for p in $pods; do
                if [ -f "$manifests/$p.yaml" ]; then mv "$manifests/$p.yaml" "$aside/$p.yaml"; fi
        done
        wait_for '^(etcd|kube-apiserver)$' down || die "etcd or kube-apiserver still running ${wait_s}s after their manifests were moved to $aside"
        echo "stopped: manifests in $aside"
        ;;
swap)
        dir=$(data_dir)
        new=$dir/pharos-restore-$RESTORE_STAMP
        [ -d "$new/member" ] || die "$new/member is missing"
        [ -z "$(containers '^etcd$')" ] || die "etcd is running"
        if [ -d "$dir/member" ]; then mv "$dir/member" "$dir/member.pre-restore-$RESTORE_STAMP"; fi
        mv "$new/member" "$dir/member"
        rmdir "$new"
        echo "old data in $dir/member.pre-restore-$RESTORE_STAMP, restored data in $dir/member"
        ;;
start)
        for p in $pods; do
                if [ -f "$aside/$p.yaml" ]; then mv "$aside/$p.yaml" "$manifests/$p.yaml"; fi
        done
        rmdir "$aside" 2>/dev/null || true
        wait_for '^etcd$' up || die "no etcd container running ${wait_s}s after its manifest came back"
        echo "manifests back in $manifests"
        ;;
*) die "unknown RESTORE_ACTION '$RESTORE_ACTION'" ;;
esac
