"""A binaries dir with the real one's layout (bin/, cni/, versions.env, stamp) but small scripts.

The packaging and the mirror's real mode are tested against it, so those tests
need no Go build. Contents and mtimes are fixed: the same dir gives the same
artifact key, and a second test run reuses the artifacts.
"""
import os

# As tests/testbed/real/build/versions.env writes them (tags with their "v").
VERSIONS = {"KUBERNETES_VERSION": "v1.37.2", "ETCD_VERSION": "v3.7.0", "COREDNS_VERSION": "v1.14.6",
            "PAUSE_VERSION": "3.10.2", "CONTAINERD_VERSION": "v2.4.2", "RUNC_VERSION": "v1.5.2",
            "CNI_PLUGINS_VERSION": "v1.10.0", "CRI_TOOLS_VERSION": "v1.37.0", "FLANNEL_VERSION": "v0.28.10",
            "FLANNEL_CNI_PLUGINS_VERSION": "v0.9.1"}
BIN = ["kubeadm", "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubectl",
       "etcd", "etcdctl", "containerd", "containerd-shim-runc-v2", "ctr", "runc", "crictl", "coredns", "pause",
       "flanneld"]
CNI = ["bridge", "host-local", "loopback", "portmap", "flannel"]
MTIME = 1767225600  # 2026-01-01


def make(root):
    """Writes the fake binaries dir under root and returns root (same content, same mtimes: same key)."""
    for sub, names in (("bin", BIN), ("cni", CNI)):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        for name in names:
            path = os.path.join(root, sub, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n# stand-in for %s in the packaging tests\necho \"%s fake $*\"\n" % (name, name))
            os.chmod(path, 0o755)
            os.utime(path, (MTIME, MTIME))
    with open(os.path.join(root, "versions.env"), "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in sorted(VERSIONS.items())))
    with open(os.path.join(root, "stamp"), "w") as f:
        f.write("fake binaries for tests\n")
    for name in ("versions.env", "stamp"):
        os.utime(os.path.join(root, name), (MTIME, MTIME))
    return root
