#!/usr/bin/env bash
# pharos exec and pharos ssh against sandbox hosts (issue 4 points 4 and 6):
# every host filter, the seed's exec line, exit codes, stderr, sudo, host
# keys, a bastion from cluster.yml, a stopped and a silent host, the PTY.
# Remote commands are single-quoted on purpose: they expand on the host.
# shellcheck disable=SC2016
set -euo pipefail
: "${PHAROS:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"

work=$(mktemp -d /tmp/pharos-exec-test.XXXXXX)
cleanup() {
        "$TESTBED" stop --dir "$work/tb" >/dev/null 2>&1 || true
        rm -rf "$work" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT

"$TESTBED" start --hosts 4 --masters 2 --bastion --no-sudo-nopasswd-on host-4 --dir "$work/tb" >/dev/null
tb=$work/tb
key=$tb/id_ed25519
h1=$(jq -r '.hosts[0].address' "$tb/hosts.json")
h2=$(jq -r '.hosts[1].address' "$tb/hosts.json")
h3=$(jq -r '.hosts[2].address' "$tb/hosts.json")
h4=$(jq -r '.hosts[3].address' "$tb/hosts.json")
bastion=$(jq -r '.bastion.address' "$tb/hosts.json")
export PHAROS_KNOWN_HOSTS=$work/known_hosts
unset SSH_AUTH_SOCK PHAROS_SSH_KEY_PASSPHRASE SSH_CONNECTION
yml=$work/cluster.yml
host() { # ADDRESS ROLE LABELS...
        printf '  - address: %s\n    role: %s\n    user: pharos\n    ssh_key_path: "%s"\n' "$1" "$2" "$key"
        local a=$1
        shift 2
        if [ $# -gt 0 ]; then
                echo "    labels:"
                printf '      %s\n' "$@"
        fi
        if [ "$a" = "$h3" ] || [ "$a" = "$h4" ]; then
                printf '    bastion:\n      address: %s\n' "$bastion"
        fi
}
{
        echo "hosts:"
        host "$h1" master "zone: a"
        host "$h2" master "zone: b"
        host "$h3" worker "zone: a" "gpu: \"yes\"" # h3 and h4 share one bastion session
        host "$h4" worker "zone: b"
} >"$yml"
# a kubeadm stand-in on the masters, for the seed's line
for m in host-1 host-2; do
        "$TESTBED" exec --dir "$tb" --host "$m" -- sh -c "printf '%s\n' '#!/bin/sh' \
'[ \"\$(id -u)\" = 0 ] || { echo \"kubeadm: must be root\" >&2; exit 1; }' \
'echo \"W1128 some warning\" >&2' 'echo \"[token] preparing\"' \
'echo \"kubeadm join 10.0.0.1:6443 --token \$(hostname) --discovery-token-ca-cert-hash sha256:00\"' \
>/usr/local/bin/kubeadm && chmod 755 /usr/local/bin/kubeadm"
done
px() { setsid -w "$PHAROS" "$@" </dev/null; }

# the seed's line, as written
run bash -c "cd '$work' && setsid -w '$PHAROS' exec -r master -f sudo kubeadm token create --print-join-command </dev/null | tail -1"
expect_rc 0 "seed exec line"
expect_eq "$out" "kubeadm join 10.0.0.1:6443 --token host-1 --discovery-token-ca-cert-hash sha256:00" "seed line prints the join command of the first master"
expect_eq "$(wc -l <"$work/known_hosts")" "1" "only the first master was contacted"

# all hosts: prefixed output, new host keys recorded
run px exec -c "$yml" hostname
expect_rc 0 "exec on every host"
expect_eq "$(sort <<<"$out")" "[$h1] host-1
[$h2] host-2
[$h3] host-3
[$h4] host-4" "output prefixed with the host"
expect_eq "$(wc -l <"$work/known_hosts")" "5" "host keys recorded (bastion included)"

# filters
run px exec -c "$yml" -r worker hostname
expect_eq "$(sort <<<"$out")" "[$h3] host-3
[$h4] host-4" "-r worker, two tunnels on one bastion session"
run px exec -c "$yml" -l zone=a hostname
expect_eq "$(sort <<<"$out")" "[$h1] host-1
[$h3] host-3" "-l zone=a"
run px exec -c "$yml" -l zone=a --label gpu=yes hostname
expect_eq "$out" "host-3" "-l twice: all labels, one host, no prefix"
run px exec -c "$yml" -a "$h2" -a "$h4" hostname
expect_eq "$(sort <<<"$out")" "[$h2] host-2
[$h4] host-4" "-a twice: any address"
run px exec -c "$yml" -f hostname
expect_eq "$out" "host-1" "-f"
run px exec -c "$yml" -r worker -l zone=b -- hostname
expect_eq "$out" "host-4" "role and label together, through the bastion"
run px exec -c "$yml" -l zone=c hostname
expect_rc 2 "no host matches"
expect_contains "$err" "no host in $yml matches (role any, label zone=c)" "no host message"

# exit codes, stderr apart, the failure summary
run px exec -c "$yml" -- 'echo out; echo err >&2; [ "$(hostname)" != host-2 ] || exit 3'
expect_rc 1 "a failing host makes exec fail"
expect_eq "$(sort <<<"$out")" "[$h1] out
[$h2] out
[$h3] out
[$h4] out" "stdout carries only stdout"
expect_contains "$err" "[$h2] err" "stderr prefixed on stderr"
expect_contains "$err" "failed on 1 of 4 hosts: $h2: exit status 3" "failure summary"
run px exec -c "$yml" -a "$h1" 'exit 0'
expect_rc 0 "exit 0"

# sudo that asks for a password
run px exec -c "$yml" -a "$h4" sudo true
expect_rc 1 "sudo asking a password"
expect_contains "$err" "$h4: sudo asks pharos for a password" "sudo password message"
expect_contains "$err" "for: sudo true" "sudo password message names the command"

# a changed host key, then --trust-hosts
sed -i "s|^$h3 .*|$h3 $(cut -d' ' -f1,2 "$tb/id_ed25519.pub")|" "$work/known_hosts"
run px exec -c "$yml" -a "$h3" hostname
expect_rc 1 "changed host key"
expect_contains "$err" "$h3: host key changed" "changed host key message"
run px exec -c "$yml" -a "$h3" --trust-hosts hostname
expect_rc 0 "--trust-hosts"
expect_eq "$out" "host-3" "--trust-hosts runs"

# bounded concurrency: one at a time takes at least the sum
start=$(date +%s%N)
run px exec -c "$yml" --concurrency 1 'sleep 0.4'
elapsed=$((($(date +%s%N) - start) / 1000000))
expect_rc 0 "--concurrency 1"
[ "$elapsed" -ge 1600 ] || fail "--concurrency 1 ran hosts together (${elapsed} ms for 4 x 400 ms)"
checks=$((checks + 1))

# a stopped sshd: named, within the connect timeout, the others finish
"$TESTBED" sshd-stop --dir "$tb" --host host-2 >/dev/null
start=$SECONDS
run px exec -c "$yml" --connect-timeout 8 hostname
expect_rc 1 "a host down"
expect_eq "$(sort <<<"$out")" "[$h1] host-1
[$h3] host-3
[$h4] host-4" "the other hosts finish"
expect_contains "$err" "$h2: connect to port 22: Connection refused" "the down host is named"
expect_contains "$err" "failed on 1 of 4 hosts" "summary with a host down"
[ $((SECONDS - start)) -le 8 ] || fail "took $((SECONDS - start)) s with a host down"
"$TESTBED" sshd-start --dir "$tb" --host host-2 >/dev/null

# a host that accepts TCP but never answers (sshd stopped with SIGSTOP):
# the connect timeout applies, the others finish
"$TESTBED" sshd-pause --dir "$tb" --host host-2 >/dev/null
start=$SECONDS
run px exec -c "$yml" --connect-timeout 2 hostname
"$TESTBED" sshd-resume --dir "$tb" --host host-2 >/dev/null
expect_rc 1 "a silent host"
expect_contains "$err" "$h2: SSH handshake failed: timed out" "the silent host is named"
expect_eq "$(grep -c '] host-' <<<"$out")" "3" "the other hosts finish beside a silent one"
[ $((SECONDS - start)) -le 8 ] || fail "connect timeout took $((SECONDS - start)) s"
checks=$((checks + 1))

# a passphrase-protected key, asked once on the terminal for every host
cp "$key" "$work/locked"
ssh-keygen -q -p -P '' -N 'open sesame' -f "$work/locked" >/dev/null
sed "s|$key|$work/locked|" "$yml" >"$work/locked.yml"
run bash -c "printf 'open sesame\n' | script -qec \"'$PHAROS' exec -c '$work/locked.yml' hostname\" /dev/null"
expect_rc 0 "passphrase asked on the terminal"
expect_eq "$(grep -c "Enter passphrase for key '$work/locked'" <<<"$out")" "1" "passphrase asked once"
expect_eq "$(grep -c '] host-' <<<"$out")" "4" "every host with the passphrase key"

# a localhost host runs through fork/exec, not SSH
printf 'hosts:\n  - address: localhost\n    role: master\n' >"$work/local.yml"
run px exec -c "$work/local.yml" -- 'hostname; echo "${SSH_CONNECTION:-no ssh}"'
expect_rc 0 "localhost host"
expect_eq "$out" "$(hostname)
no ssh" "localhost runs locally"

# usage errors
run px exec -c "$yml"
expect_rc 2 "no command"
run px exec -c "$yml" -l novalue true
expect_rc 2 "bad label filter"
run px exec -c "$work/missing.yml" true
expect_rc 2 "missing cluster.yml"
run px exec --help
expect_rc 0 "exec --help"
expect_contains "$out" "usage: pharos exec" "exec --help text"
run px ssh --help
expect_contains "$out" "usage: pharos ssh" "ssh --help text"

# pharos ssh: a command, its exit status, a PTY session
run px ssh -c "$yml" -a "$h1" -- 'hostname; exit 5'
expect_rc 5 "ssh -- CMD exit status"
expect_eq "$out" "host-1" "ssh -- CMD"
run px ssh -c "$yml" -r master
expect_rc 2 "ssh needs one host"
expect_contains "$err" "2 hosts are selected" "ssh with several hosts"
run bash -c "printf 'tty; exit 7\n' | script -qec \"'$PHAROS' ssh -c '$yml' -f\" /dev/null"
expect_rc 7 "interactive exit status"
expect_contains "$out" "/dev/pts/" "interactive session has a PTY"

finish
