"""apt repository indexes: Packages (plain and gzip) and an unsigned Release.

The mirror signs each Release with its origin's key when it starts
(InRelease, Release.gpg), so the artifacts need no key.
"""
import email.utils
import gzip
import hashlib
import os
import subprocess

from .oci import MTIME


def _hashes(path):
    out = {}
    for algo in ("md5", "sha1", "sha256"):
        h = hashlib.new(algo)
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        out[algo] = h.hexdigest()
    return out


def stanza(deb_path, filename):
    """A Packages stanza: the package's control fields, where it is and its checksums."""
    control = subprocess.run(["dpkg-deb", "-f", deb_path], capture_output=True, text=True, check=True).stdout
    h = _hashes(deb_path)
    extra = "Filename: %s\nSize: %d\nMD5sum: %s\nSHA1: %s\nSHA256: %s\n" % (
        filename, os.path.getsize(deb_path), h["md5"], h["sha1"], h["sha256"])
    head, sep, rest = control.partition("\nSection:")
    return head + "\n" + extra + ("Section:" + rest if sep else "")


def write_packages(directory, stanzas):
    text = "\n".join(stanzas).encode()
    with open(os.path.join(directory, "Packages"), "wb") as f:
        f.write(text)
    with open(os.path.join(directory, "Packages.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(text)


def write_release(release_dir, index_files, fields):
    """Release in release_dir listing index_files (paths relative to it) with sizes and hashes."""
    lines = ["%s: %s" % kv for kv in fields]
    lines.append("Date: " + email.utils.formatdate(MTIME, usegmt=True))
    sums = {name: _hashes(os.path.join(release_dir, name)) for name in index_files}
    for title, algo in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")):
        lines.append(title + ":")
        for name in index_files:
            lines.append(" %s %16d %s" % (sums[name][algo], os.path.getsize(os.path.join(release_dir, name)), name))
    with open(os.path.join(release_dir, "Release"), "w") as f:
        f.write("\n".join(lines) + "\n")
