#!/usr/bin/env python3
"""Looks for every needle of SECRETS_JSON in the given files, byte for byte.

    scan.py SECRETS_JSON FILE...

Prints one line per secret found (its name and the file, never the secret) and
exits 1 if any was; prints how many needles were looked for otherwise.
"""
import json
import sys

needles = json.load(open(sys.argv[1]))
found = 0
blobs = {p: open(p, "rb").read() for p in sys.argv[2:]}
for name, values in sorted(needles.items()):
    for v in values:
        where = [p for p, b in blobs.items() if v.encode() in b]
        if where:
            found += 1
            print("LEAK: %s in %s" % (name, ", ".join(where)))
            # the line it is on, the secret itself masked, to find who wrote it
            b = blobs[where[0]]
            at = b.index(v.encode())
            line = b[b.rfind(b"\n", 0, at) + 1:b.find(b"\n", at) % (len(b) + 1)]
            print("  " + line.replace(v.encode(), b"<SECRET>")[:400].decode(errors="replace"))
            break
print("%d secrets (%d needles) looked for in %d files, %d found" %
      (len(needles), sum(len(v) for v in needles.values()), len(blobs), found))
sys.exit(1 if found else 0)
