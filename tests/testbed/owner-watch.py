#!/usr/bin/python3
"""The watcher of one testbed (`testbed start` runs it, detached).

    owner-watch.py TESTBED DIR PID:START...

Waits until every process PID (with START, its start time in /proc/PID/stat,
so that a reused pid is not taken for it) has ended: the testbed's starter
and its owner. Then becomes `TESTBED stop --orphaned --dir DIR`. Waiting on a
pidfd costs nothing while the owner runs: no polling, no wake-ups.
"""
import os
import select
import sys


def start_time(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def wait_ended(pid, start):
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        # Checked after the pidfd is open: if the start time still matches,
        # the pidfd names that process and not one that reused its pid.
        if start_time(pid) != start:
            return
        poll = select.poll()
        poll.register(fd, select.POLLIN)  # readable once the process has exited
        poll.poll()
    finally:
        os.close(fd)


def main():
    testbed, tbdir = sys.argv[1], sys.argv[2]
    # Nothing of the caller's kept open (a pipe it reads to its end) or in use.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir("/")
    for proc in sys.argv[3:]:
        pid, start = proc.split(":")
        wait_ended(int(pid), start)
    os.execv(testbed, [testbed, "stop", "--orphaned", "--dir", tbdir])


main()
