"""The images a kubeadm cluster with flannel pulls, with the layout and config of upstream's.

Facts from the upstream build files: the server images (kubernetes build/server-image)
put the binary in /usr/local/bin with kube-log-runner as /go-runner, the
entrypoint; kube-proxy's base adds iptables (distroless-iptables); pause is
/pause as 65535:65535; CoreDNS is /coredns with cap_net_bind_service, user
nonroot, ports 53; flannel is /opt/bin/flanneld on an image with iptables and
a shell's tools; the flannel CNI plugin image holds /flannel for `cp`; haproxy's official
image (docker-library/haproxy) runs /usr/local/sbin/haproxy as user haproxy.
"""
import os
import subprocess
import tempfile

from . import debian, oci

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def base_tree():
    """What distroless gives every image: users, groups, /tmp, name service switch."""
    t = oci.Tree()
    t.file("etc/passwd", data=b"root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:"
                              b"/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n", mode=0o644)
    t.file("etc/group", data=b"root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n", mode=0o644)
    t.file("etc/nsswitch.conf", data=b"hosts: files dns\n", mode=0o644)
    t.dir("tmp", 0o1777)
    t.dir("root", 0o700)
    t.dir("home/nonroot", 0o700)
    return t


def iptables_tree(apt, work):
    """Debian's iptables (nft and legacy) and conntrack with their libraries, behind the wrapper."""
    root = os.path.join(work, "iptables-root")
    os.makedirs(root)
    debian.extract(apt.download(apt.closure(["iptables", "conntrack"]) + ["dash"]), root)
    debian.check_libraries(root)
    t = oci.Tree()
    t.add_tree(root)
    if "bin/sh" not in t.entries:
        t.symlink("bin/sh", "dash")
    t.file("usr/sbin/iptables-wrapper", source=os.path.join(HERE, "iptables-wrapper.sh"), mode=0o755)
    for base in ("iptables", "ip6tables"):
        for suffix in ("", "-save", "-restore"):
            t.symlink("usr/sbin/%s%s" % (base, suffix), "iptables-wrapper")
    t.dir("var/lib/iptables-wrapper")
    t.dir("run")  # the legacy variant locks /run/xtables.lock
    return t


def busybox_tree(apt, work):
    """Debian's busybox-static as /bin/busybox, each applet a link to it in /bin."""
    root = os.path.join(work, "busybox-root")
    os.makedirs(root)
    debian.extract(apt.download(["busybox-static"]), root)
    busybox = os.path.join(root, "bin", "busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
    t = oci.Tree()
    t.file("bin/busybox", source=busybox, mode=0o755)
    for a in applets:
        if a != "busybox":
            t.symlink("bin/" + a, "busybox")
    return t


def haproxy_tree(apt, work):
    """Debian's haproxy (2.6 LTS, as bookworm ships it) laid out as the official image is:
    haproxy on PATH in /usr/local/sbin, /usr/local/etc/haproxy for its configuration,
    the haproxy user (uid 99) it runs as."""
    root = os.path.join(work, "haproxy-root")
    os.makedirs(root)
    # the program and the libraries it links (each dependency's first choice), not what
    # its maintainer scripts use (adduser, debconf)
    libs = [line.split(":", 1)[1].strip() for line in apt.run("apt-cache", "depends", "haproxy").splitlines()
            if line.startswith("  Depends: lib")]
    debian.extract(apt.download(["haproxy"] + apt.closure(libs)), root)
    debian.check_libraries(root)
    t = oci.Tree()
    t.add_tree(root)
    t.symlink("usr/local/sbin/haproxy", "../../sbin/haproxy")
    t.dir("usr/local/etc/haproxy")
    t.dir("var/lib/haproxy")
    t.file("etc/passwd", data=b"root:x:0:0:root:/root:/sbin/nologin\nhaproxy:x:99:99:haproxy:/var/lib/haproxy:"
                              b"/usr/sbin/nologin\n", mode=0o644)
    t.file("etc/group", data=b"root:x:0:\nhaproxy:x:99:\n", mode=0o644)
    return t


def _files(pairs):
    t = oci.Tree()
    for dest, src, xattrs in pairs:
        t.file(dest, source=src, mode=0o755, xattrs=xattrs)
    return t


def release_images(store, b, base, iptables):
    """The images kubeadm of B's release pulls: the control plane, kube-proxy, etcd, CoreDNS and
    pause. A tag another release already stored (the same pause) is not stored twice."""
    v = b.versions
    kube = "v" + v["KUBERNETES_VERSION"]
    runner = b.optional_bin("kube-log-runner")
    stored = {name for name, _ in store.refs}

    def image(name, trees, config):
        if name not in stored:
            store.image(name, trees, config)

    for comp in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"):
        files = [("usr/local/bin/" + comp, b.bin(comp), None)]
        if runner:
            files.append(("go-runner", runner, None))
        trees = [base] + ([iptables] if comp == "kube-proxy" else []) + [_files(files)]
        image("registry.k8s.io/%s:%s" % (comp, kube), trees,
              {"Env": [PATH], "Entrypoint": ["/go-runner" if runner else "/usr/local/bin/" + comp]})
    etcd = [("usr/local/bin/" + n, b.bin(n), None) for n in ("etcd", "etcdctl")]
    if b.optional_bin("etcdutl"):
        etcd.append(("usr/local/bin/etcdutl", b.bin("etcdutl"), None))
    image("registry.k8s.io/etcd:%s-0" % v["ETCD_VERSION"], [base, _files(etcd)],
          {"Env": [PATH], "ExposedPorts": {"2379/tcp": {}, "2380/tcp": {}}})
    image("registry.k8s.io/coredns/coredns:v" + v["COREDNS_VERSION"],
          [base, _files([("coredns", b.bin("coredns"), {"security.capability": oci.CAP_NET_BIND_SERVICE})])],
          {"Env": [PATH], "Entrypoint": ["/coredns"], "User": "nonroot:nonroot", "WorkingDir": "/",
           "ExposedPorts": {"53/tcp": {}, "53/udp": {}}})
    image("registry.k8s.io/pause:" + v["PAUSE_VERSION"], [_files([("pause", b.bin("pause"), None)])],
          {"Env": [PATH], "Entrypoint": ["/pause"], "User": "65535:65535"})


def build(store, releases, apt):
    """Stores every image of RELEASES (the current one first) and the add-ons'; returns
    [(name, index digest)]."""
    b = releases[0]
    v = b.versions
    with tempfile.TemporaryDirectory(prefix="pharos-images-") as work:
        base = base_tree()
        iptables = iptables_tree(apt, work)
        busybox = busybox_tree(apt, work)
        for rel in releases:
            release_images(store, rel, base, iptables)
        store.image("docker.io/library/busybox:1.36", [base, busybox], {"Env": [PATH], "Cmd": ["sh"]})
        # the node-local API proxy of the workers (pharos' kubeadm plugin)
        store.image("docker.io/library/haproxy:2.6", [base, haproxy_tree(apt, work)],
                    {"Env": [PATH], "Cmd": ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"],
                     "User": "haproxy", "WorkingDir": "/var/lib/haproxy", "StopSignal": "SIGUSR1"})
        flannel = [("opt/bin/flanneld", b.bin("flanneld"), None)]
        if b.optional_bin("install-conf"):
            flannel.append(("opt/bin/install-conf", b.bin("install-conf"), None))
        store.image("ghcr.io/flannel-io/flannel:v" + v["FLANNEL_VERSION"], [base, iptables, busybox, _files(flannel)],
                    {"Env": [PATH], "Entrypoint": ["/opt/bin/flanneld"]})
        # tagged by what it holds: flannel's plugin from containernetworking/plugins (see versions.env)
        if "flannel" not in b.cni():
            raise SystemExit("%s: missing cni/flannel" % b.root)
        store.image("ghcr.io/flannel-io/flannel-cni-plugin:v" + v["FLANNEL_CNI_PLUGINS_VERSION"],
                    [base, busybox, _files([("flannel", b.cni()["flannel"], None)])], {"Env": [PATH]})
        store.finish()
    return store.refs
