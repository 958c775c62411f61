# Shared by the runtime and firewalld integration tests (sourced).
# shellcheck shell=bash

# tb_setup DIR PLUGIN...: the testbed emulators and a plugin directory holding
# only the named plugins, so the test loads nothing else from the build.
tb_setup() {
        local dir=$1 p
        shift
        mkdir -p "$dir/plugins" "$dir/emu"
        for p in "$@"; do
                cp "$PLUGINS/$p.so" "$dir/plugins/"
        done
        # The testbed binds only emulators/bin into a host; links that resolve
        # into the source tree let the tools find their pharos_emu package.
        local emu_src
        emu_src=$(cd "$(dirname "$TESTBED")/emulators/bin" && pwd -P)
        for p in "$emu_src"/*; do
                ln -s "$p" "$dir/emu/"
        done
        export TESTBED_EMULATORS=$dir/emu
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
