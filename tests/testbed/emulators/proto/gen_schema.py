#!/usr/bin/env python3
"""Writes the field table of Kubernetes' protobuf messages that the API
emulator decodes request bodies with (pharos_emu/k8s_proto.py), from the
generated.proto files of the k8s.io/api and k8s.io/apimachinery modules.

usage: gen_schema.py API_MODULE_DIR APIMACHINERY_MODULE_DIR OUT.json
(the module directories as `go mod download -json k8s.io/api@v0.X.Y` prints
them in "Dir").

The table: {"k8s.io.api.apps.v1.Deployment": {"1": ["metadata", TYPE, LABEL, OMIT], ...}}
where TYPE is a scalar name (string, int32, ...) or a message's full name,
LABEL is "optional", "repeated" or "map:KEYTYPE", and OMIT is 1 when the
field's Go type is a plain (non-pointer) scalar tagged `json:",omitempty"`:
protobuf sends its zero value, JSON leaves it out. A pointer's zero (replicas: 0)
is a value of its own and stays.
"""
import json
import os
import re
import sys

FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)")
MAP = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)")
MESSAGE = re.compile(r"^message\s+(\w+)\s*\{")
GO_STRUCT = re.compile(r"^type\s+(\w+)\s+struct\s*\{")
GO_FIELD = re.compile(r'^\s+\w+\s+(\S+)\s+`.*json:"([^"]*)".*protobuf:"[^"]*,(\d+),(?:opt|rep|req)')
SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "fixed64"}


def qualify(t, package):
    if t in SCALARS:
        return t
    return t[1:] if t.startswith(".") else package + "." + t


def parse(path, table):
    """Adds the messages of one generated.proto; returns its package."""
    package, message = None, None
    with open(path) as f:
        for line in f:
            line = line.split("//", 1)[0]
            if line.startswith("package "):
                package = line.split()[1].rstrip(";")
            elif MESSAGE.match(line):
                message = package + "." + MESSAGE.match(line).group(1)
                table[message] = {}
            elif line.startswith("}"):
                message = None
            elif message and MAP.match(line):
                k, v, name, num = MAP.match(line).groups()
                table[message][num] = [name, qualify(v, package), "map:" + k, 0]
            elif message and FIELD.match(line):
                label, t, name, num = FIELD.match(line).groups()
                table[message][num] = [name, qualify(t, package), label, 0]
    return package


def omitted_zeros(d, package, table):
    """Marks the fields whose Go type is a non-pointer scalar with omitempty (see above)."""
    for name in sorted(os.listdir(d)):
        if not name.endswith(".go") or name.endswith("_test.go") or name.startswith(("zz_", "generated")):
            continue
        struct = None
        with open(os.path.join(d, name)) as f:
            for line in f:
                m = GO_STRUCT.match(line)
                if m:
                    struct = table.get(package + "." + m.group(1))
                    continue
                if line.startswith("}"):
                    struct = None
                m = GO_FIELD.match(line) if struct is not None else None
                if not m:
                    continue
                gotype, tag, num = m.groups()
                field = struct.get(num)
                if field and field[1] in SCALARS and field[2] == "optional" and not gotype.startswith("*") \
                        and "omitempty" in tag.split(",")[1:]:
                    field[3] = 1


def main():
    api, machinery, out = sys.argv[1:4]
    table = {}
    for root in (api, machinery):
        for d, _, files in sorted(os.walk(root)):
            if "generated.proto" in files and "/testdata" not in d and "/test/" not in d + "/":
                omitted_zeros(d, parse(os.path.join(d, "generated.proto"), table), table)
    with open(out, "w") as f:
        json.dump(table, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")


main()
