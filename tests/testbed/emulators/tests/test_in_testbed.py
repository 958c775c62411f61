"""The emulators inside real testbed hosts: the documented kubeadm install over SSH and sudo, a cluster of two."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import BIN, address

TESTBED = os.path.join(os.path.dirname(BIN), "..", "testbed")
MIRROR = address(26, 1)

# The Kubernetes documentation's steps (container runtime, then kubeadm, kubelet and kubectl), unchanged.
DOCUMENTED = """set -e
sudo swapoff -a
printf "overlay\\nbr_netfilter\\n" | sudo tee /etc/modules-load.d/k8s.conf >/dev/null
sudo modprobe overlay
sudo modprobe br_netfilter
printf "net.bridge.bridge-nf-call-iptables  = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\nnet.ipv4.ip_forward = 1\\n" \\
  | sudo tee /etc/sysctl.d/k8s.conf >/dev/null
sudo sysctl --system >/dev/null
sudo apt-get update
sudo apt-get install -y containerd
sudo mkdir -p /etc/containerd
containerd config default | sudo tee /etc/containerd/config.toml >/dev/null
sudo sed -i "s/SystemdCgroup = false/SystemdCgroup = true/" /etc/containerd/config.toml
sudo systemctl restart containerd
sudo apt-get install -y apt-transport-https ca-certificates curl gpg
sudo mkdir -p -m 755 /etc/apt/keyrings
curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.31/deb/Release.key | sudo gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.31/deb/ /" \\
  | sudo tee /etc/apt/sources.list.d/kubernetes.list
sudo apt-get update
sudo apt-get install -y kubelet kubeadm kubectl
sudo apt-mark hold kubelet kubeadm kubectl
sudo systemctl enable --now kubelet
"""


class InTestbedTest(unittest.TestCase):
    def setUp(self):
        # the hosts' /tmp is their own; the mirror state must be visible through their /var
        self.mirror_dir = tempfile.mkdtemp(prefix="emu-mirror-", dir="/var/tmp")
        self.dir = tempfile.mkdtemp(prefix="emu-testbed-")
        self.addCleanup(shutil.rmtree, self.mirror_dir, True)
        self.addCleanup(shutil.rmtree, self.dir, True)
        subprocess.run([os.path.join(BIN, "pharos-testbed-mirror"), "--state", self.mirror_dir, "--init-only"],
                       check=True)
        mirror = subprocess.Popen([os.path.join(BIN, "pharos-testbed-mirror"), "--state", self.mirror_dir,
                                   "--listen", MIRROR + ":443"], stderr=subprocess.DEVNULL)
        self.addCleanup(mirror.wait, 10)
        self.addCleanup(mirror.terminate)
        self.addCleanup(subprocess.run, [TESTBED, "stop", "--dir", self.dir], capture_output=True)
        subprocess.run([TESTBED, "start", "--hosts", "2", "--dir", self.dir, "--os", "ubuntu-24.04"], check=True,
                       capture_output=True, env=dict(os.environ, TESTBED_EMULATORS=BIN))
        with open(self.dir + "/hosts.json") as f:
            self.addrs = [h["address"] for h in json.load(f)["hosts"]]
        for name in ("host-1", "host-2"):
            subprocess.run([TESTBED, "exec", "--dir", self.dir, "--host", name, "--", "sh", "-c",
                            "echo '%s pkgs.k8s.io download.docker.com' >> /etc/hosts && cat %s/ca.crt >> "
                            "/etc/ssl/certs/ca-certificates.crt" % (MIRROR, self.mirror_dir)], check=True)

    def ssh(self, addr, cmd, check=True):
        r = subprocess.run(["ssh", "-F", self.dir + "/ssh_config", addr, cmd], capture_output=True, text=True,
                           timeout=300)
        if check and r.returncode != 0:
            self.fail("%s on %s: exit %d\n%s%s" % (cmd[:80], addr, r.returncode, r.stdout, r.stderr))
        return r

    def test_documented_install_init_join_reset(self):
        a1, a2 = self.addrs
        # nothing Kubernetes is installed yet
        self.assertEqual(self.ssh(a1, "kubeadm version", check=False).returncode, 127)
        for a in (a1, a2):
            self.ssh(a, DOCUMENTED)
        self.ssh(a1, "printf 'apiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\n"
                     "controlPlaneEndpoint: %s:6443\\n' > /tmp/k.yaml && sudo kubeadm init --config /tmp/k.yaml" % a1)
        join = self.ssh(a1, "sudo kubeadm token create --print-join-command").stdout.strip()
        self.assertIn("This node has joined the cluster", self.ssh(a2, "sudo " + join).stdout)
        admin = self.dir + "/admin.conf"
        with open(admin, "w") as f:
            f.write(self.ssh(a1, "sudo cat /etc/kubernetes/admin.conf").stdout)
        deadline = time.time() + 30
        while True:
            r = subprocess.run(["kubectl", "--kubeconfig", admin, "get", "nodes", "-o", "json"], capture_output=True,
                               text=True, env=dict(os.environ, HOME=self.dir))
            names = sorted(n["metadata"]["name"] for n in json.loads(r.stdout)["items"]) if r.returncode == 0 else []
            if names == ["host-1", "host-2"]:
                break
            self.assertLess(time.time(), deadline, r.stdout + r.stderr)
            time.sleep(0.5)
        # the host's journal saw the calls, with their exit codes
        journal = [json.loads(line) for line in self.ssh(a1, "cat /var/log/pharos-testbed/journal.jsonl")
                   .stdout.splitlines()]
        init = [e for e in journal if e["argv"][:2] == ["kubeadm", "init"]]
        self.assertEqual([(e["exit"], e["changed"], e["host"]) for e in init], [(0, True, "host-1")])
        self.assertIn(["apt-mark", "hold", "kubelet", "kubeadm", "kubectl"], [e["argv"] for e in journal])
        self.ssh(a2, "sudo kubeadm reset -f")
        self.assertEqual(self.ssh(a2, "systemctl is-active kubelet", check=False).stdout.strip(), "inactive")


if __name__ == "__main__":
    unittest.main(verbosity=2)
