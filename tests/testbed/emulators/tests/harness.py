"""Fake hosts for testing the emulators on the build machine.

A FakeHost is a scratch directory used as PHAROS_TESTBED_ROOT with its own
address on 127.0.0.0/8. Cleanup stops every service supervisor and container
process the emulators started under it, then removes the directory.
"""
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EMU = os.path.dirname(HERE)
BIN = os.path.join(EMU, "bin")
# Each checkout tests on its own 127.N.0.0/16, so two worktrees running these tests at once never collide.
NET = os.environ.get("PHAROS_EMU_TEST_NET") or "127.%d" % (
    32 + int(hashlib.sha256(EMU.encode()).hexdigest(), 16) % 200)


def address(subnet, host):
    return "%s.%d.%d" % (NET, subnet, host)

OS_RELEASE = {
    "ubuntu24": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
                'VERSION_CODENAME=noble\n',
    "rocky9": 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
              'VERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
}


class FakeHost:
    def __init__(self, name, address, os_name="ubuntu24", base=None):
        self.name = name
        self.address = address
        self.root = tempfile.mkdtemp(prefix="emu-%s-" % name, dir=base)
        for d in ("etc/apt/sources.list.d", "etc/apt/keyrings", "etc/yum.repos.d", "var/lib", "run", "etc/cni"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        self.write("/etc/os-release", OS_RELEASE[os_name])
        self.write("/etc/hostname", name + "\n")
        self.write("/etc/pharos-testbed/address", address + "\n")
        self.env = dict(os.environ)
        self.env.update({"PHAROS_TESTBED_ROOT": self.root, "HOME": self.root + "/root",
                         "PATH": "%s:/usr/sbin:/usr/bin:/sbin:/bin" % BIN})
        self.env.pop("PHAROS_TESTBED_ADDRESS", None)
        # without a mirror entry in /etc/hosts, repositories are judged from their configuration alone
        self.env["PHAROS_TESTBED_OFFLINE_REPOS"] = "1"

    def path(self, p):
        return self.root + p

    def write(self, p, content):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(content)

    def read(self, p):
        with open(self.path(p)) as f:
            return f.read()

    def run(self, cmd, check=True, input=None, timeout=300):
        r = subprocess.run(cmd, shell=isinstance(cmd, str), env=self.env, capture_output=True, text=True,
                           input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s on %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                                 % (cmd, self.name, r.returncode, r.stdout, r.stderr))
        return r

    def journal(self):
        try:
            with open(self.path("/var/log/pharos-testbed/journal.jsonl")) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []

    def prepare_kubernetes(self, minor="1.31"):
        """The documented manual install: repo + key, packages, modules, sysctl, swap off, containerd."""
        # a binary (dearmored) keyring as `gpg --dearmor` writes it
        with open(self.path("/etc/apt/keyrings/kubernetes-apt-keyring.gpg"), "wb") as f:
            f.write(b"\x99\x01\x0d\x04" + os.urandom(64))
        self.write("/etc/apt/sources.list.d/kubernetes.list",
                   "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] "
                   "https://pkgs.k8s.io/core:/stable:/v%s/deb/ /\n" % minor)
        self.run("apt-get update")
        self.run("apt-get install -y containerd kubelet kubeadm kubectl")
        self.run("apt-mark hold kubelet kubeadm kubectl")
        self.run("swapoff -a && modprobe overlay && modprobe br_netfilter && sysctl -w net.ipv4.ip_forward=1")
        self.write("/etc/containerd/config.toml", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd."
                   "runtimes.runc.options]\n  SystemdCgroup = true\n")
        self.run("systemctl enable --now containerd && systemctl enable kubelet")

    def processes(self):
        pids = []
        for f in glob.glob(self.path("/var/lib/pharos-testbed/containers/*.json")) + \
                glob.glob(self.path("/run/pharos-testbed/systemd/*.json")):
            try:
                with open(f) as fh:
                    d = json.load(fh)
            except (OSError, ValueError):
                continue
            for k in ("pid", "supervisor", "main"):
                if d.get(k):
                    pids.append(d[k])
        return pids

    def cleanup(self):
        """Stops everything started under this host (services first, then containers), removes the root."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = [p for p in self.processes() if _alive(p)]
            for p in pids:
                try:
                    os.killpg(p, sig)
                except (ProcessLookupError, PermissionError):
                    try:
                        os.kill(p, sig)
                    except ProcessLookupError:
                        pass
            deadline = time.time() + 5
            while time.time() < deadline and any(_alive(p) for p in pids):
                time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
