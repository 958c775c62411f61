# The real tier of tests/testbed/testbed (sourced by it): Debian 12 or 13 hosts
# booted with their own systemd (boot.sh) on a bridge in a switch network
# namespace, reached from the machine through forward.py.
# shellcheck shell=bash
#
# Block K of the testbed gives:
#   switch netns   bridge br0, 10.250.K.1/24 (the mirror listens there on 443)
#   host i         its own namespaces, eth0 10.250.K.(10+i)/24 via veth hI
#                  into br0, default route via 10.250.K.1
#   machine        127.0.K.(10+i) ports 22 and 6443 lead to 10.250.K.(10+i)
#   cgroups        host i's subtree is <the starter's cgroup>/pharos-testbed-K/
#                  host-i in every v1 hierarchy; the only thing the testbed
#                  creates outside DIR and the cache, removed by stop and gc
#
# State in DIR/.testbed: tier, switch.start, forward.start, and per host
# hosts/NAME/{env,cgroups,upper,work,root,containerd,console.log,...}.

REAL_DIR=$SRC/real/host
# shellcheck disable=SC2034 # read by testbed
REAL_PACKAGES=(debootstrap python3 iproute2 util-linux openssh-client openssl)
REAL_FIRST=10 # host i is .(10+i) on the switch and on the machine's loopback
REAL_PORTS=22,6443
# Capabilities whose effect is machine-wide: the hosts' bounding set lacks them.
REAL_CAPS_DROP=-sys_time,-sys_module,-sys_rawio,-sys_pacct,-audit_control,-mac_admin,-mac_override,-wake_alarm,-block_suspend

real_gateway() { echo "10.250.$1.1"; }

in_netns() { # PID CMD...: CMD in the network namespace of PID (the machine's files)
        local pid=$1
        shift
        # Never the machine's own: that is where a PID that has not yet
        # unshared (or a wrong one) would put interfaces and routes.
        [[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]] ||
                die "process $pid is in the machine's network namespace"
        nsenter --net="/proc/$pid/ns/net" -- "$@"
}

# Waits until process PID has left the machine's network namespace.
real_wait_netns() { # PID
        local i
        for ((i = 0; i < 500; i++)); do
                [[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]] && return 0
                sleep 0.01
        done
        die "process $1 did not enter a network namespace of its own"
}

# The v1 hierarchies of the machine: "MOUNTPOINT KEY", KEY as /proc/PID/cgroup
# names it (memory, cpu,cpuacct, name=systemd ...).
real_hierarchies() {
        awk '$3 == "cgroup" && $2 ~ "^/sys/fs/cgroup/" {
                n = split($4, o, ","); s = ""
                for (i = 1; i <= n; i++)
                        if (o[i] ~ /^(name=.*|[a-z_]+)$/ && o[i] !~ /^(rw|ro|nosuid|nodev|noexec|relatime|noatime|xattr|clone_children|noprefix|cpuset_v2_mode)$/)
                                s = s (s == "" ? "" : ",") o[i]
                print $2, s }' /proc/self/mounts
}

# Creates the cgroups of host NAME under this process's own cgroups and lists
# them in STATE/hosts/NAME/cgroups and in the block (for gc); the hierarchies
# go to STATE/hosts/NAME/hierarchies for boot.sh.
real_cgroups_create() { # STATE BLOCK NAME
        local st=$1 k=$2 name=$3 mnt key base parent d
        : > "$st/hosts/$name/cgroups"
        real_hierarchies > "$st/hosts/$name/hierarchies"
        while read -r mnt key; do
                base=$(awk -F: -v k="$key" '$2 == k { print $3 }' /proc/self/cgroup)
                parent=$mnt${base%/}/pharos-testbed-$k
                d=$parent/$name
                mkdir -p "$d"
                if [[ -f "$mnt/cpuset.cpus" ]]; then
                        # A new v1 cpuset has no cpus or mems, and takes no tasks until given some.
                        cat "$mnt${base%/}/cpuset.cpus" > "$parent/cpuset.cpus"
                        cat "$mnt${base%/}/cpuset.mems" > "$parent/cpuset.mems"
                        cat "$parent/cpuset.cpus" > "$d/cpuset.cpus"
                        cat "$parent/cpuset.mems" > "$d/cpuset.mems"
                        echo 1 > "$d/cgroup.clone_children"
                fi
                echo "$d" >> "$st/hosts/$name/cgroups"
        done < "$st/hosts/$name/hierarchies"
        cat "$st/hosts/$name/cgroups" >> "$LOCK_ROOT/block-$k/cgroups"
}

# Removes cgroup directories (deepest first) once their processes are gone,
# then their pharos-testbed-K parents when empty.
real_cgroups_remove() { # FILE
        local f=$1 d deadline=$((SECONDS + 20))
        [[ -f "$f" ]] || return 0
        while read -r d; do
                [[ -d "$d" ]] || continue
                until find "$d" -depth -type d -exec rmdir {} + 2> /dev/null; do
                        ((SECONDS < deadline)) || die "cannot remove cgroup $d (still has processes?)"
                        sleep 0.05
                done
                rmdir "$(dirname "$d")" 2> /dev/null || true
        done < "$f"
}

real_start_switch() { # STATE BLOCK
        local st=$1 gw
        gw=$(real_gateway "$2")
        setsid unshare --net sleep infinity < /dev/null > /dev/null 2>&1 &
        echo "$! $(proc_start $!)" > "$st/switch.start"
        real_wait_netns "$!"
        in_netns "$!" sh -c "ip link set lo up && ip link add br0 type bridge &&
                ip addr add $gw/24 dev br0 && ip link set br0 up"
}

real_switch_pid() { cut -d' ' -f1 "$1/switch.start"; }

real_child_of() { # PID: its only child, waiting for it to appear
        local c i
        for ((i = 0; i < 200; i++)); do
                c=$(ps -o pid= --ppid "$1" | tr -d ' ')
                [[ -n "$c" ]] && { echo "$c"; return 0; }
                sleep 0.02
        done
        return 1
}

# Starts host NAME: boot.sh in new namespaces inside the host's cgroups; then
# plugs eth0 into the switch and addresses it, which boot.sh waits for.
real_boot_host() { # STATE BLOCK NAME INDEX
        local st=$1 k=$2 name=$3 i=$4 h=$1/hosts/$3 sw init addr gw
        sw=$(real_switch_pid "$st")
        addr=10.250.$k.$((REAL_FIRST + i))
        gw=$(real_gateway "$k")
        # shellcheck disable=SC2016 # expanded by the inner bash
        setsid bash -c 'while read -r d; do echo $$ > "$d/cgroup.procs"; done < "$1"; shift; exec "$@"' \
                launch "$h/cgroups" unshare --mount --uts --ipc --net --pid --cgroup --fork \
                --kill-child=KILL "$REAL_DIR/boot.sh" "$h" < /dev/null > "$h/console.log" 2>&1 &
        echo $! > "$h/unshare.pid"
        date +%s.%N > "$h/boot.t0"
        if ! init=$(real_child_of $!); then
                cat "$h/console.log" >&2
                die "host $name: boot.sh did not start"
        fi
        echo "$init" > "$h/init.pid"
        in_netns "$sw" ip link add "h$i" type veth peer name eth0 netns "$init"
        in_netns "$sw" ip link set "h$i" master br0 up
        in_netns "$init" sh -c "ip link set lo up && ip addr add $addr/24 dev eth0 &&
                ip link set eth0 up && ip route add default via $gw"
        : > "$h/net.ready"
}

real_start() { # DIR STATE BLOCK N MASTERS NOPW OS,...
        local dir=$1 st=$2 k=$3 n=$4 masters=$5 nopw=$6 oslist=$7
        local artifacts emu gw i name role sudo_ok maps=() names pw os oses
        local -A rootfs
        IFS=, read -r -a oses <<< "$oslist"
        for os in "${oses[@]}"; do
                [[ -n ${rootfs[$os]:-} ]] && continue
                rootfs[$os]=$("$REAL_DIR/rootfs.sh" "$os") || die "no $os root file system for the hosts"
        done
        # The real programs, and the packages and images made of them, that
        # the mirror serves (both cached: nothing is done when up to date).
        "$SRC/real/build/build.sh" >&2 || die "building the real tier's programs failed"
        artifacts=$("$SRC/real/artifacts/build.sh" | tail -1) ||
                die "packaging the real tier's programs failed"
        gw=$(real_gateway "$k")
        echo real > "$st/tier"
        rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub"
        ssh-keygen -q -t ed25519 -N '' -C "pharos-testbed@$k" -f "$dir/id_ed25519"
        pw=$(openssl passwd -6 "$USER_PASSWORD")
        real_start_switch "$st" "$k"

        # The mirror answers in the switch, on the hosts' gateway address.
        emu=${TESTBED_EMULATORS:-$SRC/emulators/bin}
        names=""
        if [[ -x "$emu/pharos-testbed-mirror" ]]; then
                start_mirror "$st" "$emu" "$gw" --netns "/proc/$(real_switch_pid "$st")/ns/net" \
                        --listen-http "$gw:80" --real "$artifacts"
                names=$("$emu/pharos-testbed-mirror" --names)
        fi

        : > "$st/list"
        for ((i = 1; i <= n; i++)); do
                name=host-$i
                # Like the emulated tier: host i runs the i-th OS of the list, cycling.
                os=${oses[(i - 1) % ${#oses[@]}]}
                if ((i <= masters)); then role=master; else role=worker; fi
                sudo_ok=yes
                [[ ",$nopw," == *",$name,"* ]] && sudo_ok=no
                mkdir -p "$st/hosts/$name"
                write_env "$st/hosts/$name/env" NAME="$name" ADDR="10.250.$k.$((REAL_FIRST + i))" \
                        GATEWAY="$gw" ROOTFS="${rootfs[$os]}" MIRROR_NAMES="$names" PW_HASH="$pw" \
                        SUDO_NOPASSWD="$sudo_ok" HOST_CAPS_DROP="$REAL_CAPS_DROP"
                cp "$dir/id_ed25519.pub" "$st/hosts/$name/authorized_keys"
                [[ -f "$st/mirror/ca.crt" ]] && cp "$st/mirror/ca.crt" "$st/hosts/$name/mirror-ca.crt"
                ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$st/hosts/$name/ssh_host_ed25519_key"
                echo "$name 127.0.$k.$((REAL_FIRST + i)) $os $role $sudo_ok" >> "$st/list"
                real_cgroups_create "$st" "$k" "$name"
        done
        for ((i = 1; i <= n; i++)); do
                real_boot_host "$st" "$k" "host-$i" "$i"
        done
        for ((i = 1; i <= n; i++)); do
                maps+=("127.0.$k.$((REAL_FIRST + i))=10.250.$k.$((REAL_FIRST + i))=$(cat "$st/hosts/host-$i/init.pid")")
        done
        setsid /usr/bin/python3 "$REAL_DIR/forward.py" --netns "/proc/$(real_switch_pid "$st")/ns/net" \
                --ports "$REAL_PORTS" "${maps[@]}" < /dev/null > "$st/forward.log" 2>&1 &
        echo "$! $(proc_start $!)" > "$st/forward.start"

        # Booted: sshd listens in every host (the forwarder listens for it).
        wait_listening "$st" "$n" $((120 + 10 * n))
        for ((i = 1; i <= n; i++)); do
                awk -v t0="$(cat "$st/hosts/host-$i/boot.t0")" -v t1="$(date +%s.%N)" \
                        'BEGIN { printf "%.1f\n", t1 - t0 }' > "$st/hosts/host-$i/boot.seconds"
                echo "testbed: host-$i booted in $(cat "$st/hosts/host-$i/boot.seconds")s (to sshd listening)"
        done
        start_watcher "$dir" "$st"
        record_inits "$st"
        real_write_outputs "$dir"
}

real_host_json() { # NAME ADDR PRIVATE ROLE SUDO_OK PID OS
        local sudo_json=true
        [[ $5 == yes ]] || sudo_json=false
        printf '{"name": "%s", "address": "%s", "private_address": "%s", "port": 22, "os": "%s", "tier": "real", "role": "%s", "sudo_nopasswd": %s, "pid": %s, "root": "/proc/%s/root", "etc": "/proc/%s/root/etc", "var": "/proc/%s/root/var"}' \
                "$1" "$2" "$3" "$7" "$4" "$sudo_json" "$6" "$6" "$6" "$6"
}

real_private() { # ADDRESS (127.0.K.X) -> 10.250.K.X
        local c d
        IFS=. read -r _ _ c d <<< "$1"
        echo "10.250.$c.$d"
}

real_write_outputs() {
        local dir=$1 st=$1/.testbed name addr role sudo_ok sep="" key=$1/id_ed25519
        {
                echo "# real-tier hosts written by tests/testbed/testbed; stop with: testbed stop --dir $dir"
                echo "hosts:"
                while read -r name addr _ role sudo_ok; do
                        printf '  - address: %s\n    private_address: %s\n    user: %s\n    ssh_key_path: "%s"\n    role: %s\n' \
                                "$addr" "$(real_private "$addr")" "$USER_NAME" "$key" "$role"
                done < "$st/list"
        } > "$dir/cluster.yml"
        {
                printf '{\n  "dir": "%s",\n  "tier": "real",\n  "block": %s,\n  "user": "%s",\n  "password": "%s",\n' \
                        "$dir" "$(cat "$st/block")" "$USER_NAME" "$USER_PASSWORD"
                printf '  "key": "%s",\n  "known_hosts": "%s",\n  "ssh_config": "%s",\n' \
                        "$key" "$dir/known_hosts" "$dir/ssh_config"
                printf '  "bastion": null,\n  "hosts": [\n'
                while read -r name addr os role sudo_ok; do
                        printf '%s    %s' "$sep" "$(real_host_json "$name" "$addr" "$(real_private "$addr")" \
                                "$role" "$sudo_ok" "$(cat "$st/hosts/$name/init.pid")" "$os")"
                        sep=$',\n'
                done < "$st/list"
                printf '\n  ]\n}\n'
        } > "$dir/hosts.json"
        while read -r name addr _ role sudo_ok; do
                echo "$addr,$(real_private "$addr") $(cut -d' ' -f1,2 "$st/hosts/$name/ssh_host_ed25519_key.pub")"
        done < "$st/list" > "$dir/known_hosts"
        write_ssh_config "$dir"
}

# Ends the processes only the real tier has (after the hosts' inits) and
# removes the hosts' cgroups; the namespaces, with their interfaces and
# mounts, end with their last process.
real_stop() { # STATE
        local st=$1 f pid start deadline=$((SECONDS + 20))
        for f in "$st/forward.start" "$st/switch.start"; do
                [[ -f "$f" ]] || continue
                read -r pid start < "$f"
                alive "$pid" "$start" && kill -KILL "$pid"
                while alive "$pid" "$start"; do
                        ((SECONDS < deadline)) || die "process $pid of $st does not exit"
                        sleep 0.02
                done
        done
        for f in "$st"/hosts/*/cgroups; do
                real_cgroups_remove "$f"
        done
}

# Becomes CMD as root inside host NAME: all its namespaces, its root and its
# cgroups (run it in a subshell to come back).
real_nsenter() { # DIR NAME CMD...
        local dir=$1 name=$2 init d
        shift 2
        init=$(host_init "$dir" "$name")
        while read -r d; do
                echo "$BASHPID" > "$d/cgroup.procs"
        done < "$dir/.testbed/hosts/$name/cgroups"
        exec nsenter -t "$init" -m -u -i -n -p -C -r -w -- \
                env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}

real_sshd() { # DIR NAME stop|start|STOP|CONT
        local dir=$1 name=$2 op=$3 addr
        addr=$(host_addr "$dir" "$name")
        case $op in
        stop | start)
                (real_nsenter "$dir" "$name" systemctl "$op" ssh.service)
                if [[ $op == stop ]]; then wait_port "$addr" down; else wait_port "$addr" up; fi
                ;;
        *)
                # shellcheck disable=SC2016 # expanded inside the host
                (real_nsenter "$dir" "$name" sh -c 'pid=$(systemctl show -p MainPID --value ssh.service) &&
                        [ "$pid" != 0 ] && kill -"$1" "$pid"' sh "$op") || die "no sshd runs on $name"
                ;;
        esac
}
