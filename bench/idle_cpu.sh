#!/bin/bash
# CPU an idle emulated cluster burns: N testbed hosts (M masters), `pharos
# up`, SETTLE seconds of rest, then WINDOW seconds measured. The emulated
# tier's tests are CPU-bound on a 2-core machine, so every idle cycle of the
# emulators stretches the suite.
#
#   bench/idle_cpu.sh [N] [M]   (default 3 1; env: SETTLE=20 WINDOW=60,
#                                PHAROS=path to pharos)
#
# Prints, per program of the hosts (a process in a host's PID namespace), the
# CPU seconds (utime+stime from /proc/PID/stat) it used per minute in the
# window, then the total of the hosts and of the whole machine (/proc/stat).
# A process started and gone inside the window counts in the machine total
# only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED=$ROOT/tests/testbed/testbed
PHAROS=${PHAROS:-$ROOT/build/plugins/pharos}
export PHAROS_PLUGIN_PATH=${PHAROS_PLUGIN_PATH:-$ROOT/build/plugins}
N=${1:-3}
M=${2:-1}
SETTLE=${SETTLE:-20}
WINDOW=${WINDOW:-60}
for v in "$N" "$M" "$SETTLE" "$WINDOW"; do
        [[ "$v" =~ ^[1-9][0-9]*$ ]] || {
                sed -n '7,8p' "${BASH_SOURCE[0]}" >&2
                exit 2
        }
done
((M <= N)) || {
        echo "idle_cpu: more masters ($M) than hosts ($N)" >&2
        exit 2
}
TICK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/pharos-bench-idle.XXXXXX)
cleanup() {
        "$TESTBED" stop --dir "$WORK/tb" > /dev/null 2>&1 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

# snapshot FILE: "PID TICKS PROGRAM" for every process in the PID namespace
# of one of the testbed's hosts, read in one pass so both snapshots take the
# same instant. PROGRAM is the basename of the script a Python emulator runs,
# else of the executable.
snapshot() {
        python3 - "$WORK/tb/.testbed/hosts" > "$1" << 'EOF'
import glob, os, sys
hostns = set()
for f in glob.glob(sys.argv[1] + "/*/init.pid"):
    try:
        hostns.add(os.readlink("/proc/%s/ns/pid" % open(f).read().strip()))
    except OSError:
        pass
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if os.readlink("/proc/%s/ns/pid" % pid) not in hostns:
            continue
        f = open("/proc/%s/stat" % pid).read().rsplit(") ", 1)[1].split()
        argv = open("/proc/%s/cmdline" % pid, "rb").read().decode(errors="replace").split("\0")
    except (OSError, IndexError):
        continue
    prog = argv[0]
    if "python" in prog and len(argv) > 1:
        prog = argv[2] if argv[1] == "-m" and len(argv) > 2 else argv[1]
    print(pid, int(f[11]) + int(f[12]), os.path.basename(prog.split(" ")[0]) or "?")
EOF
}

machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

export PHAROS_KNOWN_HOSTS=$WORK/known_hosts
"$TESTBED" start --hosts "$N" --masters "$M" --dir "$WORK/tb" > /dev/null
if ! "$PHAROS" up -c "$WORK/tb/cluster.yml" > "$WORK/up.out" 2>&1; then
        echo "idle_cpu: pharos up failed:" >&2
        tail -20 "$WORK/up.out" >&2
        exit 1
fi
sleep "$SETTLE"
snapshot "$WORK/a"
m0=$(machine_ticks)
sleep "$WINDOW"
m1=$(machine_ticks)
snapshot "$WORK/b"

echo "idle cluster: $N hosts, $M masters; CPU seconds per minute over ${WINDOW}s (load $(cut -d' ' -f1 /proc/loadavg))"
awk -v tick="$TICK" -v win="$WINDOW" -v mach=$((m1 - m0)) '
        NR == FNR { a[$1] = $2; next }
        ($1 in a) { d = ($2 - a[$1]) / tick * 60 / win; by[$3] += d; all += d }
        END {
                for (p in by) printf "  %-28s %7.2f\n", p, by[p] | "sort -k2 -rn"
                close("sort -k2 -rn")
                printf "  %-28s %7.2f\n", "hosts, long-lived", all
                printf "  %-28s %7.2f\n", "machine (all processes)", mach / tick * 60 / win
        }' "$WORK/a" "$WORK/b"
