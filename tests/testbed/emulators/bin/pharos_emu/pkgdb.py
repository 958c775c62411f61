"""The host's package database and the repositories configured on it."""
import configparser
import fcntl
import glob
import os
import sys

from . import catalog, host

DB = "packages.json"
PREINSTALLED = {"deb": ["ca-certificates", "curl", "gpg", "gnupg", "iproute2", "iptables"],
                "rpm": ["curl", "iproute", "iptables-nft"]}


def family():
    osr = host.os_release()
    ids = (osr.get("ID", "") + " " + osr.get("ID_LIKE", "")).split()
    if any(i in ("debian", "ubuntu") for i in ids):
        return "deb", ("ubuntu" if "ubuntu" in ids else "debian")
    if any(i in ("rhel", "centos", "fedora", "rocky", "almalinux") for i in ids):
        return "rpm", osr.get("ID", "rhel")
    return None, None


def load():
    fam, distro = family()
    db = host.load_state(DB, None)
    if db is None:
        base = {p.name: p for p in catalog.base_repos(fam or "deb", distro)}
        db = {"installed": {n: {"version": base[n].version, "repo": "distribution"}
                            for n in PREINSTALLED.get(fam or "deb", []) if n in base},
              "held": [], "lists": []}
    return db


def save(db):
    host.save_state(DB, db)


class DpkgLock:
    """dpkg's frontend lock: a second package tool on the same host fails instead of waiting."""

    def __init__(self, lockpath, message):
        self.file = host.path(lockpath)
        self.message = message

    def __enter__(self):
        os.makedirs(os.path.dirname(self.file), exist_ok=True)
        self.fd = os.open(self.file, os.O_CREAT | os.O_RDWR, 0o640)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise host.ToolError(self.message, 100)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# ---------- apt sources ----------
def _apt_option(opts, name):
    for o in opts.split():
        k, _, v = o.partition("=")
        if k == name:
            return v
    return None


def apt_sources():
    """[(uri, suite, signed_by, origin_file)] from sources.list, *.list and deb822 *.sources."""
    out = []
    files = ["/etc/apt/sources.list"] + sorted(
        f[len(host.root()):] for f in glob.glob(host.path("/etc/apt/sources.list.d/*.list")))
    for f in files:
        for line in (host.read(f) or "").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line.startswith("deb "):
                continue
            rest = line[4:].strip()
            opts = ""
            if rest.startswith("["):
                opts, _, rest = rest[1:].partition("]")
            parts = rest.split()
            if len(parts) < 2:
                raise host.ToolError("E: Malformed entry 1 in list file %s (Suite)\nE: The list of sources could "
                                     "not be read." % f, 100)
            out.append((parts[0], parts[1], _apt_option(opts, "signed-by"), f))
    for f in sorted(glob.glob(host.path("/etc/apt/sources.list.d/*.sources"))):
        rel = f[len(host.root()):]
        for stanza in (host.read(rel) or "").split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith((" ", "#")):
                    k, _, v = line.partition(":")
                    fields[k.strip().lower()] = v.strip()
            if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
                continue
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    out.append((uri, suite, fields.get("signed-by"), rel))
    return out


def key_problem(path):
    """Why apt would not accept this keyring (None if fine)."""
    if not path:
        return "no signed-by"
    data = None
    try:
        with open(host.path(path), "rb") as f:
            data = f.read()
    except OSError:
        return "missing"
    if not data:
        return "empty"
    armored = data.lstrip().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    if path.endswith(".gpg") and armored:
        return "armored key in .gpg file"
    if path.endswith(".asc") and not armored:
        return "binary key in .asc file"
    return None


def trusted_keyrings():
    return [f[len(host.root()):] for f in glob.glob(host.path("/etc/apt/trusted.gpg.d/*"))]


# ---------- yum repos ----------
def yum_repos():
    """{repo id: {baseurl, enabled, gpgcheck, gpgkey, exclude}} from /etc/yum.repos.d/*.repo."""
    out = {}
    for f in sorted(glob.glob(host.path("/etc/yum.repos.d/*.repo"))):
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            cp.read(f)
        except configparser.Error as e:
            raise host.ToolError("Error: Bad repo file %s: %s" % (f[len(host.root()):], e), 1)
        for sec in cp.sections():
            out[sec] = {k: cp.get(sec, k) for k in cp.options(sec)}
    return out


# ---------- installing ----------
def install_files(pkg):
    for p, content in pkg.files.items():
        target = catalog.PKGROOT + p if p.startswith("/usr/") else p
        host.write(target, content)
    for g in pkg.groups:
        add_group(g)


def add_group(name):
    """A system group as the package's maintainer script adds it (addgroup --system / groupadd -r)."""
    text = host.read("/etc/group") or ""
    entries = [line.split(":") for line in text.splitlines() if line]
    if any(e[0] == name for e in entries):
        return
    used = {int(e[2]) for e in entries if len(e) > 2 and e[2].isdigit()}
    gid = next(i for i in range(999, 100, -1) if i not in used)
    host.write("/etc/group", text + ("" if text.endswith("\n") or not text else "\n") + "%s:x:%d:\n" % (name, gid))


def group_exists(name):
    return any(line.split(":")[0] == name for line in (host.read("/etc/group") or "").splitlines())


def remove_files(pkg):
    for p in pkg.files:
        host.remove(catalog.PKGROOT + p if p.startswith("/usr/") else p)


def installed_version(name):
    entry = load()["installed"].get(name)
    return entry["version"] if entry else None


def require_installed(names, command):
    """A package's command answers like a missing command until one of names is installed."""
    if isinstance(names, str):
        names = [names]
    if any(installed_version(n) is not None for n in names):
        return
    # not installed: this directory does not provide the command, so the shell would find the next one
    for d in os.environ.get("PATH", "").split(":"):
        cand = os.path.join(d, command)
        # the host's user-bin/ links to bin/: either is this emulator
        if d and os.path.dirname(os.path.realpath(cand)) != os.path.realpath(host.BIN_DIR) \
                and os.access(cand, os.X_OK) \
                and not os.path.isdir(cand):
            os.execv(cand, [command] + sys.argv[1:])
    raise host.ToolError("bash: %s: command not found" % command, 127)
