#!/bin/sh
# firewalld for a cluster host (embedded in the firewalld plugin): installed,
# enabled and running; PORTS open in the default zone and SOURCES in the
# trusted zone, permanently, then reloaded. What pharos added is recorded in
# STATE so ports and sources dropped from cluster.yml are removed again and
# the user's own rules are left alone.
# MODE=check prints "todo: WHY" and changes nothing; MODE=apply prints "changed: WHAT".
set -eu
: "${MODE:?}"
PORTS=${PORTS:-}
SOURCES=${SOURCES:-}
STATE=/etc/pharos/firewalld.state

todo() {
        echo "todo: $*"
        if [ "$MODE" = check ]; then exit 0; fi
}

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

installed=0
case $family in
deb) dpkg-query -W -f='${Status}' firewalld 2>/dev/null | grep -q 'install ok installed' && installed=1 ;;
rpm) rpm -q firewalld >/dev/null 2>&1 && installed=1 ;;
*)
        echo "neither apt-get nor dnf found: unsupported package manager" >&2
        exit 1
        ;;
esac
if [ "$installed" = 0 ]; then
        todo "firewalld is not installed"
        if [ "$family" = deb ]; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends firewalld
        else
                dnf install -y -q firewalld
        fi
        echo "changed: installed firewalld"
fi
if ! systemctl is-enabled --quiet firewalld; then
        todo "firewalld is not enabled"
        systemctl enable firewalld
        echo "changed: enabled firewalld"
fi
if ! systemctl is-active --quiet firewalld; then
        todo "firewalld is not running"
        systemctl start firewalld
        echo "changed: started firewalld"
fi

zone=$(firewall-cmd --get-default-zone)
previous=$(cat "$STATE" 2>/dev/null || true)
dirty=0

# in_list WORD LIST: LIST is space separated.
in_list() {
        case " $2 " in
        *" $1 "*) return 0 ;;
        esac
        return 1
}

# sync KIND ZONE WANTED: --add-KIND what is missing, --remove-KIND what pharos added before
# and is no longer wanted.
sync() {
        kind=$1 z=$2 wanted=$3
        have=$(firewall-cmd --permanent --zone="$z" --list-"$kind"s)
        for w in $wanted; do
                in_list "$w" "$have" && continue
                todo "$kind $w is not allowed in zone $z"
                firewall-cmd --permanent --zone="$z" --add-"$kind"="$w" >/dev/null
                echo "changed: allowed $kind $w in zone $z"
                dirty=1
        done
        for old in $(printf '%s\n' "$previous" | sed -n "s/^$kind $z //p"); do
                in_list "$old" "$wanted" && continue
                in_list "$old" "$have" || continue
                todo "$kind $old is no longer wanted in zone $z"
                firewall-cmd --permanent --zone="$z" --remove-"$kind"="$old" >/dev/null
                echo "changed: removed $kind $old from zone $z"
                dirty=1
        done
}

sync port "$zone" "$PORTS"
sync source trusted "$SOURCES"

record=$(
        for p in $PORTS; do echo "port $zone $p"; done
        for s in $SOURCES; do echo "source trusted $s"; done
)
if [ "$record" != "$previous" ]; then
        todo "$STATE is out of date"
        mkdir -p "$(dirname "$STATE")"
        printf '%s\n' "$record" >"$STATE"
        echo "changed: recorded the rules pharos manages in $STATE"
fi
if [ "$dirty" = 1 ]; then
        firewall-cmd --reload >/dev/null
        echo "changed: reloaded firewalld"
fi
