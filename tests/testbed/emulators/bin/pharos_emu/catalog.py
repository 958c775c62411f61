"""What the package repositories carry, and what installing a package puts on the host.

A package is only visible through a repository that is configured on the host
(and, for apt, fetched by `apt-get update`). Files under /usr go below
PKGROOT because a sandbox host shares the machine's /usr.
"""
import re

PKGROOT = "/var/lib/pharos-testbed/pkgroot"

# Latest patch release per Kubernetes minor on pkgs.k8s.io (enough for tests).
K8S_PATCHES = {"1.28": 15, "1.29": 15, "1.30": 14, "1.31": 14, "1.32": 10, "1.33": 6, "1.34": 2, "1.35": 4,
               "1.36": 3, "1.37": 2}
CRI_TOOLS = {"1.28": "1.28.0", "1.29": "1.29.0", "1.30": "1.30.1", "1.31": "1.31.1", "1.32": "1.32.0",
             "1.33": "1.33.0", "1.34": "1.34.0", "1.35": "1.35.0", "1.36": "1.36.0", "1.37": "1.37.0"}
CNI = {"1.28": "1.2.0", "1.29": "1.3.0", "1.30": "1.4.0", "1.31": "1.5.1", "1.32": "1.6.0",
       "1.33": "1.6.0", "1.34": "1.7.1", "1.35": "1.7.1", "1.36": "1.7.1", "1.37": "1.10.0"}

# kubeadm's image pins per minor: DefaultEtcdVersion, CoreDNSVersion, PauseVersion in
# cmd/kubeadm/app/constants/constants.go of k8s.io/kubernetes v1.29.6, v1.30.14, v1.31.14,
# v1.32.13, v1.33.6, v1.34.2, v1.35.4, v1.36.3 and v1.37.2 (the Go module proxy's copies).
KUBEADM_IMAGES = {
    "1.29": {"etcd": "3.5.12-0", "coredns": "v1.11.1", "pause": "3.9"},
    "1.30": {"etcd": "3.5.15-0", "coredns": "v1.11.3", "pause": "3.9"},
    "1.31": {"etcd": "3.5.24-0", "coredns": "v1.11.3", "pause": "3.10"},
    "1.32": {"etcd": "3.5.24-0", "coredns": "v1.11.3", "pause": "3.10"},
    "1.33": {"etcd": "3.5.24-0", "coredns": "v1.12.0", "pause": "3.10"},
    "1.34": {"etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1"},
    "1.35": {"etcd": "3.6.6-0", "coredns": "v1.13.1", "pause": "3.10.1"},
    "1.36": {"etcd": "3.6.8-0", "coredns": "v1.14.2", "pause": "3.10.2"},
    "1.37": {"etcd": "3.7.0-0", "coredns": "v1.14.6", "pause": "3.10.2"},
}

KUBELET_UNIT = """[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
"""

KUBEADM_DROPIN = """# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should
# use the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-%s
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""

CONTAINERD_UNIT = """[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"""

FIREWALLD_UNIT = """[Unit]
Description=firewalld - dynamic firewall daemon

[Service]
ExecStart=/usr/sbin/firewalld --nofork --nopid
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""

CHRONY_UNIT = """[Unit]
Description=chrony, an NTP client/server

[Service]
ExecStart=/usr/sbin/chronyd -F 1
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


class Pkg:
    def __init__(self, name, version, commands=(), files=None, depends=(), groups=()):
        self.name = name
        self.version = version
        self.commands = list(commands)   # emulators in bin/ that answer only once this is installed
        self.files = files or {}         # host path -> content
        self.depends = list(depends)
        self.groups = list(groups)       # system groups its maintainer script adds


def _k8s(minor, family):
    out = []
    dropin_env = "/etc/default/kubelet" if family == "deb" else "/etc/sysconfig/kubelet"
    unit_dir = "/usr/lib/systemd/system"
    for patch in range(K8S_PATCHES[minor] + 1):
        v = "%s.%d" % (minor, patch)
        rel = v + ("-1.1" if family == "deb" else "-150500.1.1")
        out.append(Pkg("kubelet", rel, ["kubelet"], {unit_dir + "/kubelet.service": KUBELET_UNIT},
                       ["kubernetes-cni", "conntrack" if family == "deb" else "conntrack-tools"]))
        # kubeadm needs no crictl from 1.32 on, and its packages stopped depending on
        # cri-tools then (kubernetes/release#3626)
        out.append(Pkg("kubeadm", rel, ["kubeadm"],
                       {unit_dir + "/kubelet.service.d/10-kubeadm.conf": KUBEADM_DROPIN % dropin_env},
                       ["cri-tools"] if tuple(map(int, minor.split("."))) < (1, 32) else []))
        out.append(Pkg("kubectl", rel, ["kubectl"]))
    suffix = "-1.1" if family == "deb" else "-150500.1.1"
    out.append(Pkg("cri-tools", CRI_TOOLS[minor] + suffix, ["crictl"]))
    out.append(Pkg("kubernetes-cni", CNI[minor] + suffix, []))
    return out


def _base(family, distro):
    if family == "deb":
        pkgs = [Pkg("containerd", "1.7.24-0ubuntu1" if distro == "ubuntu" else "1.6.20~ds1-1+b1",
                    ["containerd", "ctr"],
                    {"/usr/lib/systemd/system/containerd.service": CONTAINERD_UNIT}, ["runc"]),
                Pkg("runc", "1.1.12-0ubuntu3" if distro == "ubuntu" else "1.1.5+ds1-1+deb12u1"),
                Pkg("conntrack", "1:1.4.8-1"), Pkg("socat", "1.8.0.0-4"), Pkg("ebtables", "2.0.11-6"),
                Pkg("ethtool", "1:6.7-1"), Pkg("ipset", "7.19-1"), Pkg("ipvsadm", "1:1.31-1"),
                Pkg("jq", "1.7.1-3"), Pkg("nfs-common", "1:2.6.4-3ubuntu5"),
                Pkg("apt-transport-https", "2.7.14"), Pkg("ca-certificates", "20240203"),
                Pkg("curl", "8.5.0-2ubuntu10"), Pkg("gnupg", "2.4.4-2ubuntu17"), Pkg("gpg", "2.4.4-2ubuntu17"),
                Pkg("chrony", "4.5-1ubuntu4", [], {"/usr/lib/systemd/system/chrony.service": CHRONY_UNIT}),
                Pkg("iptables", "1.8.10-3ubuntu2"), Pkg("iproute2", "6.1.0-1ubuntu6"),
                Pkg("firewalld", "2.1.1-1" if distro == "ubuntu" else "1.3.3-1~deb12u1", ["firewall-cmd", "firewalld"],
                    {"/usr/lib/systemd/system/firewalld.service": FIREWALLD_UNIT})]
    else:
        pkgs = [Pkg("conntrack-tools", "1.4.7-2.el9"), Pkg("socat", "1.7.4.1-5.el9"),
                Pkg("ebtables-legacy", "2.0.11-9.el9"), Pkg("ethtool", "6.2-1.el9"), Pkg("ipset", "7.11-8.el9"),
                Pkg("ipvsadm", "1.31-6.el9"), Pkg("jq", "1.6-16.el9"), Pkg("nfs-utils", "2.5.4-25.el9"),
                Pkg("iptables-nft", "1.8.10-4.el9"), Pkg("iproute", "6.2.0-6.el9"),
                Pkg("curl", "7.76.1-29.el9"), Pkg("chrony", "4.5-1.el9", [],
                                                    {"/usr/lib/systemd/system/chronyd.service": CHRONY_UNIT}),
                Pkg("firewalld", "1.3.4-1.el9", ["firewall-cmd", "firewalld"],
                    {"/usr/lib/systemd/system/firewalld.service": FIREWALLD_UNIT}),
                Pkg("yum-utils", "4.3.0-13.el9"), Pkg("container-selinux", "2.229.0-1.el9"),
                Pkg("runc", "1.1.12-3.el9")]
    return pkgs


# Docker Engine releases on download.docker.com (enough for pinning tests).
DOCKER_ENGINE = ["27.5.1", "28.5.0", "28.5.1", "29.0.0"]

DOCKER_UNIT = """[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target nss-lookup.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always
LimitNOFILE=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
"""

DOCKER_SOCKET = """[Unit]
Description=Docker Socket for the API

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
"""


def docker_repo(family, distro=None, os_release=None):
    unit = {"/usr/lib/systemd/system/containerd.service": CONTAINERD_UNIT}
    engine = {"/usr/lib/systemd/system/docker.service": DOCKER_UNIT,
              "/usr/lib/systemd/system/docker.socket": DOCKER_SOCKET}
    osr = os_release or {}
    out = []
    if family == "deb":
        out.append(Pkg("containerd.io", "2.4.2-1", ["containerd", "ctr"], unit))
        # 5:28.5.1-1~ubuntu.24.04~noble, 5:28.5.1-1~debian.12~bookworm
        suffix = "~%s.%s~%s" % (distro or "debian", osr.get("VERSION_ID", "12"),
                                osr.get("VERSION_CODENAME", "bookworm"))
        for v in DOCKER_ENGINE:
            rel = "5:%s-1%s" % (v, suffix)
            out.append(Pkg("docker-ce-cli", rel, ["docker"]))
            out.append(Pkg("docker-ce", rel, ["dockerd"], engine, ["containerd.io", "docker-ce-cli", "iptables"],
                           ["docker"]))
        return out
    out.append(Pkg("containerd.io", "2.4.2-3.1.el9", ["containerd", "ctr"], unit))
    for v in DOCKER_ENGINE:
        rel = "%s-1.el9" % v
        out.append(Pkg("docker-ce-cli", rel, ["docker"]))
        out.append(Pkg("docker-ce", rel, ["dockerd"], engine, ["containerd.io", "docker-ce-cli", "iptables-nft"],
                       ["docker"]))
    return out


# Latest patch release per CRI-O minor (it follows the Kubernetes minors).
CRIO_PATCHES = {"1.28": 4, "1.29": 6, "1.30": 8, "1.31": 6, "1.32": 4, "1.33": 2, "1.34": 1, "1.35": 2, "1.36": 1,
                "1.37": 0}

CRIO_UNIT = """[Unit]
Description=Container Runtime Interface for OCI (CRI-O)
Documentation=https://github.com/cri-o/cri-o
Wants=network-online.target
Before=kubelet.service
After=network-online.target

[Service]
Type=notify
EnvironmentFile=-%s
Environment=GOTRACEBACK=crash
ExecStart=/usr/bin/crio \\
          $CRIO_CONFIG_OPTIONS \\
          $CRIO_RUNTIME_OPTIONS \\
          $CRIO_STORAGE_OPTIONS \\
          $CRIO_NETWORK_OPTIONS \\
          $CRIO_METRICS_OPTIONS
ExecReload=/bin/kill -s HUP $MAINPID
TasksMax=infinity
LimitNOFILE=1048576
LimitNPROC=1048576
LimitCORE=infinity
OOMScoreAdjust=-999
TimeoutStartSec=0
Restart=on-failure
RestartSec=10

[Install]
WantedBy=multi-user.target
Alias=cri-o.service
"""

# What the packages put in /etc/crio/crio.conf.d (the static bundle's defaults).
CRIO_DEFAULT_CONF = """[crio.runtime]
default_runtime = "crun"

[crio.runtime.runtimes.crun]
runtime_root = "/run/crun"
monitor_path = "/usr/libexec/crio/conmon"
allowed_annotations = [
    "io.containers.trace-syscall",
]

[crio.runtime.runtimes.runc]
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
"""


def crio_repo(minor, family):
    env = "/etc/default/crio" if family == "deb" else "/etc/sysconfig/crio"
    files = {"/usr/lib/systemd/system/crio.service": CRIO_UNIT % env,
             "/etc/crio/crio.conf.d/10-crio.conf": CRIO_DEFAULT_CONF}
    suffix = "-1.1" if family == "deb" else "-150500.1.1"
    return [Pkg("cri-o", "%s.%d%s" % (minor, p, suffix), ["crio"], files)
            for p in range(CRIO_PATCHES[minor] + 1)]


PKGS_K8S = re.compile(r"^https?://pkgs\.k8s\.io/core:/stable:/v(\d+\.\d+)/(deb|rpm)/?$")
DOCKER = re.compile(r"^https?://download\.docker\.com/linux/(ubuntu|debian|centos|rhel)/?.*$")
# CRI-O's repositories: on OBS's download server since v1.33's packaging move, before that
# under pkgs.k8s.io's addons; both carry each minor for deb and rpm.
CRIO = re.compile(r"^https?://(?:download\.opensuse\.org/repositories/isv:/cri-o:/stable:/|"
                  r"pkgs\.k8s\.io/addons:/cri-o:/stable:/)v(\d+\.\d+)/(deb|rpm)/?$")


def repository(uri, family, distro, os_release=None):
    """(repo id, packages) a repository URI serves, or (None, []) if unknown to the testbed."""
    uri = uri.rstrip("/") + "/"
    m = PKGS_K8S.match(uri)
    if m:
        if m.group(1) not in K8S_PATCHES or m.group(2) != family:
            return "pkgs.k8s.io/v" + m.group(1), None
        return "pkgs.k8s.io/v" + m.group(1), _k8s(m.group(1), family)
    m = CRIO.match(uri)
    if m:
        if m.group(1) not in CRIO_PATCHES or m.group(2) != family:
            return "cri-o/v" + m.group(1), None
        return "cri-o/v" + m.group(1), crio_repo(m.group(1), family)
    if DOCKER.match(uri):
        return "download.docker.com", docker_repo(family, distro, os_release)
    if re.match(r"^https?://(archive|security|[a-z]{2}\.archive|ports)\.ubuntu\.com/", uri) or \
            re.match(r"^https?://(deb|security)\.debian\.org/", uri) or uri.startswith("mirror+file:"):
        return "distribution", _base(family, distro)
    return None, []


def base_repos(family, distro):
    return _base(family, distro)


def compare_versions(a, b):
    """dpkg-like version ordering on the parts that the catalog uses."""
    def key(v):
        epoch, _, rest = v.rpartition(":")
        parts = re.findall(r"\d+|[A-Za-z]+|~", rest)
        return [int(epoch or 0)] + [(-1, p) if p == "~" else ((1, int(p)) if p.isdigit() else (0, p))
                                     for p in parts]
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)
