#!/usr/bin/env python3
"""Collects the cluster's secrets from the testbed hosts' files and its API, as
needles to look for in output: every private key under /etc/kubernetes and
/var/lib/kubelet (PEM files and kubeconfigs' client-key-data), the secrets
encryption key, the bootstrap tokens, the certificate keys the sampler caught,
the weave password, and the literal secrets of a file (NAME=VALUE lines: on
this script's command line the sampler would find them).

    secrets.py HOSTS_JSON SAMPLED_FILES_JSON SECRETS_JSON ADMIN_PEM [LITERALS_FILE]

Writes {name: [needle...]} to SECRETS_JSON, merging what it already holds.
Private keys give several needles (lines of their base64 body) so that a part
of a key is found too.
"""
import base64
import json
import os
import re
import ssl
import sys
import urllib.request

hosts_json, sampled, out, admin_pem = sys.argv[1:5]
literals = open(sys.argv[5]).read().splitlines() if len(sys.argv) > 5 else []
try:
    with open(out) as f:
        needles = json.load(f)
except OSError:
    needles = {}


def add(name, *values):
    vals = needles.setdefault(name, [])
    for v in values:
        if v and len(v) >= 8 and v not in vals:
            vals.append(v)


def pem_needles(name, pem):
    for m in re.finditer(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.*?)-----END", pem, re.S):
        lines = [l for l in m.group(1).split("\n") if len(l) >= 40]
        add(name, *lines)
        der = "".join(m.group(1).split())
        add(name, der[:60], der[-60:])


hosts = json.load(open(hosts_json))["hosts"]
for h in hosts:
    root = h["root"]
    for top in ("etc/kubernetes", "var/lib/kubelet/pki"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                p = os.path.join(d, n)
                try:
                    text = open(p, errors="replace").read()
                except OSError:
                    continue
                where = "%s:%s" % (h["name"], p[len(root):])
                if "PRIVATE KEY-----" in text:
                    pem_needles("private key " + where, text)
                for m in re.finditer(r"client-key-data:\s*(\S+)", text):
                    data = m.group(1)
                    add("client key data " + where, data[100:160], data[-80:-20])
                    pem_needles("client key " + where, base64.b64decode(data).decode(errors="replace"))
                if n == "encryption.yaml":
                    for m in re.finditer(r"secret:\s*(\S+)", text):
                        add("encryption key " + where, m.group(1))
try:
    caught = json.load(open(sampled))
except OSError:
    caught = {}
for path, contents in caught.items():
    for c in contents:
        for m in re.finditer(r"certificateKey:\s*\"?([0-9a-f]+)", c):
            add("certificate key", m.group(1))

# bootstrap tokens and the weave password, from the API
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(admin_pem)
master = next(h["address"] for h in hosts if h.get("role") == "master")
try:
    url = "https://%s:6443/api/v1/namespaces/kube-system/secrets" % master
    items = json.load(urllib.request.urlopen(url, context=ctx, timeout=10))["items"]
except Exception as e:  # the cluster may be gone (after reset): what was found stays
    print("secrets.py: no API: %s" % e, file=sys.stderr)
    items = []
for s in items:
    data = {k: base64.b64decode(v).decode(errors="replace") for k, v in (s.get("data") or {}).items()}
    if s.get("type") == "bootstrap.kubernetes.io/token":
        add("bootstrap token", "%s.%s" % (data.get("token-id"), data.get("token-secret")),
            data.get("token-secret"))
    if s["metadata"]["name"] == "weave-passwd":
        add("weave password", *data.values())
for kv in literals:
    k, _, v = kv.partition("=")
    add(k, v)
with open(out, "w") as f:
    json.dump(needles, f)
