"""The package mirror: TLS with the testbed CA, repository keys, and signed indexes that apt checks."""
import os
import subprocess
import tempfile
import time
import unittest

from harness import BIN, FakeHost, address

MIRROR = address(25, 1)


class MirrorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp(prefix="emu-mirror-")
        subprocess.run([os.path.join(BIN, "pharos-testbed-mirror"), "--state", cls.state, "--init-only"], check=True)
        cls.proc = subprocess.Popen([os.path.join(BIN, "pharos-testbed-mirror"), "--state", cls.state,
                                     "--listen", MIRROR + ":443"], stderr=subprocess.DEVNULL)
        deadline = time.time() + 60  # beside other emulators on two cores
        while subprocess.run(["curl", "-fsS", "-o", "/dev/null", "--cacert", cls.state + "/ca.crt", "--resolve",
                              "pkgs.k8s.io:443:" + MIRROR, "https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key"],
                             capture_output=True).returncode != 0:
            if time.time() > deadline:
                cls.tearDownClass()
                raise RuntimeError("mirror did not start")
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        subprocess.run(["rm", "-rf", cls.state])

    def setUp(self):
        self.h = FakeHost("m1", address(25, 2))
        del self.h.env["PHAROS_TESTBED_OFFLINE_REPOS"]
        # what the testbed does for each host: its own /etc/hosts entries and its own trust store
        self.h.write("/etc/hosts", "127.0.0.1 localhost\n%s pkgs.k8s.io download.docker.com\n" % MIRROR)
        with open(self.state + "/ca.crt") as f:
            self.h.write("/etc/ssl/certs/ca-certificates.crt", f.read())

    def tearDown(self):
        self.h.cleanup()

    def curl_key(self, url, dest):
        """`curl -fsSL URL | gpg --dearmor -o DEST` as the host would run it."""
        cmd = ("curl -fsSL --cacert {root}/etc/ssl/certs/ca-certificates.crt --resolve pkgs.k8s.io:443:{m} "
               "--resolve download.docker.com:443:{m} {url} | gpg --dearmor --yes -o {root}{dest}"
               .format(root=self.h.root, m=MIRROR, url=url, dest=dest))
        subprocess.run(cmd, shell=True, check=True, env=dict(os.environ, GNUPGHOME=self.h.root + "/root/.gnupg"))

    def sources(self, minor="1.31"):
        self.h.write("/etc/apt/sources.list.d/kubernetes.list",
                     "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] "
                     "https://pkgs.k8s.io/core:/stable:/v%s/deb/ /\n" % minor)

    def test_documented_install(self):
        os.makedirs(self.h.path("/root/.gnupg"), mode=0o700)
        self.curl_key("https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key",
                      "/etc/apt/keyrings/kubernetes-apt-keyring.gpg")
        self.sources()
        self.h.run("apt-get update")
        self.h.run("apt-get install -y kubelet kubeadm kubectl && apt-mark hold kubelet kubeadm kubectl")
        self.assertEqual(self.h.run("kubeadm version -o short").stdout.strip(), "v1.31.14")

    def test_wrong_key_and_missing_minor(self):
        os.makedirs(self.h.path("/root/.gnupg"), mode=0o700)
        self.curl_key("https://download.docker.com/linux/ubuntu/gpg", "/etc/apt/keyrings/kubernetes-apt-keyring.gpg")
        self.sources()
        r = self.h.run("apt-get update", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("NO_PUBKEY", r.stderr)
        self.sources("1.99")
        r = self.h.run("apt-get update", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("does not have a Release file", r.stderr)

    def test_unresolvable_without_mirror(self):
        self.h.write("/etc/hosts", "127.0.0.1 localhost\n")
        with open(self.h.path("/etc/apt/keyrings/kubernetes-apt-keyring.gpg"), "wb") as f:
            f.write(b"\x99\x01\x0d\x04\x00")
        self.sources()
        r = self.h.run("apt-get update")
        self.assertIn("Could not resolve 'pkgs.k8s.io'", r.stderr)
        r = self.h.run("apt-get install -y kubeadm", check=False)
        self.assertIn("Unable to locate package kubeadm", r.stderr)

    def test_untrusted_certificate(self):
        self.h.write("/etc/ssl/certs/ca-certificates.crt", "")
        with open(self.h.path("/etc/apt/keyrings/kubernetes-apt-keyring.gpg"), "wb") as f:
            f.write(b"\x99\x01\x0d\x04\x00")
        self.sources()
        r = self.h.run("apt-get update")
        self.assertIn("Certificate verification failed", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
