# shellcheck shell=bash
# prepare_by_hand TB N MINOR: hosts host-1..host-N of the testbed in TB
# prepared at once as the OS and runtime plugins would (prepare_host.sh: the
# runtime and the Kubernetes MINOR packages), for tests that load only the
# kubeadm plugin and the plugins under test. Fails if any host's did.
prepare_by_hand() {
        local tb=$1 n=$2 minor=$3 i p pids=()
        for ((i = 1; i <= n; i++)); do
                "$TESTBED" exec --dir "$tb" --host "host-$i" -- sh -s "$minor" \
                        "$(jq -r ".hosts[$((i - 1))].address" "$tb/hosts.json")" \
                        <"${BASH_SOURCE[0]%/*}/prepare_host.sh" &
                pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p"; done
}
