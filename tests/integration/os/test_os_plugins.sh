#!/usr/bin/env bash
# The OS-family plugins (os-ubuntu, os-debian, os-el) on testbed hosts with
# the emulators and the package mirror the testbed runs: essentials, kernel modules
# (host-2's kernel has no modules directory: pharos warns and goes on),
# sysctls, swap, /etc/environment, the pkgs.k8s.io repository and pinned,
# held kube packages; a second run changes nothing (pharos says so and no
# emulator call changed state); a host's repositories replace the default one.
# Commands for the hosts are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
set -euo pipefail
: "${PHAROS:?}" "${PLUGINS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
cleanup() {
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
# Only the OS plugins: the later phases' plugins need a control plane.
mkdir "$dir/plugins"
cp "$PLUGINS"/os-ubuntu.so "$PLUGINS"/os-debian.so "$PLUGINS"/os-el.so "$dir/plugins/"
"$TESTBED" start --hosts 3 --dir "$dir" --os ubuntu-24.04,debian-12,rocky-9 >/dev/null

# First the previous minor, then the default (1.37.2): host-1 through the
# default repository, the others through their own.
version=1.36.3
journal=/var/log/pharos-testbed/journal.jsonl

addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
# on HOST SCRIPT: runs SCRIPT as root on a testbed host, with the emulated tools.
on() {
        "$TESTBED" exec --dir "$dir" --host "$1" -- \
                env PATH=/usr/local/lib/pharos-testbed/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c "$2"
}
# host_yml INDEX ROLE [EXTRA]: one hosts: entry; EXTRA is indented YAML.
host_yml() {
        printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    role: %s\n' \
                "$(addr "$1")" "$dir/id_ed25519" "$2"
        [ -z "${3-}" ] || printf '%s\n' "$3"
}
up() { run "$PHAROS" --plugin-path "$dir/plugins" up -c "$1" "${@:2}"; }
lines() { on "$1" "wc -l <$journal 2>/dev/null || echo 0"; }
# changed_since HOST N: emulator calls after line N of HOST's journal that changed state.
changed_since() { on "$1" "tail -n +$(($2 + 1)) $journal 2>/dev/null" | jq -c 'select(.changed) | .argv'; }

ubuntu_extra='    environment:
      no_proxy: "localhost,127.0.0.1"
      PHAROS_TEST: "a b"'
{
        printf 'kubernetes:\n  version: %s\nhosts:\n' "$version"
        host_yml 0 master "$ubuntu_extra"
        host_yml 1 worker
        host_yml 2 worker
} >"$dir/os.yml"

# State the plugins must fix or keep: swap in fstab, an unrelated environment line.
on host-1 'echo "/swap.img none swap sw 0 0" >>/etc/fstab; echo "LANG=C.UTF-8" >/etc/environment'
on host-3 'mkdir -p /etc/selinux; printf "SELINUX=enforcing\nSELINUXTYPE=targeted\n" >/etc/selinux/config'
# host-2's kernel has no /lib/modules/RELEASE (as in a container): modprobe
# finds nothing, overlay and br_netfilter are built in.
on host-2 'echo "{\"modules_dir\": false}" >/var/lib/pharos-testbed/kernel.json'

up "$dir/os.yml" --plan
expect_rc 0 "plan"
expect_contains "$out" "load kernel module br_netfilter" "plan says why prepare runs"
expect_contains "$out" "install kubelet kubeadm kubectl $version" "plan says why packages install"
for h in host-1 host-2 host-3; do
        expect_eq "$(changed_since "$h" 0)" "" "plan changed nothing on $h"
done

up "$dir/os.yml"
expect_rc 0 "first up"
expect_contains "$out$err" "$(addr 1): modprobe finds no overlay br_netfilter (no /lib/modules/" \
        "up says host-2's modules cannot be loaded"
expect_contains "$out$err" "nothing loaded, /etc/modules-load.d/k8s.conf not written" "and what it did about it"
for h in host-1 host-2; do
        expect_eq "$(on "$h" "dpkg-query -W -f='\${Version}\n' kubelet kubeadm kubectl | sed 's/-[^-]*\$//' | tr '\n' ' '" 2>&1)" \
                "$version $version $version " "kube packages at $version on $h"
        expect_eq "$(on "$h" 'apt-mark showhold | sort | tr "\n" " "')" "kubeadm kubectl kubelet " "held on $h"
        expect_contains "$(on "$h" 'cat /etc/apt/sources.list.d/kubernetes.list')" \
                "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /" \
                "pkgs.k8s.io source on $h"
        expect_eq "$(on "$h" 'test -s /etc/apt/keyrings/kubernetes-apt-keyring.gpg && echo yes')" yes "keyring on $h"
        expect_eq "$(on "$h" 'dpkg-query -W -f="\${db:Status-Abbrev}" conntrack socat')" "ii ii " "essentials on $h"
done
expect_eq "$(on host-3 "rpm -q --qf '%{VERSION} ' kubelet kubeadm kubectl")" \
        "$version $version $version " "kube packages at $version on host-3"
expect_contains "$(on host-3 'cat /etc/yum.repos.d/kubernetes.repo')" \
        "exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni" "repo excludes (holds) on host-3"
expect_eq "$(on host-3 'rpm -q --qf "%{NAME} " conntrack-tools socat')" "conntrack-tools socat " "essentials on host-3"
expect_eq "$(on host-3 'cat /etc/selinux/config | tr "\n" " "')" "SELINUX=permissive SELINUXTYPE=targeted " "SELinux permissive on host-3"
for h in host-1 host-3; do
        expect_eq "$(on "$h" 'lsmod | awk "NR > 1 {print \$1}" | sort | tr "\n" " "')" "br_netfilter overlay " "modules on $h"
        expect_eq "$(on "$h" 'cat /etc/modules-load.d/k8s.conf | tr "\n" " "')" "overlay br_netfilter " "modules persisted on $h"
done
expect_eq "$(on host-2 'lsmod | awk "NR > 1"; ls /etc/modules-load.d/k8s.conf 2>/dev/null')" "" "nothing loaded or persisted on host-2"
for h in host-1 host-2 host-3; do
        expect_eq "$(on "$h" 'sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward | tr "\n" " "')" \
                "1 1 1 " "sysctls on $h"
        expect_contains "$(on "$h" 'cat /etc/sysctl.d/k8s.conf')" "net.ipv4.ip_forward = 1" "sysctls persisted on $h"
        expect_eq "$(on "$h" 'swapon --show')" "" "swap off on $h"
        expect_eq "$(on "$h" 'systemctl is-enabled kubelet')" enabled "kubelet enabled on $h"
done
expect_eq "$(on host-1 'grep swap /etc/fstab')" "#/swap.img none swap sw 0 0" "fstab swap commented out"
expect_eq "$(on host-1 'cat /etc/environment')" 'LANG=C.UTF-8
no_proxy="localhost,127.0.0.1"
PHAROS_TEST="a b"' "/etc/environment keeps other lines"

declare -A mark
for h in host-1 host-2 host-3; do mark[$h]=$(lines "$h"); done
up "$dir/os.yml"
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up says no changes"
for h in host-1 host-2 host-3; do
        expect_eq "$(changed_since "$h" "${mark[$h]}")" "" "no state-changing call on $h in the second up"
done

# A host's repositories replace the default one, and the packages come from
# them: the upgrade to the default version goes through the override on
# host-2 and host-3 (the default repository is gone there) and through the
# default repository on host-1.
mirror_deb='    repositories:
      - name: k8s-mirror
        contents: "deb [signed-by=/etc/apt/keyrings/k8s-mirror.gpg] https://pkgs.k8s.io/core:/stable:/v1.37/deb/ /"
        key_url: https://pkgs.k8s.io/core:/stable:/v1.37/deb/Release.key'
mirror_rpm='    repositories:
      - name: k8s-mirror
        contents: |
          [k8s-mirror]
          name=Kubernetes mirror
          baseurl=https://pkgs.k8s.io/core:/stable:/v1.37/rpm/
          enabled=1
          gpgcheck=1
          gpgkey=https://pkgs.k8s.io/core:/stable:/v1.37/rpm/repodata/repomd.xml.key
          exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni'
{
        echo "hosts:"
        host_yml 0 master "$ubuntu_extra"
        host_yml 1 worker "$mirror_deb"
        host_yml 2 worker "$mirror_rpm"
} >"$dir/mirror.yml"
up "$dir/mirror.yml"
expect_rc 0 "up with repositories"
for h in host-1 host-2; do
        expect_eq "$(on "$h" "dpkg-query -W -f='\${Version}\n' kubelet kubeadm kubectl | sed 's/-[^-]*\$//' | tr '\n' ' '")" \
                "1.37.2 1.37.2 1.37.2 " "upgraded on $h"
        expect_eq "$(on "$h" 'apt-mark showhold | sort | tr "\n" " "')" "kubeadm kubectl kubelet " "still held on $h"
done
expect_eq "$(on host-3 "rpm -q --qf '%{VERSION} ' kubelet kubeadm kubectl")" "1.37.2 1.37.2 1.37.2 " "upgraded on host-3"
expect_contains "$(on host-1 'cat /etc/apt/sources.list.d/kubernetes.list')" "https://pkgs.k8s.io/core:/stable:/v1.37/deb/ /" \
        "default source follows the minor on host-1"
expect_eq "$(on host-2 'ls /etc/apt/sources.list.d/ | grep -E "kubernetes|k8s" | tr "\n" " "')" "k8s-mirror.list " "default source replaced on host-2"
expect_eq "$(on host-2 'test -s /etc/apt/keyrings/k8s-mirror.gpg && echo yes')" yes "mirror keyring on host-2"
expect_eq "$(on host-2 'test -e /etc/apt/keyrings/kubernetes-apt-keyring.gpg || echo gone')" gone "default keyring removed"
expect_eq "$(on host-3 'ls /etc/yum.repos.d/ | grep -E "kubernetes|k8s" | tr "\n" " "')" "k8s-mirror.repo " "default repo replaced on host-3"
for h in host-1 host-2 host-3; do mark[$h]=$(lines "$h"); done
up "$dir/mirror.yml"
expect_rc 0 "up with repositories again"
expect_contains "$out" "no changes" "repositories kept"
for h in host-1 host-2 host-3; do
        expect_eq "$(changed_since "$h" "${mark[$h]}")" "" "no state-changing call on $h with repositories"
done
finish
