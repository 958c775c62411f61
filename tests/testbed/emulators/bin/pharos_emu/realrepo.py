"""The package repositories in real mode: files built by tests/testbed/real/artifacts.

ARTIFACTS/www/<host>/<path> is served as https://<host>/<path>. Each apt
Release and each rpm repodata/repomd.xml there is signed when the mirror
starts with its origin's key (the one its Release.key / gpg / repomd.xml.key
URL hands out): InRelease clearsigned, Release.gpg and repomd.xml.asc
detached, kept in the state dir by the signed file's hash so a restart signs
nothing again.
"""
import hashlib
import os
import urllib.parse

from .filebody import FileBody

# file -> the signatures made of it: (served name, gpg arguments)
SIGNED = {"Release": [("InRelease", ["--clearsign"]), ("Release.gpg", ["--detach-sign", "--armor"])],
          "repomd.xml": [("repomd.xml.asc", ["--detach-sign", "--armor"])]}
TYPES = {".deb": "application/vnd.debian.binary-package", ".gz": "application/gzip",
         ".rpm": "application/x-rpm", ".xml": "text/xml"}


class Repos:
    def __init__(self, state, artifacts):
        self.state = state
        self.www = os.path.join(os.path.abspath(artifacts), "www")
        self.hosts = set(os.listdir(self.www))
        self.signed = {}    # served path -> signature bytes
        for host in self.hosts:
            for dirpath, _, files in os.walk(os.path.join(self.www, host)):
                for name, made in SIGNED.items():
                    if name in files:
                        for target, args in made:
                            self.signed[os.path.join(dirpath, target)] = self._sign(host, os.path.join(dirpath, name),
                                                                                   args)

    def _sign(self, origin, path, args):
        with open(path, "rb") as f:
            text = f.read()
        cached = self.state.file("real-%s-%s-%s" % (origin, hashlib.sha256(text).hexdigest()[:16], args[0][2:]))
        if not os.path.exists(cached):
            with open(cached + ".tmp", "wb") as f:
                f.write(self.state.gpg(origin, *args, "--digest-algo", "SHA256", input=text))
            os.rename(cached + ".tmp", cached)
        with open(cached, "rb") as f:
            return f.read()

    def serves(self, hostname):
        return hostname in self.hosts

    def route(self, hostname, path):
        """(status, content type, body, extra headers), or None for a path with no file."""
        root = os.path.join(self.www, hostname)
        full = os.path.normpath(os.path.join(root, urllib.parse.unquote(path).lstrip("/")))
        if not full.startswith(root + os.sep):
            return None
        if full in self.signed:
            return 200, "text/plain", self.signed[full], {}
        name = os.path.basename(full)
        if not os.path.isfile(full):
            return None
        return 200, TYPES.get(os.path.splitext(name)[1], "text/plain"), FileBody(full), {}
