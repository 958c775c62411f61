"""The mirror's real mode: packages and images built by tests/testbed/real/artifacts from a
binaries dir (here the fake one), served from inside a network namespace of the test's own
to Debian's real apt and to a registry client that checks every digest."""
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

import fake_binaries
from harness import BIN, EMU

sys.path.insert(0, BIN)
from pharos_emu import netns  # noqa: E402

ARTIFACTS = os.path.join(os.path.dirname(EMU), "real", "artifacts", "build.sh")
CACHE = os.environ.get("PHAROS_TESTBED_CACHE") or os.path.expanduser("~/.cache/pharos-testbed")
NAMES = ["pkgs.k8s.io", "download.docker.com", "deb.debian.org", "registry.k8s.io", "registry-1.docker.io",
         "auth.docker.io", "ghcr.io"]


def build(bin_dir):
    r = subprocess.run([ARTIFACTS, "--bin", bin_dir], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError("artifacts build failed:\n" + r.stderr)
    return r.stdout.strip(), r.stderr


class Registry:
    """A registry client as containerd is one: the bearer challenge, then manifests and blobs."""

    def __init__(self, ns, cafile):
        self.ns = ns
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.tokens = {}

    def request(self, method, host, path, headers=None):
        with netns.Inside(self.ns):
            sock = socket.create_connection(("127.0.0.1", 443), timeout=30)
        conn = http.client.HTTPSConnection(host, 443, context=self.ctx)
        conn.sock = self.ctx.wrap_socket(sock, server_hostname=host)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def get(self, host, path, method="GET"):
        headers = {"Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"}
        if host in self.tokens:
            headers["Authorization"] = "Bearer " + self.tokens[host]
        status, hdrs, body = self.request(method, host, path, headers)
        if status == 401:
            m = re.match(r'Bearer realm="https://([^/"]+)(/[^"]*)",service="([^"]+)"', hdrs["www-authenticate"])
            repo = path.split("/")[2:-2]
            _, _, tok = self.request("GET", m.group(1), "%s?scope=repository:%s:pull&service=%s"
                                     % (m.group(2), "/".join(repo), m.group(3)))
            self.tokens[host] = json.loads(tok)["token"]
            return self.get(host, path, method)
        return status, hdrs, body


class RealMirrorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="emu-mirror-real-")
        cls.bin = fake_binaries.make(os.path.join(CACHE, "test-fake-binaries"))
        start = time.time()
        cls.artifacts, _ = build(cls.bin)
        cls.build_seconds = time.time() - start
        # the test's own network namespace, held by a sleeping process
        cls.holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
        cls.ns = "/proc/%d/ns/net" % cls.holder.pid
        for _ in range(100):
            if os.path.exists(cls.ns) and os.readlink(cls.ns) != os.readlink("/proc/self/ns/net"):
                break
            time.sleep(0.05)
        subprocess.run(["nsenter", "--net=" + cls.ns, "ip", "link", "set", "lo", "up"], check=True)
        cls.state = os.path.join(cls.tmp, "state")
        cls.log = open(os.path.join(cls.tmp, "mirror.log"), "w+")
        cls.mirror = subprocess.Popen([os.path.join(BIN, "pharos-testbed-mirror"), "--state", cls.state,
                                       "--listen", "127.0.0.1:443", "--listen-http", "127.0.0.1:80",
                                       "--netns", cls.ns, "--real", cls.artifacts], stderr=cls.log)
        deadline = time.time() + 120
        while cls.curl("-o", "/dev/null", "https://pkgs.k8s.io/core:/stable:/v1.37/deb/InRelease").returncode:
            if time.time() > deadline or cls.mirror.poll() is not None:
                cls.log.seek(0)
                log = cls.log.read()
                cls.tearDownClass()
                raise RuntimeError("mirror did not start:\n" + log)
            time.sleep(0.2)
        cls.registry = Registry(cls.ns, os.path.join(cls.state, "ca.crt"))

    @classmethod
    def tearDownClass(cls):
        for p in (cls.mirror, cls.holder):
            p.terminate()
            p.wait(timeout=10)
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def curl(cls, *args):
        resolve = []
        for name in NAMES:
            resolve += ["--resolve", "%s:443:127.0.0.1" % name, "--resolve", "%s:80:127.0.0.1" % name]
        return subprocess.run(["nsenter", "--net=" + cls.ns, "curl", "-fsS", "--cacert",
                               os.path.join(cls.state, "ca.crt")] + resolve + list(args), capture_output=True)

    def apt(self, root, *args):
        """Debian's apt-get/apt-cache on a configuration of its own, inside the test's namespace,
        with the repository names resolving to the mirror (a private /etc/hosts)."""
        opts = ["-o", "Dir::Etc::SourceList=%s/sources.list" % root, "-o", "Dir::Etc::SourceParts=%s/none" % root,
                "-o", "Dir::Etc::Preferences=%s/none" % root, "-o", "Dir::Etc::PreferencesParts=%s/none" % root,
                "-o", "Dir::State=%s/state" % root, "-o", "Dir::State::status=%s/status" % root,
                "-o", "Dir::Cache=%s/cache" % root, "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
                "-o", "Acquire::https::CAInfo=%s/ca.crt" % self.state, "-o", "APT::Architectures=amd64"]
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        return subprocess.run(["nsenter", "--net=" + self.ns, "unshare", "--mount", "sh", "-c", script,
                               root + "/hosts", args[0]] + opts + list(args[1:]),
                              capture_output=True, text=True, cwd=root, timeout=300)

    def test_apt_lists_and_downloads_the_packages(self):
        root = tempfile.mkdtemp(dir=self.tmp)
        for d in ("state/lists/partial", "cache/archives/partial", "none"):
            os.makedirs(os.path.join(root, d))
        open(os.path.join(root, "status"), "w").close()
        with open(os.path.join(root, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost %s\n" % " ".join(NAMES))
        # the keys as the install docs fetch them
        for url, name in (("https://pkgs.k8s.io/core:/stable:/v1.37/deb/Release.key", "k8s.gpg"),
                          ("https://download.docker.com/linux/debian/gpg", "docker.gpg")):
            key = self.curl(url)
            self.assertEqual(key.returncode, 0, key.stderr)
            subprocess.run(["gpg", "--dearmor", "-o", os.path.join(root, name)], input=key.stdout, check=True)
        with open(os.path.join(root, "sources.list"), "w") as f:
            f.write("deb [signed-by={r}/k8s.gpg] https://pkgs.k8s.io/core:/stable:/v1.37/deb/ /\n"
                    "deb [arch=amd64 signed-by={r}/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n"
                    "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian "
                    "bookworm-updates main\n".format(r=root))
        r = self.apt(root, "apt-get", "update")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("W:", r.stderr)
        r = self.apt(root, "apt-cache", "policy", "kubeadm", "kubelet", "containerd.io", "cri-tools", "kubernetes-cni")
        for pkg, version in (("kubeadm", "1.37.2-1.1"), ("kubelet", "1.37.2-1.1"), ("containerd.io", "2.4.2-1"),
                             ("cri-tools", "1.37.0-1.1"), ("kubernetes-cni", "1.10.0-1.1")):
            self.assertRegex(r.stdout, r"%s:\n  Installed: \(none\)\n  Candidate: %s\n" % (re.escape(pkg), version))
        r = self.apt(root, "apt-get", "download", "kubeadm", "kubelet", "containerd.io")
        self.assertEqual(r.returncode, 0, r.stderr)
        kubelet = os.path.join(root, "kubelet_1.37.2-1.1_amd64.deb")
        fields = subprocess.run(["dpkg-deb", "-f", kubelet, "Depends"], capture_output=True, text=True).stdout
        self.assertEqual(fields.strip(), "iptables (>= 1.4.21), kubernetes-cni (>= 1.2.0), mount, util-linux")
        listing = subprocess.run(["dpkg-deb", "-c", kubelet], capture_output=True, text=True).stdout
        self.assertRegex(listing, r"-rwxr-xr-x root/root .* \./usr/bin/kubelet\n")
        self.assertRegex(listing, r"-rw-r--r-- root/root .* \./usr/lib/systemd/system/kubelet\.service\n")
        dropin = subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(root, "kubeadm_1.37.2-1.1_amd64.deb")],
                                capture_output=True).stdout
        self.assertIn(b"EnvironmentFile=-/etc/default/kubelet", dropin)
        ctd = subprocess.run(["dpkg-deb", "-c", os.path.join(root, "containerd.io_2.4.2-1_amd64.deb")],
                             capture_output=True, text=True).stdout
        for path in ("usr/bin/containerd", "usr/bin/containerd-shim-runc-v2", "usr/bin/ctr", "usr/bin/runc",
                     "lib/systemd/system/containerd.service", "etc/containerd/config.toml"):
            self.assertIn("./" + path + "\n", ctd)

    def test_rpm_repositories(self):
        """What dnf reads: repomd.xml signed with the key of gpgkey=, primary.xml naming each rpm and its sha256."""
        for base, key, package in (
                ("https://pkgs.k8s.io/core:/stable:/v1.37/rpm", "https://pkgs.k8s.io/core:/stable:/v1.37/rpm/"
                 "repodata/repomd.xml.key", "kubeadm-1.37.2-150500.1.1.x86_64.rpm"),
                ("https://download.docker.com/linux/centos/9/x86_64/stable",
                 "https://download.docker.com/linux/centos/gpg", "containerd.io-2.4.2-3.1.el9.x86_64.rpm")):
            keyring = os.path.join(self.tmp, "rpm-key.gpg")
            subprocess.run(["gpg", "--dearmor", "--yes", "-o", keyring], input=self.curl(key).stdout, check=True)
            repomd = self.curl(base + "/repodata/repomd.xml").stdout
            files = {"repomd.xml": repomd, "repomd.xml.asc": self.curl(base + "/repodata/repomd.xml.asc").stdout}
            for name, data in files.items():
                with open(os.path.join(self.tmp, name), "wb") as f:
                    f.write(data)
            r = subprocess.run(["gpgv", "--keyring", keyring, os.path.join(self.tmp, "repomd.xml.asc"),
                                os.path.join(self.tmp, "repomd.xml")], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            primary = re.search(rb'<data type="primary">.*?<location href="([^"]+)"', repomd, re.S).group(1)
            xml = gzip.decompress(self.curl(base + "/" + primary.decode()).stdout).decode()
            m = re.search(r'<checksum type="sha256" pkgid="YES">(\w+)</checksum>(?:(?!</package>).)*'
                          r'<location href="([^"]+/%s)"' % re.escape(package), xml, re.S)
            self.assertIsNotNone(m, xml)
            rpm = self.curl(base + "/" + m.group(2)).stdout
            self.assertEqual(hashlib.sha256(rpm).hexdigest(), m.group(1))
        repo = self.curl("https://download.docker.com/linux/centos/docker-ce.repo").stdout.decode()
        self.assertIn("baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable\n", repo)

    def test_debian_archive_through_the_mirror(self):
        """Plain HTTP on port 80, fetched by the mirror from the machine's network namespace."""
        self.assertEqual(os.readlink("/proc/%d/ns/net" % self.mirror.pid), os.readlink("/proc/self/ns/net"))
        deb = [n for n in os.listdir(os.path.join(CACHE, "debian-debs")) if n.startswith("netbase_")][0]
        version = deb.split("_")[1]
        r = self.curl("http://deb.debian.org/debian/pool/main/n/netbase/netbase_%s_all.deb" % version)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(CACHE, "debian-debs", deb), "rb") as f:
            self.assertEqual(r.stdout, f.read())
        r = self.curl("-o", "/dev/null", "-w", "%{http_code}", "http://deb.debian.org/elsewhere/")
        self.assertEqual(r.stdout, b"404")

    def test_registry_pulls_every_image(self):
        with open(os.path.join(self.artifacts, "oci", "index.json")) as f:
            names = [m["annotations"]["io.containerd.image.name"] for m in json.load(f)["manifests"]]
        self.assertEqual(sorted(names), sorted([
            "registry.k8s.io/kube-apiserver:v1.37.2", "registry.k8s.io/kube-controller-manager:v1.37.2",
            "registry.k8s.io/kube-scheduler:v1.37.2", "registry.k8s.io/kube-proxy:v1.37.2",
            "registry.k8s.io/etcd:3.7.0-0", "registry.k8s.io/coredns/coredns:v1.14.6",
            "registry.k8s.io/pause:3.10.2", "docker.io/library/busybox:1.36", "docker.io/library/haproxy:2.6",
            "ghcr.io/flannel-io/flannel:v0.28.10", "ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1"]))
        files = {}
        for name in names:
            host, _, rest = name.partition("/")
            host = "registry-1.docker.io" if host == "docker.io" else host
            repo, _, tag = rest.rpartition(":")
            status, hdrs, body = self.registry.get(host, "/v2/%s/manifests/%s" % (repo, tag))
            self.assertEqual(status, 200, name)
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            self.assertEqual(hdrs["docker-content-digest"], digest)
            self.assertEqual(hdrs["content-type"], "application/vnd.oci.image.index.v1+json")
            index = json.loads(body)
            self.assertEqual([m["platform"] for m in index["manifests"]], [{"architecture": "amd64", "os": "linux"}])
            mdesc = index["manifests"][0]
            status, hdrs, body = self.registry.get(host, "/v2/%s/manifests/%s" % (repo, mdesc["digest"]))
            self.assertEqual((status, hdrs["content-type"]), (200, mdesc["mediaType"]))
            self.assertEqual("sha256:" + hashlib.sha256(body).hexdigest(), mdesc["digest"])
            manifest = json.loads(body)
            config = json.loads(self.blob(host, repo, manifest["config"]))
            self.assertEqual((config["os"], config["architecture"]), ("linux", "amd64"))
            self.assertEqual(len(config["rootfs"]["diff_ids"]), len(manifest["layers"]))
            paths = set()
            for layer, diff_id in zip(manifest["layers"], config["rootfs"]["diff_ids"]):
                self.assertEqual(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip")
                tar = gzip.decompress(self.blob(host, repo, layer))
                self.assertEqual("sha256:" + hashlib.sha256(tar).hexdigest(), diff_id)
                paths |= self.tar_paths(tar)
            files[name] = (config["config"], paths)
        cfg, paths = files["registry.k8s.io/kube-proxy:v1.37.2"]
        self.assertIn("usr/local/bin/kube-proxy", paths)
        for tool in ("iptables", "ip6tables-restore", "iptables-nft", "iptables-legacy", "conntrack"):
            self.assertIn("usr/sbin/" + tool, paths)
        cfg, paths = files["registry.k8s.io/coredns/coredns:v1.14.6"]
        self.assertEqual((cfg["Entrypoint"], cfg["User"]), (["/coredns"], "nonroot:nonroot"))
        cfg, paths = files["registry.k8s.io/pause:3.10.2"]
        self.assertEqual((cfg["Entrypoint"], cfg["User"], paths), (["/pause"], "65535:65535", {"pause"}))
        cfg, paths = files["registry.k8s.io/etcd:3.7.0-0"]
        self.assertTrue({"usr/local/bin/etcd", "usr/local/bin/etcdctl"} <= paths)
        cfg, paths = files["docker.io/library/busybox:1.36"]
        self.assertEqual(cfg["Cmd"], ["sh"])
        self.assertTrue({"bin/busybox", "bin/sh", "bin/cp"} <= paths)
        cfg, paths = files["docker.io/library/haproxy:2.6"]
        self.assertEqual((cfg["Cmd"], cfg["User"]), (["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"], "haproxy"))
        self.assertTrue({"usr/sbin/haproxy", "usr/local/sbin/haproxy", "usr/local/etc/haproxy", "etc/passwd"} <= paths)
        cfg, paths = files["ghcr.io/flannel-io/flannel:v0.28.10"]
        self.assertEqual(cfg["Entrypoint"], ["/opt/bin/flanneld"])
        self.assertTrue({"opt/bin/flanneld", "usr/sbin/iptables", "bin/cp"} <= paths)
        cfg, paths = files["ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1"]
        self.assertTrue({"flannel", "bin/cp"} <= paths)
        for name, (cfg, _) in files.items():
            self.assertIn("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", cfg["Env"], name)

    @staticmethod
    def tar_paths(data):
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            return {m.name for m in t.getmembers()}

    def blob(self, host, repo, desc):
        path = "/v2/%s/blobs/%s" % (repo, desc["digest"])
        status, hdrs, _ = self.registry.get(host, path, "HEAD")
        self.assertEqual((status, hdrs["content-length"], hdrs["docker-content-digest"]),
                         (200, str(desc["size"]), desc["digest"]))
        status, hdrs, body = self.registry.get(host, path)
        self.assertEqual(status, 200)
        self.assertEqual(len(body), desc["size"])
        self.assertEqual("sha256:" + hashlib.sha256(body).hexdigest(), desc["digest"])
        return body

    def test_unknown_blobs_and_names(self):
        missing = "sha256:" + "0" * 64
        status, _, body = self.registry.get("registry.k8s.io", "/v2/pause/blobs/" + missing, "HEAD")
        self.assertEqual((status, body), (404, b""))
        status, _, body = self.registry.get("registry.k8s.io", "/v2/pause/blobs/" + missing)
        self.assertEqual((status, json.loads(body)["errors"][0]["code"]), (404, "BLOB_UNKNOWN"))
        # a blob of another repository is not pause's
        _, _, body = self.registry.get("registry.k8s.io", "/v2/kube-apiserver/manifests/v1.37.2")
        _, _, body = self.registry.get("registry.k8s.io", "/v2/kube-apiserver/manifests/"
                                       + json.loads(body)["manifests"][0]["digest"])
        own = json.loads(body)["layers"][-1]["digest"]
        status, _, body = self.registry.get("registry.k8s.io", "/v2/pause/blobs/" + own)
        self.assertEqual((status, json.loads(body)["errors"][0]["code"]), (404, "BLOB_UNKNOWN"))
        status, _, body = self.registry.get("registry.k8s.io", "/v2/pause/manifests/3.9")
        self.assertEqual((status, json.loads(body)["errors"][0]["code"]), (404, "MANIFEST_UNKNOWN"))
        status, _, body = self.registry.get("registry.k8s.io", "/v2/kube-apiserver/manifests/v1.34.2")
        self.assertEqual(status, 404)
        status, _, body = self.registry.get("ghcr.io", "/v2/weaveworks/weave-kube/manifests/2.8.1")
        self.assertEqual((status, json.loads(body)["errors"][0]["code"]), (404, "NAME_UNKNOWN"))

    def test_second_build_does_nothing(self):
        start = time.time()
        path, err = build(self.bin)
        self.assertEqual(path, self.artifacts)
        self.assertIn("up to date", err)
        self.assertLess(time.time() - start, 10)


REAL_BUILD = os.path.join(os.path.dirname(EMU), "real", "build", "build.sh")
CONTAINERD_CONFIG = """version = 3
root = "{t}/root"
state = "{t}/state"
[grpc]
  address = "{t}/containerd.sock"
# the native snapshotter unpacks into plain directories (no overlay mounts on the test's tmp)
[plugins."io.containerd.transfer.v1.local"]
  [[plugins."io.containerd.transfer.v1.local".unpack_config]]
    platform = "linux/amd64"
    snapshotter = "native"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "native"
"""
# Inside the test's namespace, with a private mount namespace: the names resolve to the
# mirror and the mirror's CA is trusted, as on a real-tier host; then containerd runs.
CONTAINERD_SCRIPT = """set -e
mount --bind "$1/hosts" /etc/hosts
mount --bind "$1/ca-bundle.crt" /etc/ssl/certs/ca-certificates.crt
"$2/containerd" --config "$1/config.toml" >"$1/containerd.log" 2>&1 &
ctd=$!
i=0
until [ -S "$1/containerd.sock" ]; do i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done
shift 2
rc=0
"$@" || rc=$?
kill "$ctd"
wait "$ctd" || true
exit "$rc"
"""


class RealContainerdPull(unittest.TestCase):
    """The real images pulled by the real containerd (and crictl) from the mirror, when
    tests/testbed/real/build/build.sh has built the binaries."""

    def setUp(self):
        r = subprocess.run([REAL_BUILD, "--print-dir"], capture_output=True, text=True) \
            if os.path.exists(REAL_BUILD) else None
        if r is None or r.returncode != 0:
            self.skipTest("SKIPPED LOUDLY: the real binaries are not built (tests/testbed/real/build/build.sh), "
                          "so the real containerd cannot pull the real images")
        self.bin = r.stdout.strip()
        self.tmp = tempfile.mkdtemp(prefix="emu-ctd-pull-")
        start = time.time()
        self.artifacts, self.build_log = build(self.bin)
        self.build_seconds = time.time() - start
        self.holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
        self.ns = "/proc/%d/ns/net" % self.holder.pid
        while not os.path.exists(self.ns) or os.readlink(self.ns) == os.readlink("/proc/self/ns/net"):
            time.sleep(0.05)
        subprocess.run(["nsenter", "--net=" + self.ns, "ip", "link", "set", "lo", "up"], check=True)
        state = os.path.join(self.tmp, "state")
        self.mirror = subprocess.Popen([os.path.join(BIN, "pharos-testbed-mirror"), "--state", state, "--listen",
                                        "127.0.0.1:443", "--netns", self.ns, "--real", self.artifacts],
                                       stderr=subprocess.DEVNULL)
        while not os.path.exists(os.path.join(state, "ca.crt")) or subprocess.run(
                ["nsenter", "--net=" + self.ns, "curl", "-fsS", "-o", "/dev/null", "--cacert", state + "/ca.crt",
                 "--resolve", "registry.k8s.io:443:127.0.0.1", "https://registry.k8s.io/v2/"],
                capture_output=True).returncode:
            self.assertIsNone(self.mirror.poll(), "mirror exited")
            time.sleep(0.2)
        with open(os.path.join(self.tmp, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost %s\n" % " ".join(NAMES))
        with open(os.path.join(self.tmp, "ca-bundle.crt"), "w") as f:
            f.write(open(os.path.join(state, "ca.crt")).read())
        with open(os.path.join(self.tmp, "config.toml"), "w") as f:
            f.write(CONTAINERD_CONFIG.format(t=self.tmp))

    def tearDown(self):
        for p in (self.mirror, self.holder):
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_ctr_and_crictl_pull(self):
        with open(os.path.join(self.artifacts, "oci", "index.json")) as f:
            images = {m["annotations"]["io.containerd.image.name"]: m["digest"] for m in json.load(f)["manifests"]}
        sock = os.path.join(self.tmp, "containerd.sock")
        ctr = "%s/bin/ctr --address %s" % (self.bin, sock)
        steps = ["%s images pull --snapshotter native %s >/dev/null" % (ctr, name) for name in sorted(images)]
        steps.append("%s/bin/crictl --runtime-endpoint unix://%s pull registry.k8s.io/pause:%s >/dev/null"
                     % (self.bin, sock, "3.10.2"))
        steps.append("%s images ls" % ctr)
        start = time.time()
        r = subprocess.run(["nsenter", "--net=" + self.ns, "unshare", "--mount", "sh", "-c",
                            CONTAINERD_SCRIPT, "sh", self.tmp, os.path.join(self.bin, "bin"), "sh", "-c",
                            " && ".join(steps)], capture_output=True, text=True, timeout=900)
        log = open(os.path.join(self.tmp, "containerd.log")).read() if os.path.exists(
            os.path.join(self.tmp, "containerd.log")) else ""
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + log[-3000:])
        for name, digest in images.items():
            self.assertRegex(r.stdout, r"(?m)^%s\s+application/vnd\.oci\.image\.index\.v1\+json\s+%s\s"
                             % (re.escape(name), re.escape(digest)))
        snapshots = os.path.join(self.tmp, "root", "io.containerd.snapshotter.v1.native", "snapshots")
        tops = {}
        for n in os.listdir(snapshots):
            for probe in ("coredns", "usr/local/bin/kube-proxy"):
                if os.path.isfile(os.path.join(snapshots, n, probe)):
                    tops[probe] = os.path.join(snapshots, n)
        # CoreDNS binds port 53 as nonroot through the file capability the layer carries
        self.assertEqual(os.getxattr(os.path.join(tops["coredns"], "coredns"), "security.capability"),
                         bytes([1, 0, 0, 2, 0, 4] + [0] * 14))
        # kube-proxy's iptables as unpacked, in a network namespace of the test's own: the wrapper picks nft
        proxy = tops["usr/local/bin/kube-proxy"]
        os.makedirs(os.path.join(proxy, "dev"), exist_ok=True)
        r = subprocess.run(["unshare", "--net", "--mount", "sh", "-c", 'mount --rbind /dev "$0/dev" && '
                            'chroot "$0" iptables -t mangle -N KUBE-IPTABLES-HINT && chroot "$0" iptables-save',
                            proxy], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(":KUBE-IPTABLES-HINT - [0:0]", r.stdout)
        with open(os.path.join(proxy, "var/lib/iptables-wrapper/mode")) as f:
            self.assertEqual(f.read(), "nft\n")
        print("\nreal images: artifacts %.0f s (%s), all pulled by containerd in %.0f s"
              % (self.build_seconds, self.build_log.strip().splitlines()[-1] if self.build_log.strip() else "",
                 time.time() - start), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
