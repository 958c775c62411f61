#!/bin/sh
# addon-host-upgrades on one host (run as root through `sh -s`). Keeps the
# upgrade program, its settings and a systemd timer + service in the shape
# cluster.yml describes, or removes them.
#   ACTION    check (only tell), install or remove
#   CALENDAR  the timer's OnCalendar= (from addons.host-upgrades.schedule)
#   WINDOW    RandomizedDelaySec= (from schedule_window)
#   REBOOT    true/false, DRAIN true/false
#   PROGRAM   the upgrade program's text
# Prints "pharos-change: WHAT" per change, then "changed" or "unchanged".
set -eu
unit_dir=/etc/systemd/system
service=pharos-host-upgrades.service
timer=pharos-host-upgrades.timer
program_path=/usr/local/libexec/pharos-host-upgrades
settings=/etc/pharos/host-upgrades.env
changes=0

change() {
        echo "pharos-change: $1"
        changes=$((changes + 1))
}

# sync PATH MODE: makes PATH hold stdin with MODE (or says it would).
sync_file() {
        tmp=$(mktemp)
        cat >"$tmp"
        if [ -f "$1" ] && cmp -s "$tmp" "$1" && [ "$(stat -c %a "$1")" = "$2" ]; then
                rm -f "$tmp"
                return 0
        fi
        change "write $1"
        if [ "$ACTION" = check ]; then
                rm -f "$tmp"
                return 0
        fi
        mkdir -p "$(dirname "$1")"
        chmod "$2" "$tmp"
        mv -f "$tmp" "$1"
}

remove_file() {
        [ -e "$1" ] || return 0
        change "remove $1"
        [ "$ACTION" = check ] || rm -f "$1"
}

if [ "$ACTION" = remove ]; then
        if [ -f "$unit_dir/$timer" ]; then
                if systemctl is-active --quiet "$timer" || systemctl is-enabled --quiet "$timer"; then
                        change "disable and stop $timer"
                        systemctl disable --now "$timer" >/dev/null 2>&1
                fi
        fi
        remove_file "$unit_dir/$timer"
        remove_file "$unit_dir/$service"
        remove_file "$program_path"
        remove_file "$settings"
        if [ "$changes" -gt 0 ]; then
                systemctl daemon-reload
                echo changed
        else
                echo unchanged
        fi
        exit 0
fi

printf '%s\n' "$PROGRAM" | sync_file "$program_path" 755
printf 'REBOOT=%s\nDRAIN=%s\n' "$REBOOT" "$DRAIN" | sync_file "$settings" 644
sync_file "$unit_dir/$service" 644 <<UNIT
[Unit]
Description=pharos host upgrades
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=$program_path
UNIT
units_changed=$changes
sync_file "$unit_dir/$timer" 644 <<UNIT
[Unit]
Description=pharos host upgrades schedule

[Timer]
OnCalendar=$CALENDAR
RandomizedDelaySec=$WINDOW
Persistent=true

[Install]
WantedBy=timers.target
UNIT
timer_changed=$((changes - units_changed))

if [ "$ACTION" = check ]; then
        if ! systemctl is-enabled --quiet "$timer" 2>/dev/null || ! systemctl is-active --quiet "$timer"; then
                change "enable and start $timer"
        fi
        [ "$changes" -gt 0 ] && echo changed || echo unchanged
        exit 0
fi

if [ "$changes" -gt 0 ]; then
        systemctl daemon-reload
fi
if [ "$timer_changed" -gt 0 ] && systemctl is-active --quiet "$timer"; then
        systemctl restart "$timer"
fi
if ! systemctl is-enabled --quiet "$timer" || ! systemctl is-active --quiet "$timer"; then
        change "enable and start $timer"
        systemctl enable --now "$timer" >/dev/null 2>&1
fi
[ "$changes" -gt 0 ] && echo changed || echo unchanged
