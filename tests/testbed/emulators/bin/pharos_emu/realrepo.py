"""The package repositories in real mode: files built by tests/testbed/real/artifacts.

ARTIFACTS/www/<host>/<path> is served as https://<host>/<path>. Each Release
there is signed when the mirror starts with its origin's key (the one its
Release.key / gpg URL hands out): InRelease clearsigned, Release.gpg detached,
kept in the state dir by the Release's hash so a restart signs nothing again.
"""
import hashlib
import os
import urllib.parse

from .filebody import FileBody

TYPES = {".deb": "application/vnd.debian.binary-package", ".gz": "application/gzip",
         ".rpm": "application/x-rpm", ".xml": "text/xml"}


class Repos:
    def __init__(self, state, artifacts):
        self.state = state
        self.www = os.path.join(os.path.abspath(artifacts), "www")
        self.hosts = set(os.listdir(self.www))
        self.signed = {}    # Release path -> (InRelease bytes, Release.gpg bytes)
        for host in self.hosts:
            for dirpath, _, files in os.walk(os.path.join(self.www, host)):
                if "Release" in files:
                    self.signed[os.path.join(dirpath, "Release")] = self._sign(host, os.path.join(dirpath, "Release"))

    def _sign(self, origin, release):
        with open(release, "rb") as f:
            text = f.read()
        base = self.state.file("real-%s-%s" % (origin, hashlib.sha256(text).hexdigest()[:16]))
        for suffix, args in ((".InRelease", ["--clearsign"]), (".Release.gpg", ["--detach-sign", "--armor"])):
            if not os.path.exists(base + suffix):
                with open(base + suffix + ".tmp", "wb") as f:
                    f.write(self.state.gpg(origin, *args, "--digest-algo", "SHA256", input=text))
                os.rename(base + suffix + ".tmp", base + suffix)
        out = []
        for suffix in (".InRelease", ".Release.gpg"):
            with open(base + suffix, "rb") as f:
                out.append(f.read())
        return tuple(out)

    def serves(self, hostname):
        return hostname in self.hosts

    def route(self, hostname, path):
        """(status, content type, body, extra headers), or None for a path with no file."""
        root = os.path.join(self.www, hostname)
        full = os.path.normpath(os.path.join(root, urllib.parse.unquote(path).lstrip("/")))
        if not full.startswith(root + os.sep):
            return None
        directory, name = os.path.split(full)
        if name in ("InRelease", "Release.gpg"):
            signed = self.signed.get(os.path.join(directory, "Release"))
            if signed is None:
                return None
            return 200, "text/plain", signed[0] if name == "InRelease" else signed[1], {}
        if not os.path.isfile(full):
            return None
        return 200, TYPES.get(os.path.splitext(name)[1], "text/plain"), FileBody(full), {}
