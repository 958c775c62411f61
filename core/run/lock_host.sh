#!/bin/sh
# The cluster lock on the first master, for the time before the Kubernetes API
# exists: /run/pharos/cluster.lock holds the holder's token, the time it
# expires (this host's clock, so no clock skew between machines matters) and
# who holds it. flock makes the read-check-write one step, so two runs can't
# both find the lock free; a run killed or cut off stops renewing, and once its
# time passes the next run takes the lock over.
# Variables: LOCK_ACTION (acquire, renew, release), LOCK_TOKEN, LOCK_TTL
# (seconds), LOCK_HOLDER (one line: host, pid, user, start time), LOCK_API_FILE
# (the file whose presence says the cluster has an API), LOCK_FACTS (the
# command that gathers the run's facts).
# Exit: 0 taken or released; acquire then prints "api" when LOCK_API_FILE
# exists, and "facts" and LOCK_FACTS' output, which saves the run two round
# trips to this host. 3 held by another run (prints "held SECONDS" and the
# holder); 4 renew found another holder (prints "lost" and the holder).
set -eu
dir=/run/pharos
lock=$dir/cluster.lock
case "$LOCK_TTL" in '' | *[!0-9]*) echo "LOCK_TTL is not a number" >&2; exit 2 ;; esac
mkdir -p "$dir"
chmod 0700 "$dir"
exec 9>"$dir/cluster.lock.guard"
flock -w 10 9
now=$(date +%s)
token="" expires=0 holder=""
if [ -f "$lock" ]; then
        { read -r token && read -r expires && read -r holder; } <"$lock" || true
fi
case "$expires" in '' | *[!0-9]*) expires=0 ;; esac
mine=0
[ "$token" = "$LOCK_TOKEN" ] && mine=1
case "$LOCK_ACTION" in
acquire | renew)
        if [ "$mine" = 0 ] && [ "$now" -lt "$expires" ]; then
                printf 'held %s\n%s\n' "$((expires - now))" "$holder"
                exit 3
        fi
        if [ "$LOCK_ACTION" = renew ] && [ "$mine" = 0 ] && [ -n "$token" ]; then
                printf 'lost\n%s\n' "$holder"
                exit 4
        fi
        printf '%s\n%s\n%s\n' "$LOCK_TOKEN" "$((now + LOCK_TTL))" "$LOCK_HOLDER" >"$lock.new"
        mv -f "$lock.new" "$lock"
        if [ "$LOCK_ACTION" = acquire ]; then
                if [ -n "${LOCK_API_FILE:-}" ] && [ -f "$LOCK_API_FILE" ]; then
                        echo api
                fi
                if [ -n "${LOCK_FACTS:-}" ]; then
                        echo facts
                        sh -c "$LOCK_FACTS" </dev/null || true
                fi
        fi
        ;;
release)
        if [ "$mine" = 1 ]; then rm -f "$lock"; fi
        ;;
*)
        echo "unknown LOCK_ACTION" >&2
        exit 2
        ;;
esac
