#!/usr/bin/env python3
"""Checks that every image reference resolves in its registry, as a host would pull it.

Usage: image_check.py HOSTS_FILE CA_FILE IMAGE...
Names resolve through HOSTS_FILE (a host's /etc/hosts) and TLS trusts only
CA_FILE (its CA bundle). For each image: the OCI distribution API's manifest
HEAD, with the anonymous bearer token a registry asks for (Docker Hub, GHCR).
Prints "ok IMAGE DIGEST" or "missing IMAGE: WHY"; exits 1 if any is missing.
"""
import http.client
import json
import re
import socket
import ssl
import sys
import urllib.parse

ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])


def split(ref):
    """(registry host, repository, tag or digest) the way containerd normalises a reference."""
    name, digest = ref.split("@", 1) if "@" in ref else (ref, None)
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    registry, repo = name.split("/", 1)
    tag = None
    if ":" in repo.rsplit("/", 1)[-1]:
        repo, tag = repo.rsplit(":", 1)
    if registry == "docker.io":
        registry = "registry-1.docker.io"
        if "/" not in repo:
            repo = "library/" + repo
    return registry, repo, digest or tag or "latest"


def resolve(name, hosts_file):
    with open(hosts_file) as f:
        for line in f:
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 2 and name in parts[1:]:
                return parts[0]
    raise OSError("Could not resolve '%s'" % name)


def request(url, hosts_file, ctx, headers):
    u = urllib.parse.urlsplit(url)
    addr = resolve(u.hostname, hosts_file)

    class Conn(http.client.HTTPSConnection):
        def connect(self):
            self.sock = ctx.wrap_socket(socket.create_connection((addr, u.port or 443), 10),
                                        server_hostname=u.hostname)

    conn = Conn(u.hostname, u.port or 443, timeout=10)
    try:
        method = "HEAD" if "/manifests/" in u.path else "GET"
        conn.request(method, u.path + ("?" + u.query if u.query else ""), headers=headers)
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def check(ref, hosts_file, ctx):
    registry, repo, ref_tag = split(ref)
    url = "https://%s/v2/%s/manifests/%s" % (registry, repo, ref_tag)
    headers = {"Accept": ACCEPT}
    status, h, _ = request(url, hosts_file, ctx, headers)
    if status == 401:
        m = re.match(r'Bearer realm="([^"]+)",service="([^"]+)"', h.get("www-authenticate", ""))
        if not m:
            return None, "401 without a bearer challenge"
        token_url = "%s?service=%s&scope=repository:%s:pull" % (m.group(1), m.group(2), repo)
        st, _, body = request(token_url, hosts_file, ctx, {})
        if st != 200:
            return None, "token request: %d" % st
        headers["Authorization"] = "Bearer " + json.loads(body)["token"]
        status, h, _ = request(url, hosts_file, ctx, headers)
    if status != 200:
        return None, "%s answered %d" % (registry, status)
    return h.get("docker-content-digest"), None


def main(argv):
    hosts_file, ca_file, images = argv[1], argv[2], argv[3:]
    ctx = ssl.create_default_context(cafile=ca_file)
    missing = 0
    for ref in images:
        try:
            digest, why = check(ref, hosts_file, ctx)
        except (OSError, ssl.SSLError, ValueError) as e:
            digest, why = None, str(e)
        if digest:
            print("ok %s %s" % (ref, digest))
        else:
            print("missing %s: %s" % (ref, why))
            missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
