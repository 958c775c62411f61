# Shared by the runtime and firewalld integration tests (sourced).
# shellcheck shell=bash

# tb_setup DIR PLUGIN...: a plugin directory holding only the named plugins,
# so the test loads nothing else from the build.
tb_setup() {
        local dir=$1 p
        shift
        mkdir -p "$dir/plugins"
        for p in "$@"; do
                cp "$PLUGINS/$p.so" "$dir/plugins/"
        done
}

# journal DIR HOST: "changed argv..." per emulator call on the host.
journal() {
        "$TESTBED" exec --dir "$1" --host "$2" -- \
                cat /var/log/pharos-testbed/journal.jsonl 2>/dev/null |
                jq -r '"\(.changed) \(.argv | join(" "))"'
}

# journal_mark DIR HOST: how many calls the journal holds now.
journal_mark() {
        journal "$1" "$2" | wc -l
}

# changed_since DIR HOST MARK: the state-changing calls after MARK.
changed_since() {
        journal "$1" "$2" | tail -n +"$(($3 + 1))" | sed -n 's/^true //p'
}

# on DIR HOST CMD...: run CMD as root inside the host with the emulators on PATH.
on() {
        local dir=$1 host=$2
        shift 2
        "$TESTBED" exec --dir "$dir" --host "$host" -- \
                env PATH=/usr/local/lib/pharos-testbed/bin:/var/lib/pharos-testbed/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# tb_mirror DIR: the testbed's package mirror (pharos-testbed-mirror) on the
# block's .250 address, and every host resolving the mirrored repository
# names to it and trusting its CA, as the emulators' README describes.
# Returns 1 when the emulators have no mirror.
tb_mirror() {
        local dir=$1 mirror block addr name
        mirror=$(cd "$(dirname "$TESTBED")/emulators/bin" && pwd -P)/pharos-testbed-mirror
        [[ -x "$mirror" ]] || return 1
        block=$(jq -r '.block' "$dir/tb/hosts.json")
        addr=127.0.$block.250
        "$mirror" --state "$dir/mirror" --init-only
        "$mirror" --state "$dir/mirror" --listen "$addr:443" >"$dir/mirror.log" 2>&1 &
        echo $! >"$dir/mirror.pid"
        for _ in $(seq 100); do
                curl -fsS -o /dev/null 2>/dev/null --cacert "$dir/mirror/ca.crt" --resolve "download.docker.com:443:$addr" \
                        https://download.docker.com/linux/ubuntu/gpg && break
                sleep 0.1
        done
        for name in $(jq -r '.hosts[].name' "$dir/tb/hosts.json"); do
                # shellcheck disable=SC2016
                "$TESTBED" exec --dir "$dir/tb" --host "$name" -- sh -c \
                        'echo "$1 pkgs.k8s.io download.docker.com registry.k8s.io" >>/etc/hosts &&
                         cat >>/etc/ssl/certs/ca-certificates.crt' sh "$addr" <"$dir/mirror/ca.crt"
        done
}

# tb_mirror_stop DIR: ends the mirror tb_mirror started.
tb_mirror_stop() {
        [[ -f "$1/mirror.pid" ]] || return 0
        kill "$(cat "$1/mirror.pid")" 2>/dev/null || true
        wait "$(cat "$1/mirror.pid")" 2>/dev/null || true
}

# pkg_version DIR HOST PACKAGE: the installed version (upstream-release) or nothing.
pkg_version() {
        # shellcheck disable=SC2016
        on "$1" "$2" sh -c 'if command -v rpm >/dev/null && rpm -q "$1" >/dev/null 2>&1; then
                rpm -q --qf "%{VERSION}-%{RELEASE}" "$1"
        else dpkg-query -W -f="\${Version}" "$1" 2>/dev/null; fi' sh "$3" || true
}

# pkg_held DIR HOST: the held (apt-mark) or version-locked (dnf) packages.
pkg_held() {
        on "$1" "$2" sh -c 'apt-mark showhold 2>/dev/null || dnf versionlock list 2>/dev/null' || true
}
