"""The binaries dir that tests/testbed/real/build/build.sh fills: bin/, cni/, versions.env, stamp."""
import hashlib
import os
import subprocess

REQUIRED = ["KUBERNETES_VERSION", "ETCD_VERSION", "COREDNS_VERSION", "PAUSE_VERSION", "CONTAINERD_VERSION",
            "CNI_PLUGINS_VERSION", "CRI_TOOLS_VERSION", "FLANNEL_VERSION", "FLANNEL_CNI_PLUGINS_VERSION"]


class Binaries:
    """A binaries dir. With BASE, the previous minor's (build.sh --release previous): what it
    lacks, and every pin its versions.env does not set, come from BASE, the current release's."""

    def __init__(self, root, base=None):
        self.root = os.path.abspath(root)
        self.base = base
        if not os.path.exists(self.file("stamp")):
            raise SystemExit("%s: no stamp, the binaries are not built (yet)" % self.root)
        self.versions = dict(base.versions) if base else {}
        with open(self.file("versions.env")) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, _, v = line.partition("=")
                    # versions are kept without the tag's "v"; tags add it back where upstream has one
                    self.versions[k.strip()] = v.strip().strip("\"'").lstrip("v")
        missing = [k for k in REQUIRED if k not in self.versions]
        if missing:
            raise SystemExit("%s: versions.env lacks %s" % (self.root, " ".join(missing)))

    def file(self, *parts):
        return os.path.join(self.root, *parts)

    def bin(self, name):
        path = self.optional_bin(name)
        if path is None:
            raise SystemExit("%s: missing bin/%s" % (self.root, name))
        return path

    def optional_bin(self, name):
        path = self.file("bin", name)
        if os.path.isfile(path):
            return path
        return self.base.optional_bin(name) if self.base else None

    def cni(self):
        """CNI plugin name -> path."""
        d = self.file("cni")
        found = {n: os.path.join(d, n) for n in sorted(os.listdir(d)) if os.path.isfile(os.path.join(d, n))} \
            if os.path.isdir(d) else {}
        return found if found or not self.base else self.base.cni()

    def identity(self):
        """What the artifacts depend on: versions, stamp and every file's name, size and mtime.

        The binaries are not hashed (a gigabyte); the build writes them anew, with new mtimes,
        whenever they change."""
        h = hashlib.sha256()
        for name in ("versions.env", "stamp"):
            with open(self.file(name), "rb") as f:
                h.update(f.read())
        for sub in ("bin", "cni"):
            if not os.path.isdir(self.file(sub)):
                continue
            for n in sorted(os.listdir(self.file(sub))):
                st = os.stat(self.file(sub, n))
                h.update(("%s/%s %d %d\n" % (sub, n, st.st_size, st.st_mtime_ns)).encode())
        if self.base:
            h.update(self.base.identity().encode())
        return h.hexdigest()


def elf_needed(path):
    """The sonames an ELF file links against ([] for a static binary or a script)."""
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return []
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
