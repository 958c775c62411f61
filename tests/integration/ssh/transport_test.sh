#!/usr/bin/env bash
# The SSH transport against sandbox hosts (issue 4 point 6), driven through
# tp_probe: authentication, host keys, bastion, proxy command, sudo, files,
# output, exit codes, timeouts, reconnect, and the local transport.
# Remote commands are single-quoted on purpose: they expand on the host.
# shellcheck disable=SC2016
set -euo pipefail
: "${TP_PROBE:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"

work=$(mktemp -d /tmp/pharos-ssh-test.XXXXXX)
agent_pid=""
listener_pid=""
cleanup() {
        [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
        [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null
        "$TESTBED" stop --dir "$work/tb" >/dev/null 2>&1 || true
        rm -rf "$work" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT

"$TESTBED" start --hosts 3 --bastion --no-sudo-nopasswd-on host-3 --dir "$work/tb" >/dev/null
tb=$work/tb
key=$tb/id_ed25519
h1=$(jq -r '.hosts[0].address' "$tb/hosts.json")
h2=$(jq -r '.hosts[1].address' "$tb/hosts.json")
h3=$(jq -r '.hosts[2].address' "$tb/hosts.json")
bastion=$(jq -r '.bastion.address' "$tb/hosts.json")
export PHAROS_KNOWN_HOSTS=$work/known_hosts
unset SSH_AUTH_SOCK PHAROS_SSH_KEY_PASSPHRASE
probe() { setsid -w "$TP_PROBE" --user pharos "$@" </dev/null; }

# key auth, and the unknown host key recorded
run probe --key "$key" "$h1" exec 'id -un; hostname'
expect_rc 0 "key auth"
expect_eq "$out" $'pharos\nhost-1' "key auth runs as the user"
expect_contains "$err" "recorded in $work/known_hosts" "new host key reported"
expect_eq "$(cat "$work/known_hosts")" "$(grep "^$h1 " "$tb/known_hosts")" "known_hosts line as OpenSSH writes it"
run probe --key "$key" "$h1" exec true
expect_eq "$err" "" "a known key is accepted silently"

# changed host key: refused with both fingerprints, replaced with --trust-hosts
real_fp=$(ssh-keygen -lf "$tb/known_hosts" | awk -v h="$h1" '$3 == h { print $2 }')
ssh-keygen -q -t ed25519 -N '' -f "$work/other" </dev/null
echo "$h1 $(cut -d' ' -f1,2 "$work/other.pub")" >"$work/known_hosts"
old_fp=$(ssh-keygen -lf "$work/other.pub" | awk '{ print $2 }')
run probe --key "$key" "$h1" exec 'echo should-not-run'
expect_rc 255 "changed host key refused"
expect_eq "$out" "" "nothing ran on a changed host key"
expect_contains "$err" "$h1: host key changed" "changed key names the host"
expect_contains "$err" "$old_fp" "changed key shows the recorded fingerprint"
expect_contains "$err" "$real_fp" "changed key shows the presented fingerprint"
expect_contains "$err" "--trust-hosts" "changed key says how to accept it"
run probe --key "$key" --trust-hosts "$h1" exec 'echo replaced'
expect_rc 0 "--trust-hosts accepts the new key"
expect_eq "$(cat "$work/known_hosts")" "$(grep "^$h1 " "$tb/known_hosts")" "--trust-hosts replaced the line"
cp "$tb/known_hosts" "$work/known_hosts"

# a host recorded with an ECDSA key that now presents only ed25519: a changed
# key, not a new one (the MITM who lacks the recorded key offers another type)
ssh-keygen -q -t ecdsa -N '' -f "$work/other-ecdsa" </dev/null
echo "$h1 $(cut -d' ' -f1,2 "$work/other-ecdsa.pub")" >"$work/known_hosts"
ecdsa_fp=$(ssh-keygen -lf "$work/other-ecdsa.pub" | awk '{ print $2 }')
run probe --key "$key" "$h1" exec 'echo should-not-run'
expect_rc 255 "a key of another type refused"
expect_eq "$out" "" "nothing ran on a key of another type"
expect_contains "$err" "$h1: host key changed: $work/known_hosts line 1 has a ecdsa-sha2-nistp256 key $ecdsa_fp, the host now presents only a ssh-ed25519 key $real_fp" "type change named with both keys"
expect_eq "$(cat "$work/known_hosts")" "$h1 $(cut -d' ' -f1,2 "$work/other-ecdsa.pub")" "a key of another type is not recorded"
run probe --key "$key" --trust-hosts "$h1" exec 'echo replaced'
expect_rc 0 "--trust-hosts accepts a key of another type"
expect_eq "$(cat "$work/known_hosts")" "$(grep "^$h1 " "$tb/known_hosts")" "--trust-hosts replaced the other type's line"
cp "$tb/known_hosts" "$work/known_hosts"

# a revoked host key is refused, --trust-hosts or not
echo "@revoked * $(awk -v h="$h1" '$1 == h { print $2, $3 }' "$tb/known_hosts")" >>"$work/known_hosts"
run probe --key "$key" --trust-hosts "$h1" exec 'echo should-not-run'
expect_rc 255 "revoked host key refused"
expect_eq "$out" "" "nothing ran on a revoked host key"
expect_contains "$err" "$h1: host key $real_fp is revoked" "revoked key named with its fingerprint"
cp "$tb/known_hosts" "$work/known_hosts"

# wrong key: a clear error
ssh-keygen -q -t ed25519 -N '' -f "$work/wrong" </dev/null
run probe --key "$work/wrong" "$h1" exec true
expect_rc 255 "wrong key"
expect_contains "$err" "$h1: authentication as pharos failed (key $work/wrong refused" "wrong key message"

# ssh-agent, when the key file is missing
eval "$(ssh-agent -s)" >/dev/null
agent_pid=$SSH_AGENT_PID
ssh-add -q "$key"
run probe --key "$work/missing" "$h1" exec 'echo via-agent'
expect_rc 0 "agent auth"
expect_eq "$out" "via-agent" "agent auth runs"
kill "$agent_pid"
agent_pid=""
unset SSH_AUTH_SOCK SSH_AGENT_PID

# passphrase-protected key
cp "$key" "$work/locked"
ssh-keygen -q -p -P '' -N 'open sesame' -f "$work/locked" >/dev/null
run env PHAROS_SSH_KEY_PASSPHRASE='open sesame' setsid -w "$TP_PROBE" --user pharos --key "$work/locked" "$h1" exec 'echo unlocked'
expect_rc 0 "passphrase from PHAROS_SSH_KEY_PASSPHRASE"
expect_eq "$out" "unlocked" "passphrase key runs"
run env PHAROS_SSH_KEY_PASSPHRASE=wrong setsid -w "$TP_PROBE" --user pharos --key "$work/locked" "$h1" exec true
expect_rc 255 "wrong passphrase"
expect_contains "$err" "key $work/locked: wrong passphrase" "wrong passphrase message"
run probe --key "$work/locked" "$h1" exec true
expect_rc 255 "no passphrase and no terminal"
expect_contains "$err" "set PHAROS_SSH_KEY_PASSPHRASE" "no passphrase message"

# bastion (the hosts themselves refuse TCP forwarding; only the bastion allows it)
run probe --key "$key" --bastion "$bastion" "$h2" exec hostname
expect_rc 0 "through the bastion"
expect_eq "$out" "host-2" "the bastion reaches the host"
# host-1 refuses forwarding: used as a bastion, it must stop the connection
run probe --key "$key" --bastion "$h1" "$h2" exec hostname
expect_rc 255 "a bastion that refuses forwarding"
expect_contains "$err" "$h2: bastion $h1 cannot open a tunnel to port 22" "tunnel refusal message"

# proxy command
run probe --key "$key" --proxy "ssh -F $tb/ssh_config -W %h:%p $bastion" "$h2" exec hostname
expect_rc 0 "through a proxy command"
expect_eq "$out" "host-2" "proxy command reaches the host"

# sudo, and sudo asking for a password
run probe --key "$key" --sudo "$h1" exec 'id -un'
expect_eq "$out" "root" "sudo -n for a non-root user"
run probe --key "$key" --sudo "$h3" exec 'id -un'
expect_rc 255 "sudo wanting a password is an error"
expect_contains "$err" "$h3: sudo asks pharos for a password" "sudo password message names the host"
expect_contains "$err" "running: id -un" "sudo password message names the command"

# upload (binary, 10 MB, mode and owner, atomic) and read back
head -c 10485760 /dev/urandom >"$work/blob"
run probe --key "$key" "$h1" upload "$work/blob" /etc/pharos-blob 0640 root:pharos
expect_rc 0 "upload"
run probe --key "$key" "$h1" exec 'stat -c "%a %U %G %s" /etc/pharos-blob; ls -a /etc | grep -c pharos-upload || true'
expect_eq "$out" $'640 root pharos 10485760\n0' "uploaded mode, owner, size, no temporary left"
probe --key "$key" "$h1" read /etc/pharos-blob >"$work/back"
checks=$((checks + 1))
cmp -s "$work/blob" "$work/back" || fail "10 MB read back differs"
run probe --key "$key" "$h1" upload "$work/blob" /nonexistent-dir/x 0600
expect_rc 255 "upload into a missing directory fails"
expect_contains "$err" "$h1: cannot write /nonexistent-dir/x" "upload failure message"
run probe --key "$key" "$h1" read /etc/no-such-file
expect_contains "$err" "$h1: cannot read /etc/no-such-file" "read failure message"

# 10 MB of stdout intact, stderr separate, exit codes
want=$(head -c 10485760 /dev/zero | tr '\0' 'x' | fold -w 99 | md5sum)
got=$(probe --key "$key" "$h1" exec 'head -c 10485760 /dev/zero | tr "\0" x | fold -w 99' | md5sum)
expect_eq "$got" "$want" "10 MB of stdout"
run probe --key "$key" "$h1" exec 'echo out; echo err >&2; exit 3'
expect_rc 3 "exit status"
expect_eq "$out" "out" "stdout alone"
expect_eq "$err" "err" "stderr alone"
run probe --key "$key" "$h1" exec 'kill -TERM $$'
expect_rc 143 "killed by a signal: 128 + signal"

# without a sink, output lines go to the debug log with the host prefix
run probe --key "$key" "$h1" logged 'echo one; echo two >&2; printf three'
expect_eq "$out" "" "logged output is not on stdout"
expect_eq "$err" "[$h1] one
[$h1] two
[$h1] three" "output logged line by line with the host"

# scripts on stdin under env -i with only the declared variables
printf '%s\n' 'echo "A=$A"' 'echo "B=$B"' 'echo "HOME=${HOME:-unset} LEAK=${LEAK:-unset}"' 'id -un' >"$work/script"
run env LEAK=1 setsid -w "$TP_PROBE" --user pharos --key "$key" --sudo "$h1" script "$work/script" A=1 "B=it's \$x"
expect_eq "$out" $'A=1\nB=it\'s $x\nHOME=unset LEAK=unset\nroot' "script environment"
# script variables travel on stdin (issue 13): whole at any size, and never on a
# command line, where /proc/PID/cmdline (sudo's own, while it waits) would show them
big=$(head -c 20000 /dev/zero | tr '\0' x)
printf '%s\n' 'echo "${#BIG} $BIG_END"' \
        'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " " | grep -c "pw-in-a-va[r]" || true' >"$work/script-big"
run probe --key "$key" --sudo "$h1" script "$work/script-big" "BIG=$big" BIG_END=end \
        "PROXY=http://u:pw-in-a-var@proxy.example:3128"
expect_eq "$out" $'20000 end\n0' "script variables: 20 KB whole, none on a command line"
# a file read is never logged, even at debug level: the files read are keys
run probe --debug --key "$key" "$h1" read /etc/hostname
expect_eq "$out" "host-1" "file read"
expect_not_contains "$err" "host-1" "file contents not logged"

# one session for every command of a host
run probe --key "$key" "$h1" repeat 3 'echo "$SSH_CLIENT"'
expect_eq "$(sort -u <<<"$out" | wc -l)" "1" "commands share one session"
# a broken session is reconnected once
run probe --key "$key" "$h1" drop-then 'echo again'
expect_eq "$out" "again" "reconnect after a broken session"

# command timeout
start=$SECONDS
run probe --key "$key" --timeout 1000 "$h1" exec 'sleep 20'
expect_rc 255 "command timeout"
expect_contains "$err" "$h1: command timed out after 1 s" "timeout message"
[ $((SECONDS - start)) -lt 10 ] || fail "timeout took $((SECONDS - start)) s"

# connect timeout: a port that accepts but never speaks SSH
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(8); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$work/port" &
listener_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
start=$SECONDS
run probe --key "$key" --port "$(cat "$work/port")" --connect-timeout 1000 127.0.0.1 exec true
expect_rc 255 "connect timeout"
expect_contains "$err" "127.0.0.1: SSH handshake failed: timed out" "connect timeout message"
[ $((SECONDS - start)) -lt 8 ] || fail "connect timeout took $((SECONDS - start)) s"

# a host lost mid-run: the session breaks while its sshd is down (the
# reconnect fails), later commands fail cleanly, and once sshd is back the
# transport connects again
mkfifo "$work/lost-in"
trap '' PIPE # a crashed probe must fail the checks below, not kill the test before its cleanup
setsid -w "$TP_PROBE" --user pharos --key "$key" "$h2" lost 'echo back' <"$work/lost-in" >"$work/lost-out" 2>&1 &
lost_pid=$!
exec 7>"$work/lost-in"
for _ in $(seq 100); do grep -q connected "$work/lost-out" && break; sleep 0.1; done
"$TESTBED" sshd-stop --dir "$tb" --host host-2 >/dev/null
echo >&7 2>/dev/null || true
echo >&7 2>/dev/null || true
for _ in $(seq 100); do [ "$(grep -c . "$work/lost-out")" -ge 3 ] && break; sleep 0.1; done
"$TESTBED" sshd-start --dir "$tb" --host host-2 >/dev/null
echo >&7 2>/dev/null || true
exec 7>&-
trap - PIPE
rc=0
wait "$lost_pid" || rc=$?
out=$(cat "$work/lost-out")
expect_rc 0 "a lost host never crashes the transport"
expect_eq "$(sed -n 2,3p "$work/lost-out")" "error: $h2: connect to port 22: Connection refused
error: $h2: connect to port 22: Connection refused" "commands while the host is gone"
expect_eq "$(sed -n '4,$p' "$work/lost-out")" "back
status 0" "reconnected once sshd is back"
"$TESTBED" sshd-stop --dir "$tb" --host host-2 >/dev/null

# a host whose sshd is stopped
run probe --key "$key" "$h2" exec true
expect_rc 255 "stopped sshd"
expect_contains "$err" "$h2: connect to port 22: Connection refused" "stopped sshd names the host"

# local transport
run "$TP_PROBE" --local localhost exec 'echo "$((6 * 7))"; echo e >&2; exit 4'
expect_rc 4 "local exit status"
expect_eq "$out" "42" "local stdout"
expect_eq "$err" "e" "local stderr"
run "$TP_PROBE" --local localhost upload "$work/blob" "$work/local-copy" 0600
"$TP_PROBE" --local localhost read "$work/local-copy" >"$work/local-back"
expect_eq "$(stat -c %a "$work/local-copy")" "600" "local upload mode"
checks=$((checks + 1))
cmp -s "$work/blob" "$work/local-back" || fail "local read back differs"

finish
