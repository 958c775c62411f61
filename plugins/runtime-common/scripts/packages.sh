#!/bin/sh
# Installs a runtime's packages at pinned versions and holds them (embedded
# in the runtime plugins). Debian/Ubuntu: an apt preferences file pins each
# package (PIN_FILE), then apt-get installs and apt-mark holds. EL: dnf
# installs the version and versionlock holds it. DEB_PINS and RPM_PINS are
# "name=glob" words; a glob "X-*" asks for upstream version X exactly.
# MODE=check prints "todo: WHY"; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}" "${PIN_FILE:?}"
DEB_PINS=${DEB_PINS:-}
RPM_PINS=${RPM_PINS:-}

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

todo() {
        echo "todo: $*"
}

# matches VERSION GLOB: the glob comes from the plugin, not from cluster.yml.
matches() {
        # shellcheck disable=SC2254
        case $1 in
        $2) return 0 ;;
        esac
        return 1
}

if [ "$family" = deb ]; then
        pins=""
        names=""
        for p in $DEB_PINS; do
                name=${p%%=*}
                names="$names $name"
                pins="${pins}Package: $name
Pin: version ${p#*=}
Pin-Priority: 1001

"
        done
        current=$(cat "$PIN_FILE" 2>/dev/null || true)
        want=$(printf '%s' "$pins")
        if [ "$current" != "$want" ]; then
                if [ "$MODE" = check ]; then
                        todo "$PIN_FILE does not pin$names"
                else
                        mkdir -p "$(dirname "$PIN_FILE")"
                        printf '%s\n' "$want" >"$PIN_FILE"
                        echo "changed: wrote $PIN_FILE"
                fi
        fi
        missing=""
        for p in $DEB_PINS; do
                name=${p%%=*}
                have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
                matches "$have" "${p#*=}" || missing="$missing $name"
        done
        if [ -n "$missing" ]; then
                if [ "$MODE" = check ]; then
                        todo "not installed at the pinned version:$missing"
                else
                        # The lists may predate the repository: an update of an earlier
                        # run cut short (a lost connection) leaves the repository
                        # configured and its packages unknown.
                        apt-get update -q >/dev/null
                        # shellcheck disable=SC2086
                        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                                --allow-downgrades --allow-change-held-packages $missing
                        # apt installs its candidate when no version matches a
                        # pin: that is a failure, not the pinned install.
                        for p in $DEB_PINS; do
                                name=${p%%=*}
                                have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
                                matches "$have" "${p#*=}" && continue
                                echo "$name ${p#*=} is not available from the configured repositories" \
                                        "(installed: ${have:-nothing})" >&2
                                exit 1
                        done
                        echo "changed: installed$missing"
                fi
        fi
        held=$(apt-mark showhold 2>/dev/null || true)
        unheld=""
        for name in $names; do
                printf '%s\n' "$held" | grep -qxF -- "$name" || unheld="$unheld $name"
        done
        if [ -n "$unheld" ]; then
                if [ "$MODE" = check ]; then
                        todo "not held:$unheld"
                else
                        # shellcheck disable=SC2086
                        apt-mark hold $unheld >/dev/null
                        echo "changed: held$unheld"
                fi
        fi
elif [ "$family" = rpm ]; then
        missing=""
        for p in $RPM_PINS; do
                name=${p%%=*}
                glob=${p#*=}
                have=$(rpm -q --qf '%{VERSION}-%{RELEASE}' "$name" 2>/dev/null || true)
                matches "$have" "$glob" && continue
                case $glob in
                *-\*) missing="$missing $name-${glob%-\*}" ;;
                *) missing="$missing $name" ;;
                esac
        done
        locked=$(dnf versionlock list 2>/dev/null || true)
        unlocked=""
        for p in $RPM_PINS; do
                name=${p%%=*}
                printf '%s\n' "$locked" | grep -q -- "^\(0:\)\{0,1\}$name-[0-9]" ||
                        unlocked="$unlocked $name"
        done
        if [ "$MODE" = check ]; then
                [ -z "$missing" ] || todo "not installed at the pinned version:$missing"
                [ -z "$unlocked" ] || todo "not version-locked:$unlocked"
                exit 0
        fi
        if ! dnf versionlock list >/dev/null 2>&1; then
                dnf install -y -q python3-dnf-plugin-versionlock
                echo "changed: installed the dnf versionlock plugin"
        fi
        if [ -n "$missing" ]; then
                for p in $RPM_PINS; do
                        name=${p%%=*}
                        case " $unlocked " in
                        *" $name "*) ;;
                        *) dnf versionlock delete "$name" >/dev/null 2>&1 || true ;;
                        esac
                done
                # shellcheck disable=SC2086
                dnf install -y -q $missing
                echo "changed: installed$missing"
                unlocked=""
                for p in $RPM_PINS; do
                        unlocked="$unlocked ${p%%=*}"
                done
        fi
        if [ -n "$unlocked" ]; then
                # shellcheck disable=SC2086
                dnf versionlock add $unlocked >/dev/null
                echo "changed: version-locked$unlocked"
        fi
else
        echo "neither apt-get nor dnf found: unsupported package manager" >&2
        exit 1
fi
