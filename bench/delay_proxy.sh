# shellcheck shell=bash
# Sourced by the benchmarks: bench/delay_proxy.py in front of testbed hosts.
#
#   delay_proxy_start RTT_MS PORT ADDRS_FILE LOG  every address in ADDRS_FILE
#                                                 (one per line) at ADDR:PORT,
#                                                 forwarded to ADDR:22 RTT_MS
#                                                 later; sets PROXY_PID
#   delay_proxy_stop                              ends it (safe to repeat)
PROXY_PID=

delay_proxy_start() {
        local pairs=() a
        while read -r a; do
                pairs+=("$a:$2=$a:22")
        done < "$3"
        python3 "$(dirname "${BASH_SOURCE[0]}")/delay_proxy.py" "$1" "${pairs[@]}" > "$4" &
        PROXY_PID=$!
        for _ in $(seq 100); do
                grep -q ready "$4" && return 0
                sleep 0.1
        done
        echo "delay proxy did not start (log: $4)" >&2
        return 1
}

delay_proxy_stop() {
        if [[ -n "$PROXY_PID" ]]; then
                kill "$PROXY_PID" 2> /dev/null || true
                wait "$PROXY_PID" 2> /dev/null || true
        fi
        PROXY_PID=
}
