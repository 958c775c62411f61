#!/bin/sh
# Kernel and node settings every Kubernetes node needs (kubeadm install docs,
# "container runtimes" prerequisites): overlay and br_netfilter loaded and
# persisted, bridge/forwarding sysctls set and persisted, swap off now and in
# /etc/fstab, /etc/environment carrying the host's `environment`.
# PHAROS_MODE=check only prints what it would change; apply changes it. Each
# change is one "pharos-change: ..." line on stdout, each thing the host
# lacks and pharos works around one "pharos-warning: ..." line.
# PHAROS_ENVIRONMENT: KEY="VALUE" lines for /etc/environment (may be empty).
set -eu
mode=${PHAROS_MODE:?}
modules_conf=/etc/modules-load.d/k8s.conf
env_lines=${PHAROS_ENVIRONMENT-}

# Prints the change and says whether to make it.
need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

modules="overlay br_netfilter"
# Says whether the kernel has what module $1 provides without loading it
# (built in, or loaded by the machine under a container).
in_kernel() {
        case $1 in
        overlay) grep -qw overlay /proc/filesystems ;;
        br_netfilter) sysctl -n net.bridge.bridge-nf-call-iptables >/dev/null 2>&1 ;;
        esac
}
# A kernel built without module support has no /proc/modules (lsmod fails),
# and one without /lib/modules/RELEASE (containers, many VMs) lets modprobe
# find nothing: what the modules provide must then be in the kernel already,
# and there is nothing to load, nor to list for systemd-modules-load (whose
# unit would fail at boot). Each such host gets one pharos-warning line.
persist=yes
if lsmod_out=$(lsmod 2>/dev/null); then
        loaded=$(printf '%s\n' "$lsmod_out" | awk 'NR > 1 { print $1 }')
else
        persist=no
        for m in $modules; do
                in_kernel "$m" ||
                        { echo "the kernel has no $m and cannot load modules" >&2 && exit 1; }
        done
        echo "pharos-warning: the kernel cannot load modules; overlay and br_netfilter are built in: nothing loaded, $modules_conf not written"
        modules=
fi
release=$(uname -r)
missing=
for m in $modules; do
        if printf '%s\n' "$loaded" | grep -qx "$m"; then
                continue
        fi
        # modprobe -n finds built-in modules too, unless there is no
        # /lib/modules/RELEASE to look them up in.
        if ! why=$(modprobe -n "$m" 2>&1); then
                in_kernel "$m" ||
                        { echo "$m is neither loaded nor built in, and modprobe cannot load it: $why" >&2 && exit 1; }
                persist=no
                missing="$missing $m"
                continue
        fi
        # Built into the kernel: nothing to load.
        if grep -q "/$m.ko" "/lib/modules/$release/modules.builtin" 2>/dev/null; then
                continue
        fi
        if need "load kernel module $m"; then
                modprobe "$m"
        fi
done
if [ -n "$missing" ]; then
        echo "pharos-warning: modprobe finds no${missing} (no /lib/modules/$release?) but the kernel has them: nothing loaded, $modules_conf not written"
fi

modules_want="overlay
br_netfilter"
if [ "$persist" = yes ] && [ "$(cat "$modules_conf" 2>/dev/null || true)" != "$modules_want" ]; then
        if need "persist kernel modules in $modules_conf"; then
                mkdir -p /etc/modules-load.d
                printf '%s\n' "$modules_want" >"$modules_conf"
        fi
fi

sysctls="net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward"
sysctl_conf=/etc/sysctl.d/k8s.conf
sysctl_want=""
# One read for all: "KEY = VALUE" lines (a key the kernel lacks is left out).
# shellcheck disable=SC2086 # one word per key
current=$(sysctl $sysctls 2>/dev/null || true)
for k in $sysctls; do
        sysctl_want="${sysctl_want}${sysctl_want:+
}$k = 1"
        if ! printf '%s\n' "$current" | grep -qxF "$k = 1"; then
                if need "set sysctl $k = 1"; then
                        sysctl -q -w "$k=1"
                fi
        fi
done
if [ "$(cat "$sysctl_conf" 2>/dev/null || true)" != "$sysctl_want" ]; then
        if need "persist sysctls in $sysctl_conf"; then
                mkdir -p /etc/sysctl.d
                printf '%s\n' "$sysctl_want" >"$sysctl_conf"
        fi
fi

if [ -n "$(swapon --show 2>/dev/null || true)" ]; then
        if need "turn swap off"; then
                swapoff -a
        fi
fi
if [ -f /etc/fstab ] && awk '$1 !~ /^#/ && $3 == "swap" { found = 1 } END { exit !found }' /etc/fstab; then
        if need "comment out swap in /etc/fstab"; then
                fstab=$(awk '{ if ($1 !~ /^#/ && $3 == "swap") print "#" $0; else print }' /etc/fstab)
                printf '%s\n' "$fstab" >/etc/fstab
        fi
fi

if [ -n "$env_lines" ]; then
        # Lines of the managed keys are replaced in place, new keys appended,
        # every other line kept.
        have=$(cat /etc/environment 2>/dev/null || true)
        # The lines go to awk in its environment: they may hold a proxy password,
        # which an argument would show in /proc/PID/cmdline.
        want=$({ [ -z "$have" ] || printf '%s\n' "$have"; } | want_lines=$env_lines awk '
                BEGIN {
                        n = split(ENVIRON["want_lines"], lines, "\n")
                        for (i = 1; i <= n; i++) {
                                k = lines[i]
                                sub(/=.*/, "", k)
                                val[k] = lines[i]
                                order[i] = k
                        }
                }
                {
                        k = $0
                        sub(/^[ \t]*(export[ \t]+)?/, "", k)
                        sub(/=.*/, "", k)
                        if (k in val) {
                                if (!(k in done))
                                        print val[k]
                                done[k] = 1
                                next
                        }
                        print
                }
                END {
                        for (i = 1; i <= n; i++)
                                if (!(order[i] in done)) {
                                        print val[order[i]]
                                        done[order[i]] = 1
                                }
                }')
        if [ "$have" != "$want" ]; then
                keys=$(printf '%s\n' "$env_lines" | sed 's/=.*//' | tr '\n' ' ')
                if need "set ${keys% } in /etc/environment"; then
                        printf '%s\n' "$want" >/etc/environment
                fi
        fi
fi
