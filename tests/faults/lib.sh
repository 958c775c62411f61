# Fault injectors and cluster snapshots for the fault-injection suite
# (sourced by test_faults.sh after ../integration/runtime/lib.sh, which gives `on`).
# Every function takes the testbed directory first.
# shellcheck shell=bash

tb_addr() { jq -r --arg n "$2" '.hosts[] | select(.name == $n) | .address' "$1/hosts.json"; }
tb_root() { jq -r --arg n "$2" '.hosts[] | select(.name == $n) | .root' "$1/hosts.json"; }
tb_init() { jq -r --arg n "$2" '.hosts[] | select(.name == $n) | .pid' "$1/hosts.json"; }

# host_pids TB HOST: every process of the host but its init (same pid namespace).
# One ps, not a readlink per process: under load the fault must land where it is aimed.
host_pids() {
        local init
        init=$(tb_init "$1" "$2")
        ps -e -o pid=,pidns= | awk -v i="$init" '{ ns[$1] = $2 } END { for (p in ns) if (p != i && ns[p] == ns[i]) print p }'
}

# --- faults -------------------------------------------------------------------

# fault_sshd_stop TB HOST: the listening sshd and every session end (sshd-stop
# stops only the listener; a stopped sshd service takes its sessions along
# when the host goes down with it, so end them too).
fault_sshd_stop() {
        "$TESTBED" sshd-stop --dir "$1" --host "$2"
        fault_cut "$1" "$2"
}
heal_sshd_stop() { "$TESTBED" sshd-start --dir "$1" --host "$2"; }

# fault_cut TB HOST: the host's SSH sessions are killed mid-command: every
# process under the listening sshd (the privileged monitor alone would leave
# the session's network child holding the connection); sshd keeps listening.
fault_cut() {
        local init listener p
        init=$(tb_init "$1" "$2")
        listener=$(ps -e -o pid=,ppid=,comm= | awk -v p="$init" '$2 == p && $3 == "sshd" {print $1}')
        for p in $(descendants "${listener:-none}"); do
                kill -KILL "$p" 2>/dev/null || true
        done
}
descendants() { # PID: every process below PID
        ps -e -o pid=,ppid= | awk -v r="$1" '{ kids[$2] = kids[$2] " " $1 }
                END { n = split(kids[r], q, " "); for (i = 1; i <= n; i++) { print q[i];
                        m = split(kids[q[i]], c, " "); for (j = 1; j <= m; j++) q[++n] = c[j] } }'
}
heal_cut() { :; }

# fault_host_kill TB HOST: the host crashes: every process in it is killed at
# once (sshd, kubelet, etcd, API server, running commands); its disk stays.
fault_host_kill() {
        local p
        for p in $(host_pids "$1" "$2"); do
                kill -KILL "$p" 2>/dev/null || true
        done
}
# heal_host_kill TB HOST: the host boots again: sshd and every enabled unit start,
# as systemd's multi-user target would.
heal_host_kill() {
        local u
        # A reboot starts with an empty /run (a tmpfs): no unit runtime state, pid
        # files or sockets of the processes that died; host-init's own dirs stay.
        on "$1" "$2" find /run -mindepth 1 -maxdepth 1 ! -name sshd ! -name lock ! -name sudo -exec rm -rf {} +
        "$TESTBED" sshd-start --dir "$1" --host "$2"
        for u in $(on "$1" "$2" systemctl list-unit-files | awk '$2 == "enabled" {print $1}'); do
                on "$1" "$2" systemctl start "$u" >/dev/null 2>&1 || true
        done
}

# fault_api_503 TB HOST: the API server on HOST answers pharos with 503 at once;
# fault_api_timeout: with 504 after 3 s, as its request timeout filter does.
fault_api_503() { fault_api "$1" "$2" 503 0; }
heal_api_503() { heal_api "$1" "$2"; }
fault_api_timeout() { fault_api "$1" "$2" 504 3; }
heal_api_timeout() { heal_api "$1" "$2"; }

# fault_api_state TB HOST: only the stored state (kube-system/pharos-config) answers 503.
fault_api_state() { fault_api "$1" "$2" 503 0 /api/v1/namespaces/kube-system/configmaps/pharos-config; }
heal_api_state() { heal_api "$1" "$2"; }

# fault_api TB HOST CODE DELAY [PATH]: the API server on HOST answers pharos (the
# cluster admin) with CODE after DELAY seconds until healed (only under PATH if given).
fault_api() {
        local f
        f=$(tb_root "$1" "$2")/var/lib/pharos-testbed/apiserver-fault.json
        printf '{"code": %s, "delay": %s, "user": "kubernetes-admin", "path": "%s"}\n' "$3" "$4" "${5:-}" >"$f.tmp"
        mv "$f.tmp" "$f"
}
heal_api() { rm -f "$(tb_root "$1" "$2")/var/lib/pharos-testbed/apiserver-fault.json"; }

# etcd_pid TB HOST: the host's etcd process.
etcd_pid() {
        local p
        for p in $(host_pids "$1" "$2"); do
                [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == etcd ]] && echo "$p"
        done
}
# fault_etcd_stop TB HOST: HOST's etcd stops answering (SIGSTOP: the kubelet
# sees a live container and does not restart it, as with a hung member).
fault_etcd_stop() {
        local p
        for p in $(etcd_pid "$1" "$2"); do kill -STOP "$p"; done
}
heal_etcd_stop() {
        local p
        for p in $(etcd_pid "$1" "$2"); do kill -CONT "$p"; done
}

# --- snapshots ----------------------------------------------------------------

etcdctl_on() { # TB MASTER ARGS...
        local tb=$1 m=$2
        shift 2
        on "$tb" "$m" etcdctl --endpoints "https://$(tb_addr "$tb" "$m"):2379" \
                --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                --key /etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout=10s "$@"
}

# snapshot TB OUT MASTER...: what a fault must not lose, into directory OUT:
# members (etcd member names), keys (etcd keys but events and leases, which
# expire by design, and kube-proxy's pods, which a run that gives the workers
# their node-local API proxy replaces by restarting the DaemonSet), pki
# (sha256 of every file under /etc/kubernetes/pki on each master), state (the
# stored pharos-config ConfigMap's data).
snapshot() {
        local tb=$1 out=$2 m root
        shift 2
        mkdir -p "$out"
        : >"$out/pki"
        for m in "$@"; do
                root=$(tb_root "$tb" "$m")
                [[ -d "$root/etc/kubernetes/pki" ]] || continue
                (cd "$root/etc/kubernetes/pki" && find . -type f -print0 | sort -z | xargs -0 sha256sum) |
                        sed "s|  \./|  $m:|" >>"$out/pki"
        done
        etcdctl_on "$tb" "$1" member list -w json | jq -r '[.members[].name] | sort | .[]' >"$out/members"
        etcdctl_on "$tb" "$1" get /registry --prefix --keys-only |
                grep -v -e '^$' -e '^/registry/events/' -e '^/registry/leases/' -e '^/registry/masterleases/' \
                        -e '^/registry/pods/kube-system/kube-proxy-' |
                sort >"$out/keys"
        etcdctl_on "$tb" "$1" get /registry/configmaps/kube-system/pharos-config --print-value-only |
                jq -S '.data' >"$out/state" 2>/dev/null || : >"$out/state"
        [[ -s "$out/members" ]]
}

# lost BEFORE AFTER: prints what BEFORE has that AFTER lacks (members, keys,
# certificate files or contents, stored state); nothing when nothing was lost.
lost() {
        local b=$1 a=$2 f
        for f in members keys; do
                comm -23 <(sort "$b/$f") <(sort "$a/$f") | sed "s|^|$f: |"
        done
        # Every certificate and key stays; the authorities and the service account
        # key keep their content (leaf certificates may be re-issued: a master
        # added puts its address in the API server's SANs).
        comm -23 <(awk '{print $2}' "$b/pki" | sort) <(awk '{print $2}' "$a/pki" | sort) | sed 's|^|pki gone: |'
        comm -23 <(grep -E ':(etcd/)?(ca|front-proxy-ca|sa)\.(crt|key|pub)$' "$b/pki" | sort) <(sort "$a/pki") |
                sed 's|^|pki changed: |'
        if [[ -s "$b/state" ]] && ! cmp -s "$b/state" "$a/state"; then
                jq -e 'length > 0' "$a/state" >/dev/null 2>&1 || echo "state: the stored pharos-config is gone"
        fi
}
