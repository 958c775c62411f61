# shellcheck shell=bash
# What every real-tier test starts with, sourced after tests/lib/assert.sh:
# the skip on a machine without the namespaces, a work dir removed with the
# testbed on exit, and helpers over the testbed in $dir/tb:
#   pharos ARGS...        the pharos under test with the built plugins
#   on HOST CMD...        CMD as root on HOST (host-1 ...)
#   step TEXT             a progress line with the seconds so far
#   addr N, paddr N       host N's address and private address (N from 1)
#   real_network FILE     cluster.yml's sections for the tier (the network:
#                         flannel through network-custom; the kubelets' disk
#                         thresholds) and audit section, written to FILE
#   cluster NAME N:ROLE...  $dir/NAME.yml: those hosts, then $dir/rest.yml
# Sets src (the source tree) and dir; a test's background job whose pid it puts
# in real_watcher is killed on exit.
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

# The tier needs root and new namespaces of every kind; a machine without
# them can't run it at all, and says so loudly.
if [[ $EUID -ne 0 ]] || ! unshare --mount --uts --ipc --net --pid --cgroup --fork true 2>/dev/null; then
        echo "SKIPPED: the real tier needs root and unshare of every namespace kind (uid $EUID)" >&2
        exit 77
fi

dir=$(mktemp -d)
real_watcher=""
real_cleanup() {
        local rc=$?
        [ -z "$real_watcher" ] || kill "$real_watcher" 2>/dev/null || true
        "$TESTBED" stop --dir "$dir/tb" >/dev/null 2>&1 || true
        # assert.sh's temporary files
        # shellcheck disable=SC2154
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
        exit "$rc"
}
trap real_cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
pharos() { "$PHAROS" --plugin-path "$PLUGINS" "$@"; }
on() { "$TESTBED" exec --dir "$dir/tb" --host "$1" -- "${@:2}"; }
t0=$SECONDS
step() { echo "== [$((SECONDS - t0))s] $*"; }
addr() { jq -r ".hosts[$(($1 - 1))].address" "$dir/tb/hosts.json"; }
paddr() { jq -r ".hosts[$(($1 - 1))].private_address" "$dir/tb/hosts.json"; }

real_network() {
        {
                "$src/tests/testbed/real/cluster-sections.sh"
                printf 'audit:\n  file:\n    path: /var/log/kubernetes/audit.json\n'
        } >"$1"
}

cluster() {
        local name=$1 spec
        shift
        {
                echo "hosts:"
                for spec in "$@"; do
                        printf '  - address: %s\n    private_address: %s\n    user: pharos\n' \
                                "$(addr "${spec%%:*}")" "$(paddr "${spec%%:*}")"
                        printf '    ssh_key_path: "%s"\n    role: %s\n' "$dir/tb/id_ed25519" "${spec#*:}"
                done
                cat "$dir/rest.yml"
        } >"$dir/$name.yml"
}
