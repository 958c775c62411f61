#!/bin/sh
# Kernel and node settings every Kubernetes node needs (kubeadm install docs,
# "container runtimes" prerequisites): overlay and br_netfilter loaded and
# persisted, bridge/forwarding sysctls set and persisted, swap off now and in
# /etc/fstab, /etc/environment carrying the host's `environment`.
# PHAROS_MODE=check only prints what it would change; apply changes it. Each
# change is one "pharos-change: ..." line on stdout.
# PHAROS_ENVIRONMENT: KEY="VALUE" lines for /etc/environment (may be empty).
set -eu
mode=${PHAROS_MODE:?}
env_lines=${PHAROS_ENVIRONMENT-}

# Prints the change and says whether to make it.
need() {
        printf 'pharos-change: %s\n' "$1"
        [ "$mode" = apply ]
}

modules="overlay br_netfilter"
# A kernel built without module support has no /proc/modules (lsmod fails):
# what the modules provide must then be built in, and there is nothing to
# load or to list for systemd-modules-load.
modular=yes
if lsmod_out=$(lsmod 2>/dev/null); then
        loaded=$(printf '%s\n' "$lsmod_out" | awk 'NR > 1 { print $1 }')
else
        modular=no
        grep -qw overlay /proc/filesystems ||
                { echo "the kernel has no overlay file system and cannot load modules" >&2 && exit 1; }
        [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
                { echo "the kernel has no br_netfilter and cannot load modules" >&2 && exit 1; }
fi
for m in $modules; do
        [ "$modular" = yes ] || break
        if printf '%s\n' "$loaded" | grep -qx "$m"; then
                continue
        fi
        # Built into the kernel: nothing to load.
        if grep -q "/$m.ko" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then
                continue
        fi
        if need "load kernel module $m"; then
                modprobe "$m"
        fi
done

modules_conf=/etc/modules-load.d/k8s.conf
modules_want="overlay
br_netfilter"
if [ "$modular" = yes ] && [ "$(cat "$modules_conf" 2>/dev/null || true)" != "$modules_want" ]; then
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
