#!/bin/bash
# Fan-out benchmark: `true` on N testbed hosts with pharos exec, OpenSSH
# (xargs -P N; default and curve25519 key exchange), parallel-ssh and Ansible.
#
#   bench/fanout.sh N          (env: REPS=5, PHAROS=path to the pharos binary,
#                               DELAY_MS=0: a network's round-trip time,
#                               BULK_MB=200: the bulk row's size, 0 for none)
#
# Every tool uses the same hosts, the testbed's key, and strict checking
# against the testbed's known_hosts. Each row: one warm-up run, then REPS
# measured runs. Per run:
#   wall, client CPU  /usr/bin/time (user+sys of the tool and every process it
#                     waited for), peak RSS = largest single process (%M);
#   sshd CPU          utime+stime+cutime+cstime of every host's listening sshd
#                     plus cutime+cstime of the host's init, from
#                     /proc/PID/stat, before and after the run. A connection's
#                     [priv] process is waited for by the listener, but it
#                     exits before its unprivileged session process
#                     ("sshd: user@notty", parent of the user's shell), which
#                     is then reparented to the host's init and reaped there:
#                     without the init's share about a fifth of the sshd side
#                     went uncounted.
# The key exchange each tool negotiates is read from a probe sshd on host-1
# (same config, port 2222, LogLevel DEBUG1), outside the measured runs.
# The floor is the smallest median sshd CPU of all rows spread over the cores.
#
# With DELAY_MS > 0, every tool reaches every host through delay_proxy.py,
# which adds that round-trip time to each connection (the hosts share the
# machine's loopback and this kernel may have no netem). Each row then also
# gets "trips": the round trips one command costs, from host-1 alone, as
# (median wall through the proxy - median wall direct) / DELAY_MS.
#
# Last, the bulk rows: host-1's sshd CPU (same accounting) to send BULK_MB of
# zeros to pharos exec and to OpenSSH with its default cipher and with
# pharos' (libssh2 has no chacha20-poly1305), each the median of REPS runs,
# direct. That is the ciphers' and the packet pattern's share of the cost.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed
N=${1:-}
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { sed -n '2,6p' "${BASH_SOURCE[0]}" >&2; exit 2; }
REPS=${REPS:-5}
DELAY_MS=${DELAY_MS:-0}
BULK_MB=${BULK_MB:-200}
[[ "$BULK_MB" =~ ^[0-9]+$ ]] || { echo "BULK_MB: not a number of MB: $BULK_MB" >&2; exit 2; }
[[ "$DELAY_MS" =~ ^[0-9]+$ ]] || { echo "DELAY_MS: not a number of milliseconds: $DELAY_MS" >&2; exit 2; }
# The delay proxy's listeners: each host's address at this port.
DPORT=2200
PHAROS=${PHAROS:-$ROOT/build/plugins/pharos}
CORES=$(nproc)
TICK=$(getconf CLK_TCK)

need=()
for p in pssh ansible time jq; do
        dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null | grep -q '^install ok installed$' || need+=("$p")
done
if ((${#need[@]})); then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/pharos-fanout.XXXXXX)
D=$WORK/tb
# shellcheck source=delay_proxy.sh
. "$ROOT/bench/delay_proxy.sh"
cleanup() {
        delay_proxy_stop
        "$TESTBED" stop --dir "$D" >&2 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

echo "starting $N testbed hosts" >&2
"$TESTBED" start --hosts "$N" --dir "$D" >&2
jq -r '.hosts[].address' "$D/hosts.json" > "$WORK/addrs"
KEY=$D/id_ed25519
A1=$(head -1 "$WORK/addrs")

listeners() { # the listening sshd of every host: children of the inits named sshd
        ps -e -o pid=,ppid=,comm= | awk -v inits=" $(jq -r '[.hosts[].pid] | join(" ")' "$D/hosts.json") " \
                'index(inits, " " $2 " ") && $3 == "sshd" { print $1 }'
}

# --- the tools; each sets CMD (argv) for HOSTS_FILE PORT KNOWN_HOSTS --------

ssh_opts() { # PORT KNOWN_HOSTS
        SSH_OPTS=(-F /dev/null -p "$1" -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$2"
                -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes)
}

tool_ssh_default() {
        ssh_opts "$2" "$3"
        CMD=(xargs -a "$1" -P "$N" -I'{}' ssh "${SSH_OPTS[@]}" 'pharos@{}' true)
}

tool_ssh_curve() {
        ssh_opts "$2" "$3"
        CMD=(xargs -a "$1" -P "$N" -I'{}' ssh "${SSH_OPTS[@]}" -o KexAlgorithms=curve25519-sha256 'pharos@{}' true)
}

tool_pssh() {
        CMD=(parallel-ssh -h "$1" -l pharos -p "$N" -t 120 -x "-F /dev/null -p $2"
                -O IdentityFile="$KEY" -O IdentitiesOnly=yes -O UserKnownHostsFile="$3"
                -O GlobalKnownHostsFile=/dev/null -O StrictHostKeyChecking=yes -O BatchMode=yes true)
}

tool_ansible() {
        local inv=$WORK/inventory-$2
        {
                sed "s/\$/ ansible_port=$2/" "$1"
                printf '[all:vars]\nansible_user=pharos\nansible_ssh_private_key_file=%s\n' "$KEY"
        } > "$inv"
        # ControlMaster off: a persisting master would serve the next runs from
        # an open connection and keep sshd work outside the measured run.
        CMD=(env ANSIBLE_HOME="$WORK/ansible" ANSIBLE_LOCAL_TEMP="$WORK/ansible/tmp"
                ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_NOCOLOR=1
                ANSIBLE_SSH_ARGS="-F /dev/null -o ControlMaster=no -o IdentitiesOnly=yes -o UserKnownHostsFile=$3 -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
                ansible all -i "$inv" -m raw -a true -f "$N")
}

tool_pharos() {
        local yml=$WORK/cluster-$2.yml a
        {
                echo "hosts:"
                while read -r a; do
                        printf '  - address: %s\n    user: pharos\n    ssh_key_path: "%s"\n    ssh_port: %s\n    role: master\n' \
                                "$a" "$KEY" "$2"
                done < "$1"
        } > "$yml"
        CMD=(env PHAROS_KNOWN_HOSTS="$3" "$PHAROS" exec -c "$yml" --concurrency "$N" -- true)
}

ROWS=(pharos ssh_default ssh_curve pssh ansible)
declare -A LABEL=([pharos]="pharos exec" [ssh_default]="OpenSSH xargs -P (default kex)"
        [ssh_curve]="OpenSSH xargs -P (curve25519)" [pssh]="parallel-ssh" [ansible]="ansible -m raw")
declare -A KEX SKIP

# --- key exchange probe -------------------------------------------------------

init1=$(jq -r '.hosts[0].pid' "$D/hosts.json")
hostroot=/proc/$init1/root
"$TESTBED" exec --dir "$D" --host host-1 -- sh -c \
        "sed -e 's/^ListenAddress .*/ListenAddress $A1:2222/' -e 's|^PidFile .*|PidFile /run/kex-probe.pid|' \
                /etc/ssh/sshd_config > /etc/ssh/kex-probe_config &&
         /usr/sbin/sshd -f /etc/ssh/kex-probe_config -o LogLevel=DEBUG1 -E /var/log/kex-probe.log"
echo "$A1" > "$WORK/probe-addrs"
{
        cat "$D/known_hosts"
        awk -v a="$A1" '$1 == a { print "[" a "]:2222", $2, $3 }' "$D/known_hosts"
} > "$WORK/probe-known_hosts"
for _ in $(seq 50); do
        grep -q "Server listening on $A1 port 2222" "$hostroot/var/log/kex-probe.log" 2> /dev/null && break
        sleep 0.1
done
for row in "${ROWS[@]}"; do
        if [[ $row == pharos && ! -x "$PHAROS" ]]; then
                SKIP[$row]="no pharos binary at $PHAROS (set PHAROS=...)"
                continue
        fi
        : > "$hostroot/var/log/kex-probe.log"
        "tool_$row" "$WORK/probe-addrs" 2222 "$WORK/probe-known_hosts"
        if ! out=$("${CMD[@]}" 2>&1 < /dev/null); then
                SKIP[$row]="probe run failed: $(head -3 <<< "$out" | tr '\n' ' ')"
                continue
        fi
        sleep 0.2
        KEX[$row]=$(sed -n 's/.*kex: algorithm: \([^ ]*\).*/\1/p' "$hostroot/var/log/kex-probe.log" | tail -1)
        KEX[$row]=${KEX[$row]:-unknown}
done
# By its pid file, in host-1's own PID namespace: the machine's process list
# also shows the connection children it re-executes with the same arguments,
# and the probes of any other testbed.
# shellcheck disable=SC2016 # expanded by the host's shell
"$TESTBED" exec --dir "$D" --host host-1 -- sh -c 'kill "$(cat /run/kex-probe.pid)"' </dev/null

# --- measured runs --------------------------------------------------------------

mapfile -t LISTENERS < <(listeners)
((${#LISTENERS[@]} == N)) || { echo "found ${#LISTENERS[@]} sshd listeners for $N hosts" >&2; exit 1; }

mapfile -t INITS < <(jq -r '.hosts[].pid' "$D/hosts.json")

sshd_ticks() {
        local p s t=0 f
        for p in "${LISTENERS[@]}"; do
                s=$(< "/proc/$p/stat")
                read -r -a f <<< "${s##*) }"
                t=$((t + f[11] + f[12] + f[13] + f[14]))
        done
        for p in "${INITS[@]}"; do
                s=$(< "/proc/$p/stat")
                read -r -a f <<< "${s##*) }"
                t=$((t + f[13] + f[14]))
        done
        echo "$t"
}

# Until no listener has a connection child left and no init has a child
# other than its listener and its idle sleep (orphaned sessions).
wait_sshd_idle() {
        local deadline=$((SECONDS + 60)) l i
        l=" ${LISTENERS[*]} "
        i=" ${INITS[*]} "
        while ps -e -o pid=,ppid=,comm= | awk -v l="$l" -v i="$i" '
                index(l, " " $2 " ") { f = 1 }
                index(i, " " $2 " ") && !index(l, " " $1 " ") && $3 != "sleep" { f = 1 }
                END { exit !f }'; do
                if ((SECONDS >= deadline)); then
                        echo "sshd connections did not finish (listeners:$l inits:$i):" >&2
                        ps -e -o pid=,ppid=,args= | awk -v l="$l" -v i="$i" 'index(l, " " $2 " ") || index(i, " " $2 " ")' >&2
                        exit 1
                fi
                sleep 0.05
        done
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# with_port PORT KNOWN_HOSTS: the testbed's known_hosts, its entries also
# under [ADDR]:PORT.
with_port() {
        awk -v p="$1" '{ print } { print "[" $1 "]:" p, $2, $3 }' "$D/known_hosts" > "$2"
}

PORT=22 KNOWN=$D/known_hosts
if ((DELAY_MS > 0)); then
        PORT=$DPORT KNOWN=$WORK/delay-known_hosts
        with_port "$DPORT" "$KNOWN"
        delay_proxy_start "$DELAY_MS" "$DPORT" "$WORK/addrs" "$WORK/proxy.out"
fi

# single_wall ROW PORT KNOWN: median wall of REPS runs of ROW on host-1 alone.
single_wall() {
        local r
        "tool_$1" "$WORK/probe-addrs" "$2" "$3"
        "${CMD[@]}" > /dev/null 2>&1 < /dev/null || return 1
        for ((r = 0; r < REPS; r++)); do
                /usr/bin/time -f '%e' -o "$WORK/time1" "${CMD[@]}" > /dev/null 2>&1 < /dev/null || return 1
                cat "$WORK/time1"
        done | median
}

declare -A WALL CLIENT SSHD RSS TRIPS
for row in "${ROWS[@]}"; do
        [[ -n "${SKIP[$row]:-}" ]] && continue
        if ((DELAY_MS > 0)); then
                if w0=$(single_wall "$row" 22 "$D/known_hosts") && wd=$(single_wall "$row" "$PORT" "$KNOWN"); then
                        TRIPS[$row]=$(awk -v a="$wd" -v b="$w0" -v d="$DELAY_MS" 'BEGIN { printf "%.1f", (a - b) * 1000 / d }')
                fi
        fi
        "tool_$row" "$WORK/addrs" "$PORT" "$KNOWN"
        : > "$WORK/runs"
        for ((r = 0; r <= REPS; r++)); do
                wait_sshd_idle
                before=$(sshd_ticks)
                if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "${CMD[@]}" > "$WORK/out" 2>&1 < /dev/null; then
                        SKIP[$row]="run failed: $(head -3 "$WORK/out" | tr '\n' ' ')"
                        break
                fi
                wait_sshd_idle
                after=$(sshd_ticks)
                ((r == 0)) && continue # warm-up
                read -r wall user sys rss < <(tail -1 "$WORK/time")
                echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $((after - before)) $rss" >> "$WORK/runs"
                echo "  ${LABEL[$row]} run $r: ${wall}s" >&2
        done
        [[ -n "${SKIP[$row]:-}" ]] && continue
        WALL[$row]=$(cut -d' ' -f1 "$WORK/runs" | median)
        CLIENT[$row]=$(cut -d' ' -f2 "$WORK/runs" | median)
        SSHD[$row]=$(cut -d' ' -f3 "$WORK/runs" | median | awk -v t="$TICK" '{ print $1 / t }')
        RSS[$row]=$(cut -d' ' -f4 "$WORK/runs" | sort -n | tail -1 | awk '{ print $1 / 1024 }')
done

# --- report -------------------------------------------------------------------

floor="" floor_row="" floor_sshd=""
for row in "${ROWS[@]}"; do
        [[ -n "${SSHD[$row]:-}" ]] || continue
        if [[ -z "$floor" ]] || awk -v a="${SSHD[$row]}" -v b="$floor_sshd" 'BEGIN { exit !(a < b) }'; then
                floor_sshd=${SSHD[$row]} floor_row=$row
                floor=$(awk -v s="$floor_sshd" -v c="$CORES" 'BEGIN { printf "%.2f", s / c }')
        fi
done

echo
echo "fan-out of 'true' to $N hosts: median of $REPS runs, $CORES cores, $(date -u +%FT%TZ)"
((DELAY_MS > 0)) && echo "every connection through delay_proxy.py: round-trip time ${DELAY_MS} ms; trips = round trips per command (host-1 alone)"
echo "load average at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) (wall times suffer from other load; CPU figures less)"
printf '%-32s %-38s %8s %8s %11s %9s %9s %6s\n' tool kex "wall s" "/pharos" "client CPU" "sshd CPU" "RSS MiB" trips
for row in "${ROWS[@]}"; do
        if [[ -n "${SKIP[$row]:-}" ]]; then
                printf '%-32s skipped: %s\n' "${LABEL[$row]}" "${SKIP[$row]}"
                continue
        fi
        ratio=-
        [[ -n "${WALL[pharos]:-}" ]] && ratio=$(awk -v a="${WALL[$row]}" -v p="${WALL[pharos]}" 'BEGIN { printf "%.2f", a / p }')
        printf '%-32s %-38s %8.2f %8s %11.2f %9.2f %9.1f %6s\n' "${LABEL[$row]}" "${KEX[$row]}" \
                "${WALL[$row]}" "$ratio" "${CLIENT[$row]}" "${SSHD[$row]}" "${RSS[$row]}" "${TRIPS[$row]:--}"
done
if [[ -n "$floor" ]]; then
        echo "floor: ${floor} s = sshd CPU ${floor_sshd} s (${LABEL[$floor_row]}) / $CORES cores"
fi
if [[ -n "${WALL[pharos]:-}" && -n "$floor" ]]; then
        echo "pharos / floor: $(awk -v a="${WALL[pharos]}" -v f="$floor" 'BEGIN { printf "%.2f", a / f }')"
        [[ -n "${WALL[ansible]:-}" ]] &&
                echo "pharos / ansible: $(awk -v a="${WALL[pharos]}" -v b="${WALL[ansible]}" 'BEGIN { printf "%.2f", a / b }')"
fi
# The targets compare CPU-bound walls; with a delay, round trips decide them.
if ((DELAY_MS == 0)) && [[ -n "${WALL[pharos]:-}" && -n "$floor" && -n "${WALL[ansible]:-}" ]]; then
        fastest=yes
        for row in "${ROWS[@]}"; do
                [[ $row == pharos || -z "${WALL[$row]:-}" ]] && continue
                awk -v p="${WALL[pharos]}" -v o="${WALL[$row]}" 'BEGIN { exit !(p < o) }' || fastest=no
        done
        awk -v p="${WALL[pharos]}" -v a="${WALL[ansible]}" -v f="$floor" -v r="${RSS[pharos]}" -v fast="$fastest" 'BEGIN {
                printf "targets: fastest row %s; <= 0.3 x ansible %s; <= 1.3 x floor %s; RSS < 64 MiB %s\n",
                        fast, (p <= 0.3 * a ? "yes" : "no"), (p <= 1.3 * f ? "yes" : "no"), (r < 64 ? "yes" : "no") }'
fi
echo "RSS: largest single process of the tool (getrusage); client CPU includes all its child processes."

# --- bulk ---------------------------------------------------------------------

# bulk_ticks CMD...: host-1's sshd ticks while CMD reads BULK_MB from it.
bulk_ticks() {
        local before after got
        wait_sshd_idle
        before=$(sshd_ticks)
        got=$("$@" "head -c $((BULK_MB * 1000000)) /dev/zero" < /dev/null | wc -c)
        wait_sshd_idle
        after=$(sshd_ticks)
        ((got == BULK_MB * 1000000)) || { echo "bulk: got $got bytes" >&2; return 1; }
        echo $((after - before))
}

if ((BULK_MB > 0)); then
        # host-1's init and its listener (the listeners are in process order,
        # which need not be the hosts' order).
        INITS=("${INITS[0]}")
        mapfile -t LISTENERS < <(ps -e -o pid=,ppid=,comm= | awk -v i="${INITS[0]}" '$2 == i && $3 == "sshd" { print $1 }')
        ssh_opts 22 "$D/known_hosts"
        "tool_pharos" "$WORK/probe-addrs" 22 "$D/known_hosts"
        bulk_yml=$WORK/cluster-22.yml
        declare -A BULK_CMD=(
                [pharos]="env PHAROS_KNOWN_HOSTS=$D/known_hosts $PHAROS exec -c $bulk_yml --"
                [ssh_chacha]="ssh ${SSH_OPTS[*]} -o KexAlgorithms=curve25519-sha256 pharos@$A1"
                [ssh_aes]="ssh ${SSH_OPTS[*]} -o KexAlgorithms=curve25519-sha256 -c aes128-ctr -m hmac-sha2-256 pharos@$A1")
        declare -A BULK_LABEL=([pharos]="pharos exec (aes128-ctr, hmac-sha2-256)"
                [ssh_chacha]="OpenSSH (chacha20-poly1305)" [ssh_aes]="OpenSSH (aes128-ctr, hmac-sha2-256)")
        echo
        echo "bulk: host-1's sshd CPU to send $BULK_MB MB, median of $REPS runs"
        for b in pharos ssh_chacha ssh_aes; do
                if [[ $b == pharos && ! -x "$PHAROS" ]]; then
                        printf '%-45s skipped: no pharos binary\n' "${BULK_LABEL[$b]}"
                        continue
                fi
                read -r -a cmd <<< "${BULK_CMD[$b]}"
                : > "$WORK/bulk"
                for ((r = 0; r < REPS; r++)); do
                        bulk_ticks "${cmd[@]}" >> "$WORK/bulk"
                done
                median < "$WORK/bulk" | awk -v t="$TICK" -v l="${BULK_LABEL[$b]}" '{ printf "%-45s %6.2f s\n", l, $1 / t }'
        done
fi
