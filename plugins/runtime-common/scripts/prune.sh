#!/bin/sh
# Removes files pharos wrote earlier that cluster.yml no longer asks for
# (embedded in the runtime plugins): DIR/NAME/FILE whose first line is
# MARKER and whose NAME is not a line of KEEP. MODE=check only reports.
set -eu
: "${MODE:?}" "${DIR:?}" "${FILE:?}" "${MARKER:?}"
KEEP=${KEEP:-}

[ -d "$DIR" ] || exit 0
for f in "$DIR"/*/"$FILE"; do
        [ -f "$f" ] || continue
        head -n 1 "$f" | grep -qxF -- "$MARKER" || continue
        name=$(basename "$(dirname "$f")")
        if [ -n "$KEEP" ] && printf '%s\n' "$KEEP" | grep -qxF -- "$name"; then
                continue
        fi
        if [ "$MODE" = check ]; then
                echo "todo: $f is no longer configured"
        else
                rm -f -- "$f"
                rmdir -- "$(dirname "$f")" 2>/dev/null || true
                echo "changed: removed $f"
        fi
done
