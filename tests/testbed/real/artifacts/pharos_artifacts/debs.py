"""The .deb packages pkgs.k8s.io and download.docker.com ship, around the built binaries.

Names, versions, Depends, file lists and unit files follow the upstream
packaging: kubernetes/release's spec files (built into debs with debbuild,
revision "-1.1") and docker/containerd-packaging's debian/ directory.
"""
import math
import os
import shutil
import subprocess
import sys

from .binaries import elf_needed
from .oci import MTIME

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "..", "..", "emulators", "bin"))
from pharos_emu.catalog import KUBEADM_DROPIN, KUBELET_UNIT  # noqa: E402  (one text for both tiers)

K8S_MAINTAINER = "Kubernetes Authors <dev@kubernetes.io>"
# The Debian packages that provide the sonames the containerd.io binaries link against.
SHLIBS = {"libc.so.6": "libc6 (>= 2.34)", "libseccomp.so.2": "libseccomp2 (>= 2.5.0)",
          "libpthread.so.0": "libc6 (>= 2.34)", "libdl.so.2": "libc6 (>= 2.34)", "libm.so.6": "libc6 (>= 2.34)",
          "libresolv.so.2": "libc6 (>= 2.34)"}

CONTAINERD_UNIT = """[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target dbus.service

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd

Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5

LimitNPROC=infinity
LimitCORE=infinity

TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
"""

# Docker's package turns the CRI plugin off; a kubelet host must write its own config.
CONTAINERD_CONFIG = """# containerd.io's default configuration: the CRI plugin is off, so the
# kubelet cannot use this containerd until the configuration enables it.
disabled_plugins = ["cri"]

#root = "/var/lib/containerd"
#state = "/run/containerd"
#[grpc]
#  address = "/run/containerd/containerd.sock"
"""

# On first install the unit is enabled as the distribution's presets say (Debian: enable), not started.
PRESET_POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ] && [ -z "$2" ]; then
\tsystemctl preset %(unit)s >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then
\tsystemctl daemon-reload >/dev/null 2>&1 || true
fi
"""

# containerd.io is enabled and (re)started on install and on upgrade.
START_POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ]; then
\tsystemctl enable %(unit)s >/dev/null 2>&1 || true
\tif [ -d /run/systemd/system ]; then
\t\tsystemctl daemon-reload >/dev/null 2>&1 || true
\t\tsystemctl restart %(unit)s >/dev/null 2>&1 || true
\tfi
fi
"""

PRERM = """#!/bin/sh
set -e
if [ "$1" = remove ]; then
\tsystemctl --no-reload disable %(unit)s >/dev/null 2>&1 || true
\tif [ -d /run/systemd/system ]; then
\t\tsystemctl stop %(unit)s >/dev/null 2>&1 || true
\tfi
fi
"""

POSTRM = """#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
\tsystemctl daemon-reload >/dev/null 2>&1 || true
fi
"""



def stage_file(dest, mode, content):
    """Writes one packaged file into a staging tree: CONTENT is bytes, or the path of a file to copy."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if isinstance(content, bytes):
        with open(dest, "wb") as f:
            f.write(content)
    else:
        shutil.copyfile(content, dest)
    os.chmod(dest, mode)

class Deb:
    def __init__(self, name, version, section, maintainer, homepage, summary, description=None):
        self.name, self.version = name, version
        self.fields = [("Package", name), ("Version", version), ("Architecture", "amd64"),
                       ("Maintainer", maintainer)]
        self.tail = [("Section", section), ("Priority", "optional"), ("Homepage", homepage),
                     ("Description", summary + "\n " + (description or summary + "."))]
        self.relations = []
        self.files = []       # (path, mode, source path or bytes)
        self.conffiles = []
        self.scripts = {}

    def add(self, path, mode, content):
        self.files.append((path.lstrip("/"), mode, content))

    def relation(self, field, value):
        if value:
            self.relations.append((field, value))

    def filename(self):
        return "%s_%s_amd64.deb" % (self.name, self.version)

    def build(self, outdir, work):
        stage = os.path.join(work, self.name)
        os.makedirs(os.path.join(stage, "DEBIAN"))
        size = 0
        for path, mode, content in self.files:
            dest = os.path.join(stage, path)
            stage_file(dest, mode, content)
            size += max(1, math.ceil(os.path.getsize(dest) / 1024))
        control = self.fields + [("Installed-Size", str(size))] + self.relations + self.tail
        with open(os.path.join(stage, "DEBIAN", "control"), "w") as f:
            f.write("".join("%s: %s\n" % kv for kv in control))
        if self.conffiles:
            with open(os.path.join(stage, "DEBIAN", "conffiles"), "w") as f:
                f.write("".join("/%s\n" % c.lstrip("/") for c in self.conffiles))
        for script, text in self.scripts.items():
            with open(os.path.join(stage, "DEBIAN", script), "w") as f:
                f.write(text)
            os.chmod(os.path.join(stage, "DEBIAN", script), 0o755)
        for dirpath, dirs, files in os.walk(stage):
            for n in dirs:
                os.chmod(os.path.join(dirpath, n), 0o755)
            for n in dirs + files:
                os.utime(os.path.join(dirpath, n), (MTIME, MTIME), follow_symlinks=False)
        os.utime(stage, (MTIME, MTIME))
        out = os.path.join(outdir, self.filename())
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(MTIME))
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", stage, out], check=True,
                       env=env, stdout=subprocess.DEVNULL)
        shutil.rmtree(stage)
        return out


def _systemd(deb, unit, postinst):
    deb.scripts = {"postinst": postinst % {"unit": unit}, "prerm": PRERM % {"unit": unit}, "postrm": POSTRM}


def kubernetes(b):
    """kubeadm, kubelet, kubectl, cri-tools, kubernetes-cni as pkgs.k8s.io's core:/stable:/vX.Y/deb/ has them."""
    v = b.versions

    def pkg(name, version, section, summary):
        return Deb(name, version + "-1.1", section, K8S_MAINTAINER, "https://kubernetes.io", summary)

    kubeadm = pkg("kubeadm", v["KUBERNETES_VERSION"], "admin",
                  "Command-line utility for administering a Kubernetes cluster")
    kubeadm.add("/usr/bin/kubeadm", 0o755, b.bin("kubeadm"))
    # debbuild's deb reads /etc/default/kubelet where the rpm reads /etc/sysconfig/kubelet
    kubeadm.add("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", 0o644,
                (KUBEADM_DROPIN % "/etc/default/kubelet").encode())

    kubelet = pkg("kubelet", v["KUBERNETES_VERSION"], "net", "Node agent for Kubernetes clusters")
    kubelet.relation("Depends", "iptables (>= 1.4.21), kubernetes-cni (>= 1.2.0), mount, util-linux")
    kubelet.add("/usr/bin/kubelet", 0o755, b.bin("kubelet"))
    kubelet.add("/usr/lib/systemd/system/kubelet.service", 0o644, KUBELET_UNIT.encode())
    kubelet.add("/var/lib/kubelet/.kubelet-keep", 0o644, b"")
    kubelet.add("/etc/kubernetes/manifests/.kubelet-keep", 0o644, b"")
    kubelet.add("/etc/default/kubelet", 0o644, b"KUBELET_EXTRA_ARGS=\n")
    kubelet.conffiles.append("/etc/default/kubelet")
    _systemd(kubelet, "kubelet.service", PRESET_POSTINST)

    kubectl = pkg("kubectl", v["KUBERNETES_VERSION"], "admin",
                  "Command-line utility for interacting with a Kubernetes cluster")
    kubectl.add("/usr/bin/kubectl", 0o755, b.bin("kubectl"))

    cri_tools = pkg("cri-tools", v["CRI_TOOLS_VERSION"], "admin",
                    "Command-line utility for interacting with a container runtime")
    cri_tools.add("/usr/bin/crictl", 0o755, b.bin("crictl"))

    cni = pkg("kubernetes-cni", v["CNI_PLUGINS_VERSION"], "net",
              "Binaries required to provision kubernetes container networking")
    # the containernetworking plugins only: flannel's plugin comes with flannel's image
    for name, path in b.cni().items():
        if name != "flannel":
            cni.add("/opt/cni/bin/" + name, 0o755, path)
    cni.add("/etc/cni/net.d/.kubernetes-cni-keep", 0o644, b"")
    return [kubeadm, kubelet, kubectl, cri_tools, cni]


def containerd_io(b):
    """containerd.io as download.docker.com ships it: containerd, its shim, ctr and runc in one package."""
    deb = Deb("containerd.io", b.versions["CONTAINERD_VERSION"] + "-1", "devel", "Containerd team <help@containerd.io>",
              "https://containerd.io", "An open and reliable container runtime")
    depends = []
    for name in ("containerd", "containerd-shim-runc-v2", "ctr", "runc"):
        path = b.bin(name)
        deb.add("/usr/bin/" + name, 0o755, path)
        for so in elf_needed(path):
            if so not in SHLIBS:
                raise SystemExit("bin/%s links %s: which Debian package has it?" % (name, so))
            if SHLIBS[so] not in depends:
                depends.append(SHLIBS[so])
    deb.relation("Depends", ", ".join(sorted(depends)))
    for field in ("Provides", "Conflicts", "Replaces"):
        deb.relation(field, "containerd, runc")
    deb.add("/lib/systemd/system/containerd.service", 0o644, CONTAINERD_UNIT.encode())
    deb.add("/etc/containerd/config.toml", 0o644, CONTAINERD_CONFIG.encode())
    deb.conffiles.append("/etc/containerd/config.toml")
    _systemd(deb, "containerd.service", START_POSTINST)
    return deb
