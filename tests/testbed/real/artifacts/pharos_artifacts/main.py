"""Command line: build the artifacts of a binaries dir once, into the cache, or print where they are."""
import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import aptrepo, debian, debs, images, oci, rpms
from .binaries import Binaries

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_SH = os.path.join(HERE, "..", "build", "build.sh")
CATALOG = os.path.join(HERE, "..", "..", "emulators", "bin", "pharos_emu", "catalog.py")
# The Debian suites download.docker.com's containerd.io is served for, and the EL distributions.
DOCKER_SUITES = ["bookworm", "trixie"]
DOCKER_EL = ["centos", "rhel"]
# download.docker.com/linux/<distro>/docker-ce.repo, as Docker's install docs fetch it with dnf config-manager
DOCKER_REPO_FILE = """[docker-ce-stable]
name=Docker CE Stable - $basearch
baseurl=https://download.docker.com/linux/%(d)s/$releasever/$basearch/stable
enabled=1
gpgcheck=1
gpgkey=https://download.docker.com/linux/%(d)s/gpg
"""


def cache_root():
    return os.environ.get("PHAROS_TESTBED_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "pharos-testbed")


def scripts_hash():
    """The packaging itself is an input: a change to it builds anew."""
    h = hashlib.sha256()
    paths = [CATALOG]
    for dirpath, dirs, files in os.walk(HERE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        paths += [os.path.join(dirpath, n) for n in sorted(files) if not n.endswith(".pyc")]
    for p in paths:
        with open(p, "rb") as f:
            h.update(p.encode() if p == CATALOG else os.path.relpath(p, HERE).encode())
            h.update(f.read())
    return h.hexdigest()


def target_dir(releases):
    ident = "".join(b.identity() for b in releases)
    key = hashlib.sha256((ident + scripts_hash()).encode()).hexdigest()[:12]
    return os.path.join(cache_root(), "artifacts", "%s-%s" % (releases[0].versions["KUBERNETES_VERSION"], key))


def built_dir(*release):
    """build.sh's dir for that release, None when it is not built."""
    r = subprocess.run([BUILD_SH, *release, "--print-dir"], capture_output=True, text=True) \
        if os.path.exists(BUILD_SH) else None
    return r.stdout.strip() if r is not None and r.returncode == 0 else None


def build_k8s_apt(b, www, work):
    """pkgs.k8s.io's core:/stable:/vX.Y/deb/ for B's minor."""
    k8s_minor = ".".join(b.versions["KUBERNETES_VERSION"].split(".")[:2])
    repo = os.path.join(www, "pkgs.k8s.io", "core:", "stable:", "v" + k8s_minor, "deb")
    os.makedirs(os.path.join(repo, "amd64"))
    stanzas = []
    for deb in debs.kubernetes(b):
        path = deb.build(os.path.join(repo, "amd64"), work)
        stanzas.append(aptrepo.stanza(path, "amd64/" + os.path.basename(path)))
    aptrepo.write_packages(repo, stanzas)
    aptrepo.write_release(repo, ["Packages", "Packages.gz"],
                          [("Origin", "obs://build.opensuse.org/isv:kubernetes:core:stable:v%s/deb" % k8s_minor),
                           ("Label", "isv:kubernetes:core:stable:v%s" % k8s_minor), ("Architectures", "amd64")])


def build_docker_apt(b, www, work):
    docker = os.path.join(www, "download.docker.com", "linux", "debian", "dists")
    built = None
    for suite in DOCKER_SUITES:
        pool = os.path.join(docker, suite, "pool", "stable", "amd64")
        index = os.path.join(docker, suite, "stable", "binary-amd64")
        os.makedirs(pool)
        os.makedirs(index)
        deb = debs.containerd_io(b)
        if built is None:
            built = deb.build(pool, work)
        else:
            os.link(built, os.path.join(pool, deb.filename()))
        path = os.path.join(pool, deb.filename())
        aptrepo.write_packages(index, [aptrepo.stanza(path, "dists/%s/pool/stable/amd64/%s" % (suite, deb.filename()))])
        aptrepo.write_release(os.path.join(docker, suite),
                              ["stable/binary-amd64/Packages", "stable/binary-amd64/Packages.gz"],
                              [("Origin", "Docker"), ("Label", "Docker CE"), ("Suite", suite), ("Codename", suite),
                               ("Architectures", "amd64"), ("Components", "stable")])


def build_k8s_rpm(b, www, work):
    """pkgs.k8s.io's core:/stable:/vX.Y/rpm/ for B's minor."""
    k8s_minor = ".".join(b.versions["KUBERNETES_VERSION"].split(".")[:2])
    repo = os.path.join(www, "pkgs.k8s.io", "core:", "stable:", "v" + k8s_minor, "rpm")
    os.makedirs(os.path.join(repo, "x86_64"))
    for rpm in rpms.kubernetes(b):
        rpm.build(os.path.join(repo, "x86_64"), work)
    rpms.createrepo(repo)


def build_docker_rpm(b, www, work):
    built = None
    for distro in DOCKER_EL:
        base = os.path.join(www, "download.docker.com", "linux", distro)
        stable = os.path.join(base, "9", "x86_64", "stable")
        os.makedirs(os.path.join(stable, "Packages"))
        rpm = rpms.containerd_io(b)
        if built is None:
            built = rpm.build(os.path.join(stable, "Packages"), work)
        else:
            os.link(built, os.path.join(stable, "Packages", rpm.filename()))
        rpms.createrepo(stable)
        with open(os.path.join(base, "docker-ce.repo"), "w") as f:
            f.write(DOCKER_REPO_FILE % {"d": distro})


def du(path):
    """Bytes on disk, each hard link (a package served for two suites) once."""
    seen = {}
    for dirpath, _, files in os.walk(path):
        for n in files:
            st = os.lstat(os.path.join(dirpath, n))
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def build(releases, dest):
    """RELEASES: the current release's binaries, then the previous minor's."""
    b = releases[0]
    start = time.time()
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".building-", dir=parent)
    try:
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        www = os.path.join(tmp, "www")
        for rel in releases:
            build_k8s_apt(rel, www, work)
            build_k8s_rpm(rel, www, work)
        build_docker_apt(b, www, work)
        build_docker_rpm(b, www, work)
        t_debs = time.time() - start
        store = oci.Store(os.path.join(tmp, "oci"))
        refs = images.build(store, releases, debian.Apt(cache_root()))
        shutil.rmtree(work)
        shutil.copyfile(b.file("versions.env"), os.path.join(tmp, "versions.env"))
        summary = {"binaries": [rel.root for rel in releases], "seconds_packages": round(t_debs, 1),
                   "seconds_total": round(time.time() - start, 1), "bytes_www": du(www),
                   "bytes_oci": du(os.path.join(tmp, "oci")),
                   "images": {name: desc["digest"] for name, desc in refs}}
        with open(os.path.join(tmp, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # the stamp last: a dir without it is not done
    with open(os.path.join(dest, "stamp"), "w") as f:
        f.write("".join("%s\n" % rel.root for rel in releases))
    return summary


def main(argv=None):
    p = argparse.ArgumentParser(prog="tests/testbed/real/artifacts/build.sh",
                                description="deb packages, apt indexes and OCI images for the real tier's mirror")
    p.add_argument("--bin", help="binaries dir (default: tests/testbed/real/build/build.sh --print-dir)")
    p.add_argument("--previous-bin", help="the previous minor's binaries dir, for the upgrade test "
                   "(default without --bin: tests/testbed/real/build/build.sh --release previous "
                   "--print-dir, left out when that is not built)")
    p.add_argument("--print-dir", action="store_true", help="print the artifacts dir; exit 1 if not built")
    a = p.parse_args(argv)
    current = a.bin or built_dir()
    if not current:
        raise SystemExit("no binaries dir: build them with tests/testbed/real/build/build.sh or pass --bin DIR")
    b = Binaries(current)
    # Only the upgrade test needs the previous minor: a demo does not wait for its build.
    # Binaries named by hand (the mirror's own test has fake ones) get only the previous
    # minor named by hand beside them.
    previous = a.previous_bin or (None if a.bin else built_dir("--release", "previous"))
    releases = [b] + ([Binaries(previous, base=b)] if previous else [])
    dest = target_dir(releases)
    if a.print_dir:
        if not os.path.exists(os.path.join(dest, "stamp")):
            return 1
        print(dest)
        return 0
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(os.path.join(os.path.dirname(dest), ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(dest, "stamp")):
            print("artifacts: up to date in %s" % dest, file=sys.stderr)
        else:
            shutil.rmtree(dest, ignore_errors=True)
            s = build(releases, dest)
            print("artifacts: built in %.0f s (packages %.0f s): %d MB apt, %d MB images in %s" % (
                s["seconds_total"], s["seconds_packages"], s["bytes_www"] >> 20, s["bytes_oci"] >> 20, dest),
                file=sys.stderr)
    print(dest)
    return 0
