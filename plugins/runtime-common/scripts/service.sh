#!/bin/sh
# Keeps systemd units enabled and running (embedded in the runtime plugins).
# MODE=check prints "todo: WHY" lines and changes nothing; MODE=apply fixes
# what is off and prints "changed: WHAT" lines. RELOAD=1 re-reads the unit
# files first; RESTART lists units whose configuration changed.
set -eu
: "${MODE:?}" "${UNITS:?}"
RELOAD=${RELOAD:-0}
RESTART=${RESTART:-}

if [ "$MODE" = apply ] && [ "$RELOAD" = 1 ]; then
        systemctl daemon-reload
        echo "changed: systemd reloaded its units"
fi
for unit in $UNITS; do
        if ! systemctl is-enabled --quiet "$unit"; then
                if [ "$MODE" = check ]; then
                        echo "todo: $unit is not enabled"
                else
                        systemctl enable "$unit"
                        echo "changed: enabled $unit"
                fi
        fi
        restart=0
        for r in $RESTART; do
                [ "$r" = "$unit" ] && restart=1
        done
        if [ "$MODE" = apply ] && [ "$restart" = 1 ]; then
                systemctl restart "$unit"
                echo "changed: restarted $unit"
        elif ! systemctl is-active --quiet "$unit"; then
                if [ "$MODE" = check ]; then
                        echo "todo: $unit is not running"
                else
                        systemctl start "$unit"
                        echo "changed: started $unit"
                fi
        fi
done
