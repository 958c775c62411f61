#!/usr/bin/env bash
# `pharos up` as an engine, on testbed hosts, with the probe fixture plugin:
# facts, steps on every host, a second run with no changes and its reads in one
# batch per host (prefetch), --plan, JSON events, a failing step named with
# phase/host/step, invalid cluster.yml.
set -euo pipefail
: "${PHAROS:?}" "${FIXTURES:?}" "${TESTBED:?}"
# shellcheck source=../../lib/assert.sh
. "$(dirname "$0")/../../lib/assert.sh"
dir=$(mktemp -d)
up_pid=
cleanup() {
        if [ -n "$up_pid" ]; then kill "$up_pid" 2>/dev/null || true; fi
        "$TESTBED" stop --dir "$dir" >/dev/null 2>&1 || true
        rm -rf "$dir" "$_tmp_out" "$_tmp_err"
}
trap cleanup EXIT
export PHAROS_NO_SYSTEM_PLUGINS=1 PHAROS_KNOWN_HOSTS=$dir/pharos_known_hosts
unset PHAROS_PLUGIN_PATH
"$TESTBED" start --hosts 3 --dir "$dir" --os ubuntu-24.04,debian-12,rocky-9 >/dev/null
up() { run "$PHAROS" --plugin-path "$FIXTURES/probe" up -c "$dir/cluster.yml" "$@"; }
addr() { jq -r ".hosts[$1].address" "$dir/hosts.json"; }
marker() { "$TESTBED" exec --dir "$dir" --host "host-$1" -- cat /etc/pharos-probe; }

# No plugin at all (an empty plugin directory, a missing plugins package): an error,
# not "no changes" on hosts nothing looked at; the same for worker up and reset.
mkdir "$dir/no-plugins"
run "$PHAROS" --plugin-path "$dir/no-plugins" up -c "$dir/cluster.yml"
expect_rc 1 "up without plugins"
expect_contains "$err" "no loaded plugin has a step for up (0 plugins loaded)" "up without plugins says so"
expect_not_contains "$out" "no changes" "up without plugins claims nothing"
run "$PHAROS" --plugin-path "$dir/no-plugins" reset -c "$dir/cluster.yml" --yes
expect_rc 1 "reset without plugins"
expect_contains "$err" "no loaded plugin has a step for reset (0 plugins loaded)" "reset without plugins says so"
# Said before connecting: hosts that do not answer SSH get the same message.
python3 - "$dir/cluster.yml" "$dir/unreachable.yml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for h in doc["hosts"]:
    h["ssh_port"] = 1
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
for cmd in up "reset --yes"; do
        # shellcheck disable=SC2086 # the command and its flag
        run "$PHAROS" --plugin-path "$dir/no-plugins" $cmd -c "$dir/unreachable.yml"
        expect_rc 1 "$cmd without plugins, hosts unreachable"
        expect_contains "$err" "no loaded plugin has a step for ${cmd%% *}" "$cmd: the plugins, before any connection"
        expect_not_contains "$err" "connect" "$cmd: no connection tried"
done

# An OS plugin without a control-plane plugin (the plugins package left out) prepares
# hosts and joins nothing: warned about before connecting.
python3 - "$dir/cluster.yml" "$dir/ubuntu-only.yml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
doc["hosts"] = doc["hosts"][:1]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
run "$PHAROS" --plugin-path "$FIXTURES/probe" --plugin-path "$FIXTURES/os-fixture" up --plan -c "$dir/ubuntu-only.yml"
expect_rc 0 "up --plan without a control-plane plugin"
expect_contains "$err" "warning: no control-plane plugin is loaded: up prepares the hosts and joins nothing" \
        "up without a control-plane plugin says so"
run "$TESTBED" exec --dir "$dir" --host host-1 -- test -f /etc/pharos-probe
expect_rc 1 "nothing changed by the plan"

# Hosts no loaded OS plugin supports: refused after validation, before any change.
run "$PHAROS" --plugin-path "$FIXTURES/probe" --plugin-path "$FIXTURES/os-fixture" up -c "$dir/cluster.yml"
expect_rc 1 "unsupported OS"
expect_contains "$err" "phase validate, host $(addr 1): debian 12 is not supported by any loaded OS plugin; supported: os-fixture (Ubuntu, any version)" "unsupported OS message"
run "$TESTBED" exec --dir "$dir" --host host-1 -- test -f /etc/pharos-probe
expect_rc 1 "nothing changed on the supported host either"

# hosts[].private_interface is read with the facts: a missing interface, or one without
# an IPv4 address (lo has host-scope ones only), fails the run naming the host and the
# interface, before any change.
python3 - "$dir/cluster.yml" "$dir/iface.yml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
doc["hosts"][0]["private_interface"] = "pharos-none0"
doc["hosts"][1]["private_interface"] = "lo"
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
run "$PHAROS" --plugin-path "$FIXTURES/probe" up -c "$dir/iface.yml"
expect_rc 1 "private_interface without an address"
expect_contains "$err" "$(addr 0): private_interface 'pharos-none0': the host has no such interface" \
        "a missing interface named with its host"
expect_contains "$err" "$(addr 1): private_interface 'lo' has no IPv4 address" \
        "an interface without IPv4 named with its host"
run "$TESTBED" exec --dir "$dir" --host host-3 -- test -f /etc/pharos-probe
expect_rc 1 "nothing changed on the host whose facts were fine"

up
expect_rc 0 "first up"
expect_contains "$out" "3 changes" "first up changes every host"
for i in 1 2 3; do
        a=$(addr $((i - 1)))
        expect_contains "$out" "$a" "progress names host $a"
done
expect_eq "$(marker 1)" "address=$(addr 0) role=master os=ubuntu version=24.04 hostname=host-1" "facts on host 1"
expect_eq "$(marker 2)" "address=$(addr 1) role=worker os=debian version=12 hostname=host-2" "facts on host 2"
expect_eq "$(marker 3)" "address=$(addr 2) role=worker os=rocky version=9.4 hostname=host-3" "facts on host 3"

up
expect_rc 0 "second up"
expect_contains "$out" "no changes" "second up changes nothing"

# Prefetch (ABI 1.6): probe.copy's reads are made by its prefetch() and asked
# in one batch per host, then answered to its applies() without a round trip;
# prefetch() gets PHAROS_DEFERRED and empty results, and no upload or API.
run "$PHAROS" -v --plugin-path "$FIXTURES/probe" up -c "$dir/cluster.yml"
expect_rc 0 "no-change up, verbose"
expect_contains "$out" "no changes" "no-change up, verbose"
expect_not_contains "$err" "prefetch contract" "prefetch() sees recorded reads and refusals"
for i in 0 1 2; do
        expect_contains "$err" "[$(addr $i)] \$ sudo cat /etc/pharos-probe-wanted 2>/dev/null || true   (prefetched)" \
                "probe.copy's command answered from the batch on $(addr $i)"
        expect_contains "$err" "[$(addr $i)] read /etc/pharos-probe-done   (prefetched)" \
                "probe.copy's read answered from the batch on $(addr $i)"
done
# A worker: the facts, the batch, and probe.marker's `test -f`, which runs
# without sudo and so is not batched.
expect_contains "$err" "[$(addr 1)] 3 round trips" "what a worker is asked"
# What changed on a host since the last run is in the batch.
"$TESTBED" exec --dir "$dir" --host host-2 -- sh -c 'echo v1 >/etc/pharos-probe-wanted'
up
expect_rc 0 "up after the host changed"
expect_contains "$(grep probe.copy <<<"$out" || true)" "$(addr 1)" "probe.copy ran on host 2"
expect_eq "$("$TESTBED" exec --dir "$dir" --host host-2 -- cat /etc/pharos-probe-done)" "v1" "the copy"

"$TESTBED" exec --dir "$dir" --host host-2 -- rm /etc/pharos-probe
up --plan
expect_rc 0 "plan"
expect_contains "$out" "would-run" "plan lists the step"
expect_contains "$out" "/etc/pharos-probe is missing" "plan says why"
expect_contains "$out" "1 step would run" "plan counts"
run "$TESTBED" exec --dir "$dir" --host host-2 -- test -f /etc/pharos-probe
expect_rc 1 "plan changed nothing"

up --output json
expect_rc 0 "json up"
expect_eq "$(jq -c 'select(.step=="probe.marker" and .status=="changed") | [.phase,.host]' <<<"$out")" \
        "[\"prepare-host\",\"$(addr 1)\"]" "one JSON event for the repaired host"
expect_eq "$(jq -r 'select(.phase=="up") | .detail' <<<"$out")" "1 change" "final JSON event"
expect_eq "$(jq -r 'keys | join(",")' <<<"$(head -1 <<<"$out")")" "detail,duration,host,phase,status,step" "event keys"

# Transient failures are retried per host: a step exiting 75 twice, then succeeding.
cp "$dir/cluster.yml" "$dir/plain.yml"
printf '    labels:\n      probe-flaky: "2"\n' >>"$dir/cluster.yml"
up
expect_rc 0 "flaky step retried"
expect_contains "$out" "probe.flaky                          retry" "retry shown"
expect_contains "$out" "attempt 2 failed, next in 2s: the script of step probe.flaky exited 75: not ready yet (attempt 2)" "second retry with backoff"
expect_contains "$err" "[$(addr 2)] probe.flaky: attempt 1 failed (transient)" "retry logged with host, step, attempt"
expect_eq "$("$TESTBED" exec --dir "$dir" --host host-3 -- cat /etc/pharos-probe-flaky)" "3" "succeeded on the third attempt"
expect_contains "$out" "1 change" "the retried step counts once"
# ...within the host's budget: 2 s allow one 1 s wait, not the 2 s one after it.
"$TESTBED" exec --dir "$dir" --host host-3 -- rm /etc/pharos-probe-flaky /var/tmp/pharos-probe-flaky.count
sed -i 's/probe-flaky: "2"/probe-flaky: "5"/' "$dir/cluster.yml"
up --retry-budget 2
expect_rc 1 "budget spent"
expect_contains "$err" "step probe.flaky: the script of step probe.flaky exited 75: not ready yet (attempt 2) (transient; gave up after 2 attempts" "gives up naming the budget"
cp "$dir/plain.yml" "$dir/cluster.yml"
# An SSH server that is down for a moment: the connection is retried.
"$TESTBED" sshd-stop --dir "$dir" --host host-2
"$PHAROS" --plugin-path "$FIXTURES/probe" up -c "$dir/cluster.yml" --output json >"$dir/up.json" 2>"$dir/up.err" &
up_pid=$!
sleep 2
"$TESTBED" sshd-start --dir "$dir" --host host-2
rc=0
wait "$up_pid" || rc=$?
up_pid=
expect_eq "$rc" 0 "up after sshd came back"
expect_eq "$(jq -r 'select(.phase=="connect" and .status=="retry") | .host' "$dir/up.json" | sort -u)" "$(addr 1)" "connection retried"

# A failing step: exit 1, the error names phase, host, step and the stderr tail.
sed -i "0,/role: worker/s//role: worker\n    labels:\n      probe-fail: \"yes\"/" "$dir/cluster.yml"
up
expect_rc 1 "failing step"
expect_contains "$err" "phase runtime, host $(addr 1), step probe.failer" "error names phase/host/step"
expect_contains "$err" "exited 3: probe refuses" "error quotes stderr"
expect_contains "$err" "failed on 1 of 3 hosts" "summary counts hosts"
expect_eq "$(grep -c retry <<<"$out" || true)" 0 "a script error is not retried"

# An invalid cluster.yml: exit 2 before any connection.
printf 'hosts:\n  - address: 127.0.0.1\n    role: boss\n' >"$dir/bad.yml"
run "$PHAROS" --plugin-path "$FIXTURES/probe" up -c "$dir/bad.yml"
expect_rc 2 "invalid cluster.yml"
expect_contains "$err" "bad.yml:3:" "located error"
run "$PHAROS" up --bogus
expect_rc 2 "bad flag"
# A network provider no loaded plugin provides: exit 2, naming the key's line.
printf 'hosts:\n  - address: 127.0.0.1\n    role: master\nnetwork:\n  provider: calico\n' >"$dir/net.yml"
run "$PHAROS" --plugin-path "$FIXTURES/probe" up -c "$dir/net.yml"
expect_rc 2 "unknown network provider"
expect_contains "$err" "net.yml:5:13: error: network.provider: no loaded network plugin provides 'calico'" "provider error located"
expect_contains "$err" "no network plugin is loaded" "loaded providers listed"
finish
