# shellcheck shell=bash
# For runs started with PHAROS_STOP_AT=PHASE: pharos stops itself (SIGSTOP)
# once PHASE starts, so a test acts at that point of the run however fast the
# run is, and then continues it with `kill -CONT`.

# wait_stopped PID [SECONDS]: returns 0 once PID is stopped, 1 if it ended or
# did not stop within SECONDS (default 420).
wait_stopped() {
        local pid=$1 limit=${2:-420} i stat
        for ((i = 0; i < limit * 20; i++)); do
                stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
                stat=${stat##*) }
                case ${stat:0:1} in
                T) return 0 ;;
                Z) return 1 ;;
                esac
                sleep 0.05
        done
        return 1
}
