# A testbed's owner (sourced by testbed): the process whose end stops the
# testbed, however it ends (a test SIGKILLed by ctest's timeout runs no EXIT
# trap). By default the process that ran `testbed start`; `--owner PID`
# names another, `--owner none` leaves the testbed to `testbed stop`.
# shellcheck shell=bash
#
# State in DIR/.testbed: owner ("PID START" or "none"), starter (the `testbed
# start` process, "PID START"), watcher.start, watcher.log. START is the start
# time in /proc/PID/stat, so that a reused pid is not taken for the process.

proc_parent() { # PID
        local stat
        stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
        stat=${stat##*) }
        awk '{ print $2 }' <<< "$stat"
}

# "PID START" of the owner named by --owner (a pid, none, or empty for the
# process that ran testbed: its parent, or through sudo, whose processes end
# with testbed's, the process that ran sudo).
owner_resolve() { # OWNER
        local pid=$1 start
        [[ $pid == none ]] && { echo none; return 0; }
        if [[ -z "$pid" ]]; then
                pid=$PPID
                while [[ "$(cat "/proc/$pid/comm" 2> /dev/null)" == sudo ]]; do
                        pid=$(proc_parent "$pid")
                done
        fi
        if ! start=$(proc_start "$pid") || is_zombie "$pid"; then
                die "owner $pid: no such process" 2
        fi
        echo "$pid $start"
}

# Whether the testbed in STATE has an owner and it ended, its start too (a
# start under way is its starter's to finish or to undo).
orphaned() { # STATE
        local pid start
        [[ -f "$1/owner" && "$(cat "$1/owner" 2> /dev/null)" != none ]] || return 1
        while read -r pid start; do
                alive "$pid" "$start" && return 1
        done < <(cat "$1/owner" "$1/starter" 2> /dev/null)
        return 0
}

# The watcher (owner-watch.py) runs `testbed stop --orphaned` once the starter
# and the owner have ended. In a session of its own, so that no signal to the
# caller's process group reaches it; once start returns its parent is gone,
# so neither does a kill of the caller's process tree. stop ends it, so it
# never outlives the testbed; it is in the block's processes for gc.
start_watcher() { # DIR STATE
        local dir=$1 st=$2
        [[ "$(cat "$st/owner")" == none ]] && return 0
        setsid /usr/bin/python3 "$SRC/owner-watch.py" "$SRC/testbed" "$dir" \
                "$(tr ' ' : < "$st/starter")" "$(tr ' ' : < "$st/owner")" \
                < /dev/null > "$st/watcher.log" 2>&1 &
        echo "$! $(proc_start $!)" > "$st/watcher.start"
}

# Ends the watcher, unless it is the caller (the watcher became `testbed stop`).
stop_watcher() { # STATE
        local pid start deadline=$((SECONDS + 20))
        [[ -f "$1/watcher.start" ]] || return 0
        read -r pid start < "$1/watcher.start"
        [[ $pid != "$$" ]] || return 0
        alive "$pid" "$start" && kill -KILL "$pid"
        while alive "$pid" "$start"; do
                ((SECONDS < deadline)) || die "watcher $pid of $1 does not exit"
                sleep 0.02
        done
}

# Testbeds of the blocks whose owner ended (their DIR still there), one DIR a
# line; testbed gc stops them.
orphaned_dirs() {
        local b dir
        for b in "$LOCK_ROOT"/block-*; do
                dir=$(cat "$b/owner" 2> /dev/null) || continue
                [[ -d "$dir/.testbed" ]] && orphaned "$dir/.testbed" && echo "$dir"
        done
        return 0
}
