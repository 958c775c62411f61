"""Docker Engine + cri-dockerd and CRI-O installed as their docs say, through the mirror; the registries."""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BIN, FakeHost, address

MIRROR = address(27, 1)
NAMES = subprocess.run([os.path.join(BIN, "pharos-testbed-mirror"), "--names"], capture_output=True,
                       text=True, check=True).stdout.split()
CRI_DOCKERD = "0.3.17"


def answer(h, path):
    """What a CRI client's first call gets from the daemon behind the host's socket."""
    with socket.socket(socket.AF_UNIX) as c:
        c.settimeout(20)
        c.connect(h.path(path))
        return c.recv(16)


class RuntimesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp(prefix="emu-runtimes-")
        subprocess.run([os.path.join(BIN, "pharos-testbed-mirror"), "--state", cls.state, "--init-only"], check=True)
        cls.log = open(cls.state + "/mirror.log", "w+")
        cls.proc = subprocess.Popen([os.path.join(BIN, "pharos-testbed-mirror"), "--state", cls.state,
                                     "--listen", MIRROR + ":443"], stderr=cls.log)
        # A minute: the suite runs beside other emulators on two cores.
        deadline = time.time() + 60
        while cls.curl("https://registry.k8s.io/v2/", check=False).returncode != 0:
            if time.time() > deadline or cls.proc.poll() is not None:
                cls.log.seek(0)
                why = cls.log.read()[-2000:]
                cls.tearDownClass()
                raise RuntimeError("mirror did not start: " + why)
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.log.close()
        subprocess.run(["rm", "-rf", cls.state])

    @classmethod
    def curl(cls, url, *args, check=True):
        resolve = sum((["--resolve", "%s:443:%s" % (n, MIRROR)] for n in NAMES), [])
        return subprocess.run(["curl", "-sS", "--cacert", cls.state + "/ca.crt"] + resolve + list(args) + [url],
                              capture_output=True, check=check)

    def host(self, os_name):
        h = FakeHost("rt", address(27, 2), os_name)
        self.addCleanup(h.cleanup)
        del h.env["PHAROS_TESTBED_OFFLINE_REPOS"]
        h.env["PHAROS_TESTBED_BIN"] = BIN
        h.write("/etc/hosts", "127.0.0.1 localhost\n%s %s\n" % (MIRROR, " ".join(NAMES)))
        with open(self.state + "/ca.crt") as f:
            h.write("/etc/ssl/certs/ca-certificates.crt", f.read())
        os.makedirs(h.path("/root/.gnupg"), mode=0o700)
        return h

    def key(self, h, url, dest):
        """`curl -fsSL URL | gpg --dearmor -o DEST` on the host."""
        data = self.curl(url, "-fL").stdout
        subprocess.run(["gpg", "--dearmor", "--yes", "-o", h.path(dest)], input=data, check=True,
                       env=dict(os.environ, GNUPGHOME=h.path("/root/.gnupg")))

    def test_docker_with_cri_dockerd(self):
        h = self.host("ubuntu24")
        # Docker's documented apt install
        self.key(h, "https://download.docker.com/linux/ubuntu/gpg", "/etc/apt/keyrings/docker.gpg")
        h.write("/etc/apt/sources.list.d/docker.list", "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] "
                "https://download.docker.com/linux/ubuntu noble stable\n")
        h.run("apt-get update")
        h.run("apt-get install -y docker-ce=5:28.5.1-1~ubuntu.24.04~noble docker-ce-cli containerd.io")
        self.assertIn("docker:x:", h.read("/etc/group"))
        # a daemon.json dockerd does not understand keeps it from starting
        h.write("/etc/docker/daemon.json", '{"exec-opts": ["native.cgroupdriver=systemd"], "cgroup-driver": "x"}')
        r = h.run("systemctl start docker", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("don't match any configuration option: cgroup-driver",
                      h.read("/var/log/pharos-testbed/units/docker.service.log"))
        h.run("systemctl stop docker")
        h.write("/etc/docker/daemon.json", '{"exec-opts": ["native.cgroupdriver=systemd"]}')
        # docker.service requires docker.socket and wants containerd.service: one start brings all three up
        h.run("systemctl start docker")
        self.assertEqual(h.run("systemctl is-active docker.socket containerd docker").stdout.split(),
                         ["active"] * 3)
        self.assertEqual(h.run("docker info --format '{{.CgroupDriver}}'").stdout.strip(), "systemd")

        # cri-dockerd from its GitHub release (redirected to the asset host), units as upstream ships them
        tgz = self.curl("https://github.com/Mirantis/cri-dockerd/releases/download/v%s/cri-dockerd-%s.amd64.tgz"
                        % (CRI_DOCKERD, CRI_DOCKERD), "-fL").stdout
        os.makedirs(h.path("/opt"))
        subprocess.run(["tar", "-xz", "-C", h.path("/opt")], input=tgz, check=True)
        self.assertIn("cri-dockerd " + CRI_DOCKERD, h.run(h.path("/opt/cri-dockerd/cri-dockerd") + " --version")
                      .stdout)
        self.assertNotEqual(self.curl("https://github.com/Mirantis/cri-dockerd/releases/download/v9.9.9/"
                                      "cri-dockerd-9.9.9.amd64.tgz", "-fL", check=False).returncode, 0)
        h.write("/etc/systemd/system/cri-docker.socket", "[Unit]\nPartOf=cri-docker.service\n[Socket]\n"
                "ListenStream=%t/cri-dockerd.sock\nSocketMode=0660\nSocketGroup=docker\n[Install]\n"
                "WantedBy=sockets.target\n")
        h.write("/etc/systemd/system/cri-docker.service", "[Unit]\nRequires=cri-docker.socket\n[Service]\n"
                "Type=notify\nExecStart=/opt/cri-dockerd/cri-dockerd --container-runtime-endpoint fd:// "
                "--network-plugin=cni --pod-infra-container-image=registry.k8s.io/pause:3.10.1\nRestart=always\n"
                "[Install]\nWantedBy=multi-user.target\n")
        h.run("systemctl daemon-reload && systemctl enable --now cri-docker.socket cri-docker.service")
        self.assertEqual(answer(h, "/run/cri-dockerd.sock"), b"ok\n")
        self.assertEqual(json.loads(h.read("/var/lib/pharos-testbed/cri/run_cri_dockerd.sock.json")),
                         {"name": "docker", "cgroup_driver": "systemd"})
        # socket activation: with the service stopped, the next client starts it again
        h.run("systemctl stop cri-docker.service")
        self.assertEqual(h.run("systemctl is-active cri-docker.service", check=False).stdout.strip(), "inactive")
        self.assertEqual(answer(h, "/run/cri-dockerd.sock"), b"ok\n")
        self.assertEqual(h.run("systemctl is-active cri-docker.service").stdout.strip(), "active")
        # without Docker, cri-dockerd does not come up
        h.run("systemctl stop cri-docker.service docker.service docker.socket")
        r = h.run("systemctl start cri-docker.service", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Cannot connect to the Docker daemon",
                      h.read("/var/log/pharos-testbed/units/cri-docker.service.log"))

    def test_socket_unit_needs_its_group(self):
        h = self.host("ubuntu24")
        h.write("/etc/systemd/system/x.socket", "[Socket]\nListenStream=/run/x.sock\nSocketGroup=docker\n")
        r = h.run("systemctl start x.socket", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(h.run("systemctl is-active x.socket", check=False).stdout.strip(), "failed")

    def test_crio_from_its_repository(self):
        h = self.host("rocky9")
        base = "https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.33/rpm/"
        h.write("/etc/yum.repos.d/cri-o.repo", "[cri-o]\nname=CRI-O\nbaseurl=%s\nenabled=1\ngpgcheck=1\n"
                "gpgkey=%srepodata/repomd.xml.key\n" % (base, base))
        self.assertEqual(self.curl(base + "repodata/repomd.xml.key", "-f").returncode, 0)
        h.run("dnf install -y cri-o-1.33.1")
        self.assertEqual(h.run("crio --version").stdout.strip(), "crio version 1.33.1")
        h.write("/etc/crio/crio.conf.d/10-pharos.conf", "[crio.runtime]\ncgroup_manager = systemd\n")
        r = h.run("systemctl start crio", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("failed to decode configuration", h.read("/var/log/pharos-testbed/units/crio.service.log"))
        h.write("/etc/crio/crio.conf.d/10-pharos.conf", '[crio.runtime]\ncgroup_manager = "cgroupfs"\n'
                'conmon_cgroup = "pod"\n[crio.image]\npause_image = "registry.k8s.io/pause:3.10"\n')
        h.run("systemctl restart crio")
        self.assertEqual(answer(h, "/var/run/crio/crio.sock"), b"ok\n", "CRI-O answers on its socket")
        self.assertEqual(json.loads(h.read("/var/lib/pharos-testbed/cri/run_crio_crio.sock.json"))["cgroup_driver"],
                         "cgroupfs")

    def test_registries(self):
        r = self.curl("https://registry.k8s.io/v2/pause/manifests/3.10.1", "-fI")
        self.assertIn(b"docker-content-digest: sha256:", r.stdout.lower())
        self.assertIn(b"404", self.curl("https://registry.k8s.io/v2/pause/manifests/0.0", "-I").stdout)
        self.assertIn(b"NAME_UNKNOWN", self.curl("https://quay.io/v2/nobody/manifests/1").stdout)
        # Docker Hub: 401 with the token realm, then the anonymous token opens it
        r = self.curl("https://registry-1.docker.io/v2/weaveworks/weave-kube/manifests/2.8.1", "-I")
        self.assertIn(b"401", r.stdout.split(b"\n")[0])
        self.assertIn(b'realm="https://auth.docker.io/token"', r.stdout)
        token = json.loads(self.curl("https://auth.docker.io/token?service=registry.docker.io&scope=repository:"
                                     "weaveworks/weave-kube:pull", "-f").stdout)["token"]
        body = json.loads(self.curl("https://registry-1.docker.io/v2/weaveworks/weave-kube/manifests/2.8.1", "-f",
                                    "-H", "Authorization: Bearer " + token).stdout)
        self.assertEqual(sorted(m["platform"]["architecture"] for m in body["manifests"]), ["amd64", "arm64"])

    def test_distribution_mirrors(self):
        self.assertIn(b"BEGIN PGP SIGNED MESSAGE",
                      self.curl("https://deb.debian.org/debian/dists/bookworm/InRelease", "-f").stdout)
        self.assertIn(b"BEGIN PGP SIGNED MESSAGE",
                      self.curl("https://archive.ubuntu.com/ubuntu/dists/noble-updates/InRelease", "-f").stdout)
        listed = self.curl("https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=BaseOS-9", "-f").stdout
        self.assertEqual(listed.strip(), b"https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/")
        self.assertEqual(self.curl(listed.strip().decode() + "repodata/repomd.xml", "-f").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
