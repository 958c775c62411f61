"""Debian's own packages for the images (iptables, conntrack, busybox-static ...).

apt runs with a configuration of its own under the cache (bookworm from
deb.debian.org, checked against the machine's Debian archive keyring), so the
machine's apt lists and sources are neither used nor changed.
"""
import os
import shutil
import subprocess

from .binaries import elf_needed

SOURCES = ("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian "
           "bookworm bookworm-updates main\n"
           "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security "
           "bookworm-security main\n")
# What an image never needs: documentation, translations, iconv modules.
PRUNE = ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
         "usr/share/bug", "usr/share/bash-completion", "usr/share/common-licenses", "usr/share/doc-base",
         "usr/lib/x86_64-linux-gnu/gconv", "usr/share/i18n"]
LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib"]


class Apt:
    def __init__(self, cache):
        self.dir = os.path.join(cache, "debian-apt")
        self.debs = os.path.join(cache, "debian-debs")
        for d in ("state/lists/partial", "cache/archives/partial", "etc/parts"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        os.makedirs(self.debs, exist_ok=True)
        with open(os.path.join(self.dir, "etc/sources.list"), "w") as f:
            f.write(SOURCES)
        status = os.path.join(self.dir, "state/status")
        if not os.path.exists(status):
            open(status, "w").close()
        self.updated = False

    def options(self):
        d = self.dir
        return ["-o", "Dir::Etc::SourceList=%s/etc/sources.list" % d, "-o", "Dir::Etc::SourceParts=%s/etc/parts" % d,
                "-o", "Dir::Etc::Preferences=%s/etc/none" % d, "-o", "Dir::Etc::PreferencesParts=%s/etc/parts" % d,
                "-o", "Dir::State=%s/state" % d, "-o", "Dir::State::status=%s/state/status" % d,
                "-o", "Dir::Cache=%s/cache" % d, "-o", "APT::Architecture=amd64", "-o", "APT::Architectures=amd64",
                "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-q"]

    def run(self, tool, *args, cwd=None):
        r = subprocess.run([tool] + self.options() + list(args), capture_output=True, text=True, cwd=cwd)
        if r.returncode != 0:
            raise SystemExit("%s %s failed:\n%s" % (tool, " ".join(args), r.stderr))
        return r.stdout

    def update(self):
        if not self.updated:
            self.run("apt-get", "update")
            self.updated = True

    def closure(self, names):
        """names and everything they depend on (not recommends)."""
        if not os.listdir(os.path.join(self.dir, "state/lists")) or \
                not any(n.endswith("_Packages") for n in os.listdir(os.path.join(self.dir, "state/lists"))):
            self.update()
        out = self.run("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                       "--no-breaks", "--no-replaces", "--no-enhances", *names)
        return sorted({line.strip() for line in out.splitlines() if line and not line.startswith((" ", "<"))})

    def download(self, names):
        """The .deb files of names at the candidate versions, downloaded once into the cache."""
        try:
            return self._download(names)
        except SystemExit:
            # an old list names versions the archive has dropped: once more with fresh lists
            self.update()
            return self._download(names)

    def _download(self, names):
        if not any(n.endswith("_Packages") for n in os.listdir(os.path.join(self.dir, "state/lists"))):
            self.update()
        wanted = {}
        for line in self.run("apt-cache", "policy", *names).splitlines():
            if line and not line.startswith(" "):
                current = line.rstrip(":")
            elif line.strip().startswith("Candidate:"):
                wanted[current] = line.split(":", 1)[1].strip()
        paths, missing = [], []
        for n in names:
            version = wanted.get(n)
            if not version or version == "(none)":
                raise SystemExit("Debian has no package %s" % n)
            path = os.path.join(self.debs, "%s_%s_amd64.deb" % (n, version.replace(":", "%3a")))
            alt = path.replace("_amd64.deb", "_all.deb")
            paths.append(alt if os.path.exists(alt) else path)
            if not os.path.exists(path) and not os.path.exists(alt):
                missing.append("%s=%s" % (n, version))
        if missing:
            self.run("apt-get", "download", *missing, cwd=self.debs)
        return [p if os.path.exists(p) else p.replace("_amd64.deb", "_all.deb") for p in paths]


def extract(debs, root):
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    for p in PRUNE:
        shutil.rmtree(os.path.join(root, p), ignore_errors=True)


def check_libraries(root):
    """Every ELF file's libraries are in the tree (an image has no other place to find them)."""
    have = set()
    for d in LIB_DIRS:
        full = os.path.join(root, d)
        if os.path.isdir(full):
            have.update(os.listdir(full))
    missing = {}
    for dirpath, _, files in os.walk(root):
        for n in files:
            path = os.path.join(dirpath, n)
            if os.path.islink(path):
                continue
            for so in elf_needed(path):
                if so not in have:
                    missing.setdefault(so, []).append(os.path.relpath(path, root))
    if missing:
        raise SystemExit("libraries missing from the image tree: %s" % missing)
