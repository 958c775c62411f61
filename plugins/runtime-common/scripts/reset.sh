#!/bin/sh
# Takes a container runtime off a host for `pharos reset` (embedded in the
# runtime plugins): its UNITS stopped and disabled, its PACKAGES released
# from their hold and purged, then the files pharos wrote for it (REMOVE, one
# path per word: configuration, drop-ins, its package repository and pins;
# of a mount point, only what it holds).
# MODE=check prints "todo: WHY"; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}"
UNITS=${UNITS-}
PACKAGES=${PACKAGES-}
REMOVE=${REMOVE-}

# The package manager: the one present; when a host has both tools on its
# PATH, the os-release family decides.
# shellcheck disable=SC1091
. /etc/os-release
family=""
command -v apt-get >/dev/null 2>&1 && family=deb
if command -v dnf >/dev/null 2>&1; then
        if [ -z "$family" ]; then
                family=rpm
        else
                case " ${ID:-} ${ID_LIKE:-} " in
                *" rhel "* | *" fedora "* | *" centos "*) family=rpm ;;
                esac
        fi
fi

for u in $UNITS; do
        if systemctl is-active -q "$u" 2>/dev/null || systemctl is-enabled -q "$u" 2>/dev/null; then
                if [ "$MODE" = check ]; then
                        echo "todo: $u is running or enabled"
                else
                        systemctl disable --now "$u" >/dev/null 2>&1 || systemctl stop "$u"
                        echo "changed: stopped $u"
                fi
        fi
done

present=""
for p in $PACKAGES; do
        if [ "$family" = deb ]; then
                [ -z "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)" ] ||
                        present="$present $p"
        elif rpm -q "$p" >/dev/null 2>&1; then
                present="$present $p"
        fi
done
if [ -n "$present" ]; then
        if [ "$MODE" = check ]; then
                echo "todo: installed:$present"
        elif [ "$family" = deb ]; then
                # shellcheck disable=SC2086 # one word per package
                apt-mark unhold $present >/dev/null
                # shellcheck disable=SC2086
                DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --allow-change-held-packages \
                        $present >/dev/null
                echo "changed: purged$present"
        else
                # shellcheck disable=SC2086
                dnf versionlock delete $present >/dev/null 2>&1 || true
                # shellcheck disable=SC2086
                dnf remove -y -q $present >/dev/null
                echo "changed: removed$present"
        fi
fi

removed=""
for f in $REMOVE; do
        if [ -d "$f" ] && [ ! -L "$f" ] && mountpoint -q "$f" 2>/dev/null; then
                # A file system of its own (say, a disk for the runtime's data):
                # rm cannot take the mount point away, so its contents go.
                [ -n "$(ls -A "$f")" ] || continue
                if [ "$MODE" = check ]; then
                        echo "todo: $f has contents"
                else
                        find "$f" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
                        removed="$removed $f/*"
                fi
        elif [ -e "$f" ] || [ -L "$f" ]; then
                if [ "$MODE" = check ]; then
                        echo "todo: $f exists"
                else
                        rm -rf -- "$f"
                        removed="$removed $f"
                fi
        fi
done
if [ -n "$removed" ]; then
        # Dropped unit files and drop-ins must not stay loaded.
        systemctl daemon-reload >/dev/null 2>&1 || true
        echo "changed: removed$removed"
fi
