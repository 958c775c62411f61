#!/bin/bash
# shellcheck disable=SC2016 # remote commands are single-quoted on purpose
# Two real-tier hosts, Debian 12 and Debian 13: systemd boots to "running", sshd and sudo as pharos
# through the forwarder, the hosts reach each other over the bridge, each has
# its own cgroup subtree that its systemd manages, apt reaches the mirror; stop
# (and gc for a deleted DIR) leave no process, mount, namespace or cgroup.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$WORK/tb
t0=$SECONDS
tb_start "$D" --tier real --hosts 2 --os debian-12,debian-13
echo "start: $((SECONDS - t0))s"
for name in host-1 host-2; do
        echo "boot time of $name (launch to sshd listening): $(cat "$D/.testbed/hosts/$name/boot.seconds")s"
done

expect_eq "cluster.yml private addresses" "$(grep -c '^    private_address: 10\.250\.' "$D/cluster.yml")" 2
expect_eq "hosts.json tier" "$(jq -r '[.tier, (.hosts[].tier)] | join(",")' "$D/hosts.json")" real,real,real
expect_eq "hosts.json roles" "$(jq -r '[.hosts[].role] | join(",")' "$D/hosts.json")" master,worker
expect_eq "hosts.json os" "$(jq -r '[.hosts[].os] | join(",")' "$D/hosts.json")" debian-12,debian-13
block=$(jq -r .block "$D/hosts.json")

for name in host-1 host-2; do
        addr=$(host_field "$D" "$name" address)
        priv=$(host_field "$D" "$name" private_address)
        expect_eq "address of $name" "$addr" "127.0.$block.${priv##*.}"
        # ssh as pharos through the forwarder, with the host key known_hosts names
        expect_eq "user on $name" "$(tb_ssh "$D" "$addr" 'id -un; echo "$0"')" $'pharos\nsh'
        expect_eq "hostname of $name" "$(tb_ssh "$D" "$addr" hostname)" "$name"
        expect_eq "sudo on $name" "$(tb_ssh "$D" "$addr" 'sudo -n id -u')" 0
        expect_eq "PID 1 of $name" "$(tb_ssh "$D" "$addr" 'cat /proc/1/comm')" systemd
        os=$(host_field "$D" "$name" os)
        expect_eq "os of $name" "$(tb_ssh "$D" "$addr" '. /etc/os-release; echo "$ID-$VERSION_ID"')" "$os"
        state=$(tb_ssh "$D" "$addr" 'systemctl is-system-running --wait' || true)
        if [[ $state != running ]]; then
                tb_ssh "$D" "$addr" 'systemctl --failed --no-legend' >&2 || true
                fail "$name: systemctl is-system-running says '$state'"
        fi
        tb_ssh "$D" "$addr" 'grep -q "^[0-9]* [0-9]* [0-9:]* / / .* shared:" /proc/self/mountinfo' ||
                fail "/ of $name is not a shared mount"
        expect_eq "eth0 of $name" "$(tb_ssh "$D" "$addr" 'ip -4 -o addr show dev eth0' | awk '{ print $4 }')" "$priv/24"
        expect_eq "default route of $name" "$(tb_ssh "$D" "$addr" 'ip route show default' | awk '{ print $3 }')" \
                "10.250.$block.1"
        tb_ssh "$D" "$addr" 'getent hosts deb.debian.org registry.k8s.io' | awk '{ print $1 }' | sort -u |
                grep -qx "10.250.$block.1" || fail "$name: mirror names do not point at the gateway"
done
a1=$(host_field "$D" host-1 address)
a2=$(host_field "$D" host-2 address)
p1=$(host_field "$D" host-1 private_address)
p2=$(host_field "$D" host-2 private_address)
tb_ssh "$D" "$a1" "ping -c 1 -W 5 $p2" > /dev/null || fail "host-1 cannot ping host-2"
tb_ssh "$D" "$a2" "ping -c 1 -W 5 $p1" > /dev/null || fail "host-2 cannot ping host-1"
"$TESTBED" exec --dir "$D" --host host-1 -- sh -c 'echo exec: $(id -u) $(hostname)' | grep -qx 'exec: 0 host-1' ||
        fail "testbed exec does not run as root in host-1"

# Each host's cgroups are a subtree of its own: its systemd sits at the root
# of what it sees, which is .../pharos-testbed-K/host-i on the machine, and a
# unit with a memory limit gets it in that subtree.
init1=$(host_field "$D" host-1 pid)
init2=$(host_field "$D" host-2 pid)
for c in memory pids name=systemd; do
        in1=$(awk -F: -v c="$c" '$2 == c { print $3 }' "/proc/$init1/cgroup")
        in2=$(awk -F: -v c="$c" '$2 == c { print $3 }' "/proc/$init2/cgroup")
        [[ $in1 == */pharos-testbed-$block/host-1/init.scope ]] || fail "$c cgroup of host-1's systemd: $in1"
        [[ $in2 == */pharos-testbed-$block/host-2/init.scope ]] || fail "$c cgroup of host-2's systemd: $in2"
done
expect_eq "host-1's own view" "$(tb_ssh "$D" "$a1" 'grep memory /proc/1/cgroup')" "4:memory:/init.scope"
tb_ssh "$D" "$a1" 'sudo -n systemd-run -q --unit testbed-probe -p MemoryLimit=64M sleep 300'
mem=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$init1/cgroup")
mem=/sys/fs/cgroup/memory${mem%/init.scope}
expect_eq "memory limit of a unit in host-1" "$(cat "$mem/system.slice/testbed-probe.service/memory.limit_in_bytes")" \
        67108864
tb_ssh "$D" "$a1" 'sudo -n systemctl stop testbed-probe'

# The mirror's names lead to the gateway over the bridge, and its certificate
# is trusted by the host's own CA bundle.
tb_ssh "$D" "$a1" 'curl -fsS -o /dev/null https://deb.debian.org/debian/dists/bookworm/InRelease' ||
        fail "host-1 cannot fetch from the mirror over HTTPS"
# apt: Debian's sources are plain HTTP. Until the mirror also listens on port
# 80 and proxies Debian's archive, the host's apt gets no further than the
# gateway: reported as pending, not passed.
for a in "$a1" "$a2"; do
        out=$(tb_ssh "$D" "$a" 'sudo -n apt-get update --error-on=any 2>&1') ||
                fail "apt-get update on $a through the mirror's Debian archive proxy: $out"
done
grep -q "trixie-security" <<< "$out" || fail "host-2's apt did not read trixie-security: $out"
echo "apt-get update: ok"

# What a stopped or collected testbed must leave: none of its processes, no
# mount of DIR in any mount namespace, none of its network namespaces, no
# cgroup directory.
pids_of() { # DIR: the hosts' inits and the switch, forwarder and mirror processes
        cat "$1/.testbed/inits"
}
netns_of() {
        local pid start
        while read -r pid start; do
                readlink "/proc/$pid/ns/net"
        done < "$1/.testbed/inits" | sort -u
}
expect_nothing_left() { # DIR PIDS NETNS BLOCK
        local pid start ns p
        while read -r pid start; do
                p=$(cat "/proc/$pid/stat" 2> /dev/null) || continue
                p=${p##*) }
                [[ ${p:0:1} != Z && "$(awk '{ print $20 }' <<< "$p")" == "$start" ]] && fail "process $pid still runs"
        done <<< "$2"
        for p in /proc/[0-9]*; do
                grep -qF " $1/" "$p/mountinfo" 2> /dev/null && fail "a mount of $1 stays in the namespace of ${p#/proc/}"
                for ns in $3; do
                        [[ "$(readlink "$p/ns/net" 2> /dev/null)" == "$ns" ]] && fail "$ns still used by ${p#/proc/}"
                done
        done
        if find /sys/fs/cgroup -maxdepth 6 -type d -name "pharos-testbed-$4" 2> /dev/null | grep -q .; then
                fail "cgroups pharos-testbed-$4 stay"
        fi
        ! block_held_by "$4" "$1" || fail "block $4 kept"
}

pids=$(pids_of "$D")
nets=$(netns_of "$D")
expect_eq "network namespaces (switch, 2 hosts, machine)" "$(wc -l <<< "$nets")" 4
t0=$SECONDS
"$TESTBED" stop --dir "$D"
echo "stop: $((SECONDS - t0))s"
TB_DIRS=()
expect_nothing_left "$D" "$pids" "$(grep -vxF "$(readlink /proc/self/ns/net)" <<< "$nets")" "$block"

# gc collects a real testbed whose DIR was deleted.
D=$WORK/tb2
tb_start "$D" --tier real --hosts 1
block=$(jq -r .block "$D/hosts.json")
pids=$(pids_of "$D")
nets=$(netns_of "$D")
rm -rf "$D"
TB_DIRS=()
"$TESTBED" gc
expect_nothing_left "$D" "$pids" "$(grep -vxF "$(readlink /proc/self/ns/net)" <<< "$nets")" "$block"
echo "ok"
