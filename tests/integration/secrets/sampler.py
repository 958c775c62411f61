#!/usr/bin/env python3
"""Records, until SIGTERM, every command line of every process on this machine
(the testbed hosts' processes too: their pid namespaces are children of this
one) and every version of the given files while they exist (files that live for
one command, such as the copy of kubeadm.yaml with the certificate key).

    sampler.py OUT FILE...

OUT gets one command line a line (arguments joined by spaces); OUT.files the
captured files, one JSON object {path: [contents...]}.
"""
import json
import os
import signal
import sys
import time

out, files = sys.argv[1], sys.argv[2:]
stop = False


def term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, term)
me = os.getpid()
seen, captured = set(), {}
while not stop:
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                line = f.read()
        except OSError:
            continue
        if line:
            seen.add(line.rstrip(b"\0").replace(b"\0", b" "))
    for path in files:
        try:
            with open(path, "rb") as f:
                captured.setdefault(path, set()).add(f.read().decode(errors="replace"))
        except OSError:
            pass
    time.sleep(0.03)
with open(out, "wb") as f:
    for line in sorted(seen):
        f.write(line.replace(b"\n", b" ") + b"\n")
with open(out + ".files", "w") as f:
    json.dump({p: sorted(c) for p, c in captured.items()}, f)
