"""The .rpm packages of the EL family, from the same binaries and texts as the debs.

kubernetes/release's spec files (release "150500.1.1" on pkgs.k8s.io) and
docker/containerd-packaging's rpm/containerd.spec decide names, Requires and
files; on EL the kubelet's environment file is /etc/sysconfig/kubelet.
rpmbuild is Debian's (the rpm package); repodata is createrepo_c's.
"""
import os
import shutil
import subprocess

from .debs import CONTAINERD_CONFIG, CONTAINERD_UNIT, K8S_MAINTAINER, KUBEADM_DROPIN, KUBELET_UNIT, stage_file
from .oci import MTIME

K8S_RELEASE = "150500.1.1"
CONTAINERD_RELEASE = "3.1.el9"

# %systemd_post / %systemd_preun / %systemd_postun as EL's macros expand them.
POST = "if [ $1 -eq 1 ]; then systemctl --no-reload preset %(unit)s >/dev/null 2>&1 || :; fi\n"
PREUN = "if [ $1 -eq 0 ]; then systemctl --no-reload disable --now %(unit)s >/dev/null 2>&1 || :; fi\n"
POSTUN = "systemctl daemon-reload >/dev/null 2>&1 || :\n"


class Rpm:
    def __init__(self, name, version, release, summary, packager, url):
        self.name, self.version, self.release = name, version, release
        self.head = [("Name", name), ("Version", version), ("Release", release), ("Summary", summary),
                     ("License", "Apache-2.0"), ("URL", url)] + ([("Packager", packager)] if packager else []) + \
                    [("BuildArch", "x86_64"), ("AutoReqProv", "no")]
        self.files = []      # (path, mode, source path or bytes, config)
        self.dirs = []
        self.scripts = {}

    def tag(self, name, value):
        self.head.append((name, value))

    def add(self, path, mode, content, config=False):
        self.files.append(("/" + path.lstrip("/"), mode, content, config))

    def filename(self):
        return "%s-%s-%s.x86_64.rpm" % (self.name, self.version, self.release)

    def build(self, outdir, work):
        top = os.path.join(work, "rpm-" + self.name)
        stage = os.path.join(top, "stage")
        lines = ["%global debug_package %{nil}", "%global __os_install_post %{nil}", "%define _build_id_links none"]
        lines += ["%s: %s" % kv for kv in self.head]
        lines += ["", "%description", "%{summary}.", "", "%install", "cp -a %s/. %%{buildroot}/" % stage, "",
                  "%files"]
        for path, mode, content, config in self.files:
            stage_file(stage + path, mode, content)
            lines.append("%s%%attr(%04o,root,root) %s" % ("%config(noreplace) " if config else "", mode, path))
        for d in self.dirs:
            os.makedirs(stage + d, exist_ok=True)
            lines.append("%%dir %%attr(0755,root,root) %s" % d)
        for section, text in sorted(self.scripts.items()):
            lines += ["", "%" + section, text]
        spec = os.path.join(top, self.name + ".spec")
        with open(spec, "w") as f:
            f.write("\n".join(lines) + "\n")
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(MTIME))
        r = subprocess.run(["rpmbuild", "-bb", "--target", "x86_64", "--define", "_topdir " + top,
                            "--define", "_rpmdir " + outdir, "--define", "_build_name_fmt " + self.filename(),
                            "--define", "_binary_payload w6.gzdio", "--define", "_buildhost pharos-testbed",
                            "--define", "use_source_date_epoch_as_buildtime 1",
                            "--define", "clamp_mtime_to_source_date_epoch 1", spec],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit("rpmbuild %s failed:\n%s" % (self.name, r.stderr))
        shutil.rmtree(top)
        return os.path.join(outdir, self.filename())


def _systemd(rpm, unit):
    rpm.scripts = {"post": POST % {"unit": unit}, "preun": PREUN % {"unit": unit}, "postun": POSTUN}


def kubernetes(b):
    v = b.versions

    def pkg(name, version, summary):
        return Rpm(name, version, K8S_RELEASE, summary, K8S_MAINTAINER, "https://kubernetes.io")

    kubeadm = pkg("kubeadm", v["KUBERNETES_VERSION"], "Command-line utility for administering a Kubernetes cluster")
    kubeadm.add("/usr/bin/kubeadm", 0o755, b.bin("kubeadm"))
    kubeadm.add("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", 0o644,
                (KUBEADM_DROPIN % "/etc/sysconfig/kubelet").encode())
    kubeadm.dirs.append("/usr/lib/systemd/system/kubelet.service.d")

    kubelet = pkg("kubelet", v["KUBERNETES_VERSION"], "Node agent for Kubernetes clusters")
    for req in ("iptables >= 1.4.21", "kubernetes-cni >= 1.2.0", "util-linux"):
        kubelet.tag("Requires", req)
    kubelet.add("/usr/bin/kubelet", 0o755, b.bin("kubelet"))
    kubelet.add("/usr/lib/systemd/system/kubelet.service", 0o644, KUBELET_UNIT.encode())
    kubelet.add("/etc/sysconfig/kubelet", 0o644, b"KUBELET_EXTRA_ARGS=\n", config=True)
    kubelet.dirs += ["/var/lib/kubelet", "/etc/kubernetes", "/etc/kubernetes/manifests"]
    _systemd(kubelet, "kubelet.service")

    kubectl = pkg("kubectl", v["KUBERNETES_VERSION"], "Command-line utility for interacting with a Kubernetes cluster")
    kubectl.add("/usr/bin/kubectl", 0o755, b.bin("kubectl"))

    cri_tools = pkg("cri-tools", v["CRI_TOOLS_VERSION"], "Command-line utility for interacting with a container runtime")
    cri_tools.add("/usr/bin/crictl", 0o755, b.bin("crictl"))

    cni = pkg("kubernetes-cni", v["CNI_PLUGINS_VERSION"], "Binaries required to provision kubernetes container networking")
    for name, path in b.cni().items():
        if name != "flannel":
            cni.add("/opt/cni/bin/" + name, 0o755, path)
    cni.dirs += ["/opt/cni", "/opt/cni/bin", "/etc/cni", "/etc/cni/net.d"]
    return [kubeadm, kubelet, kubectl, cri_tools, cni]


def containerd_io(b):
    rpm = Rpm("containerd.io", b.versions["CONTAINERD_VERSION"], CONTAINERD_RELEASE,
              "An industry-standard container runtime", None, "https://containerd.io")
    for tag in ("Provides", "Obsoletes", "Conflicts"):
        rpm.tag(tag, "containerd, runc")
    for req in ("container-selinux", "libseccomp"):
        rpm.tag("Requires", req)
    for name in ("containerd", "containerd-shim-runc-v2", "ctr", "runc"):
        rpm.add("/usr/bin/" + name, 0o755, b.bin(name))
    rpm.add("/usr/lib/systemd/system/containerd.service", 0o644, CONTAINERD_UNIT.encode())
    rpm.add("/etc/containerd/config.toml", 0o644, CONTAINERD_CONFIG.encode(), config=True)
    rpm.dirs.append("/etc/containerd")
    _systemd(rpm, "containerd.service")
    return rpm


def createrepo(directory):
    r = subprocess.run(["createrepo_c", "--no-database", "--simple-md-filenames", directory],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("createrepo_c %s failed:\n%s" % (directory, r.stderr))
