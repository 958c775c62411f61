#!/usr/bin/env bash
# A run where nothing changed asks each host once: the steps' reads go in one
# batch per host (their prefetch()), the facts come with the cluster lock on
# the first master, and the run's own questions (state, admin.conf) ride in
# the batch. On 3 masters + 2 workers: every host at most 3 round trips (the
# first master's two are the lock's acquire and release), the others 2, for
# `up` and for `up --plan`. A change made on a host behind pharos' back is
# still seen by the same run (the batch is read fresh), and once a step has
# changed a host the reads after it go to that host again, while the other
# hosts keep their answers.
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
here=$(dirname "$0")
# shellcheck source=../../lib/assert.sh
. "$here/../../lib/assert.sh"
# shellcheck source=../runtime/lib.sh
. "$here/../runtime/lib.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/known_hosts
unset PHAROS_PLUGIN_PATH
tb_setup "$dir" "${ALL_PLUGINS[@]}"
export PHAROS_PLUGIN_PATH=$dir/plugins
"$TESTBED" start --hosts 5 --masters 3 --dir "$dir/tb" --os ubuntu-24.04 >/dev/null
cfg=$dir/tb/cluster.yml
mapfile -t addr < <(jq -r '.hosts[].address' "$dir/tb/hosts.json")
mapfile -t name < <(jq -r '.hosts[].name' "$dir/tb/hosts.json")

run "$PHAROS" up -c "$cfg"
expect_rc 0 "the first up"

# trips WHAT: checks the "N round trips" lines of the last -v run ($err).
trips() {
        local i n line
        for i in "${!addr[@]}"; do
                line=$(grep -F "[${addr[$i]}] " <<<"$err" | grep ' round trips (' || true)
                n=${line#*] }
                n=${n%% *}
                [[ "$n" =~ ^[0-9]+$ ]] || { fail "$1: no round-trip count for ${addr[$i]}"; continue; }
                echo "$1: ${name[$i]} $n round trips" >&2
                checks=$((checks + 1))
                ((n <= 3)) || fail "$1: ${name[$i]} took $n round trips (at most 3)"
                if ((i > 0)); then
                        expect_eq "$n" 2 "$1: round trips of ${name[$i]}"
                fi
        done
}

run "$PHAROS" -v up -c "$cfg"
expect_rc 0 "no-change up"
expect_contains "$out" "==> up: no changes" "no-change up"
trips "no-change up"
expect_contains "$err" "(prefetched)" "reads answered from the batch"
expect_not_contains "$err" "prefetch failed" "the batch ran on every host"

run "$PHAROS" -v up -c "$cfg" --plan
expect_rc 0 "up --plan"
expect_not_contains "$out" "would-run" "nothing to do in the plan"
trips "up --plan"

# Behind pharos' back: host-4's containerd configuration and the kubelet's
# configuration mark. The batch of the next run sees both.
on "$dir/tb" "${name[3]}" sh -c 'echo "# edited" >>/etc/containerd/config.toml'
on "$dir/tb" "${name[3]}" rm -f /etc/kubernetes/pharos/kubelet-config.sum
run "$PHAROS" -v up -c "$cfg"
expect_rc 0 "up after the edits"
expect_contains "$out" "runtime-containerd.configure" "containerd's configuration repaired"
expect_contains "$(grep -F "${addr[3]}" <<<"$out" || true)" "kubeadm.kubelet-config" \
        "the kubelet's configuration rewritten on ${name[3]}"
# After a step changed host-4, its later steps' reads go to it; host-5 keeps its answers.
packages_check() { grep -F "[$1] \$ sudo sh -s <<script of step os-ubuntu.kube-packages>>" <<<"$err" || true; }
after=$(packages_check "${addr[3]}")
expect_contains "$after" "kube-packages" "${name[3]}'s kube-packages check ran after the change"
expect_not_contains "$after" "(prefetched)" "no stale answer on the host a step changed"
expect_contains "$(packages_check "${addr[4]}")" "(prefetched)" "${name[4]} keeps its answers"
on "$dir/tb" "${name[3]}" grep -c "# edited" /etc/containerd/config.toml >"$dir/edited" || true
expect_eq "$(cat "$dir/edited")" 0 "the edit on ${name[3]} is gone"

run "$PHAROS" -v up -c "$cfg"
expect_rc 0 "no-change up after the repair"
expect_contains "$out" "==> up: no changes" "no-change up after the repair"
trips "no-change up after the repair"
finish
