"""Package tools, systemctl and the small host tools, and the per-host journal."""
import os
import time
import unittest

from harness import FakeHost, address

K8S_LIST = ("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] "
            "https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /\n")


class AptTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost("deb1", address(24, 1))

    def tearDown(self):
        self.h.cleanup()

    def key(self, armored=False):
        with open(self.h.path("/etc/apt/keyrings/kubernetes-apt-keyring.gpg"), "wb") as f:
            f.write(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENB\n" if armored else b"\x99\x01\x0d\x04\x00")

    def test_refuses_kubeadm_without_repository(self):
        r = self.h.run("apt-get install -y kubeadm", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("E: Unable to locate package kubeadm", r.stderr)
        # a configured source is not enough: its index arrives with apt-get update
        self.key()
        self.h.write("/etc/apt/sources.list.d/kubernetes.list", K8S_LIST)
        r = self.h.run("apt-get install -y kubeadm", check=False)
        self.assertEqual(r.returncode, 100)
        self.h.run("apt-get update")
        self.h.run("apt-get install -y kubeadm=1.30.2-1.1")
        self.assertEqual(self.h.run("dpkg-query -W -f='${Version}' kubeadm").stdout, "1.30.2-1.1")
        # dependencies come along; the command appears on PATH
        self.assertEqual(self.h.run("dpkg-query -W -f='${Version}' cri-tools").stdout, "1.30.1-1.1")
        self.assertEqual(self.h.run("kubeadm version -o short").stdout.strip(), "v1.30.2")
        self.assertTrue(os.path.exists(self.h.path(
            "/var/lib/pharos-testbed/pkgroot/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf")))

    def test_signing_key_required(self):
        self.h.write("/etc/apt/sources.list.d/kubernetes.list", K8S_LIST)
        r = self.h.run("apt-get update", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("NO_PUBKEY", r.stderr)
        self.assertIn("is not signed", r.stderr)
        # an ASCII-armored key saved as .gpg is ignored by apt (forgot `gpg --dearmor`)
        self.key(armored=True)
        r = self.h.run("apt-get update", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("unsupported filetype", r.stderr)
        self.key()
        self.h.run("apt-get update")

    def test_wrong_minor_repository(self):
        self.key()
        self.h.write("/etc/apt/sources.list.d/kubernetes.list", K8S_LIST.replace("v1.30", "v1.99"))
        r = self.h.run("apt-get update", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("does not have a Release file", r.stderr)

    def test_holds_and_versions(self):
        self.key()
        self.h.write("/etc/apt/sources.list.d/kubernetes.list", K8S_LIST)
        self.h.run("apt-get update && apt-get install -y kubelet=1.30.1-1.1 && apt-mark hold kubelet")
        self.assertEqual(self.h.run("apt-mark showhold").stdout.strip(), "kubelet")
        r = self.h.run("apt-get install -y kubelet=1.30.3-1.1", check=False)
        self.assertEqual(r.returncode, 100)
        self.assertIn("Held packages were changed and -y was used without --allow-change-held-packages", r.stderr)
        self.h.run("apt-get install -y --allow-change-held-packages kubelet=1.30.3-1.1")
        r = self.h.run("apt-get install -y --allow-change-held-packages kubelet=1.30.1-1.1", check=False)
        self.assertIn("Packages were downgraded and -y was used without --allow-downgrades", r.stderr)
        r = self.h.run("apt-get install -y kubelet=1.30.77-1.1", check=False)
        self.assertIn("E: Version '1.30.77-1.1' for 'kubelet' was not found", r.stderr)
        self.h.write("/etc/apt/preferences.d/k8s", "Package: kubectl\nPin: version 1.30.4-*\nPin-Priority: 1001\n")
        self.h.run("apt-get install -y kubectl")
        self.assertEqual(self.h.run("dpkg-query -W -f='${Version}' kubectl").stdout, "1.30.4-1.1")

    def test_journal_records_calls(self):
        self.h.run("apt-get install -y socat")
        self.h.run("apt-get install -y socat")
        self.h.run("dpkg-query -W nonexistent", check=False)
        j = self.h.journal()
        self.assertEqual([(e["argv"], e["exit"], e["changed"]) for e in j],
                         [(["apt-get", "install", "-y", "socat"], 0, True),
                          (["apt-get", "install", "-y", "socat"], 0, False),
                          (["dpkg-query", "-W", "nonexistent"], 1, False)])
        self.assertEqual(j[0]["host"], "deb1")
        self.assertIsInstance(j[0]["time"], float)


class DnfTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost("el1", address(24, 2), os_name="rocky9")

    def tearDown(self):
        self.h.cleanup()

    def test_kubernetes_repo_excludes(self):
        self.assertEqual(self.h.run("apt-get update", check=False).returncode, 127)
        r = self.h.run("dnf install -y kubeadm", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Unable to find a match: kubeadm", r.stderr)
        self.h.write("/etc/yum.repos.d/kubernetes.repo",
                     "[kubernetes]\nname=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v1.31/rpm/\n"
                     "enabled=1\ngpgcheck=1\ngpgkey=https://pkgs.k8s.io/core:/stable:/v1.31/rpm/repodata/"
                     "repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n")
        r = self.h.run("dnf install -y kubeadm", check=False)
        self.assertEqual(r.returncode, 1)
        self.h.run("dnf install -y kubelet kubeadm kubectl --disableexcludes=kubernetes")
        self.assertEqual(self.h.run("rpm -q kubeadm").stdout.strip(), "kubeadm-1.31.14-150500.1.1.x86_64")
        self.assertEqual(self.h.run("rpm -q --qf '%{VERSION}' kubelet").stdout, "1.31.14")


class SystemctlTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost("svc1", address(24, 3))

    def tearDown(self):
        self.h.cleanup()

    def test_units_dropins_and_reload(self):
        r = self.h.run("systemctl start kubelet", check=False)
        self.assertEqual(r.returncode, 5)
        self.assertIn("Unit kubelet.service not found", r.stderr)
        self.h.write("/etc/systemd/system/sleeper.service",
                     "[Service]\nExecStart=/bin/sleep 300\n[Install]\nWantedBy=multi-user.target\n")
        self.h.run("systemctl enable --now sleeper")
        self.assertEqual(self.h.run("systemctl is-active sleeper").stdout.strip(), "active")
        self.assertEqual(self.h.run("systemctl is-enabled sleeper").stdout.strip(), "enabled")
        self.assertTrue(os.path.islink(self.h.path("/etc/systemd/system/multi-user.target.wants/sleeper.service")))
        # a drop-in changes nothing until daemon-reload, like systemd
        self.h.write("/etc/systemd/system/sleeper.service.d/10-env.conf",
                     "[Service]\nExecStart=\nExecStart=/bin/sleep ${SECS}\nEnvironment=SECS=301\n")
        r = self.h.run("systemctl restart sleeper")
        self.assertIn("Run 'systemctl daemon-reload' to reload units", r.stderr)
        self.assertIn("sleep\x00300", self.cmdline("sleeper"))
        self.h.run("systemctl daemon-reload && systemctl restart sleeper")
        self.assertIn("sleep\x00301", self.cmdline("sleeper"))
        self.h.run("systemctl stop sleeper")
        r = self.h.run("systemctl is-active sleeper", check=False)
        self.assertEqual((r.returncode, r.stdout.strip()), (3, "inactive"))
        self.h.run("systemctl disable sleeper")
        self.assertEqual(self.h.run("systemctl is-enabled sleeper", check=False).stdout.strip(), "disabled")

    def cmdline(self, unit):
        import json
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(self.h.path("/run/pharos-testbed/systemd/%s.service.json" % unit)) as f:
                pid = json.load(f).get("main")
            if pid:
                with open("/proc/%d/cmdline" % pid) as f:
                    return f.read()
            time.sleep(0.05)
        self.fail("no main process")

    def test_timer(self):
        # like systemd: a timer needs a trigger and the unit it starts; it runs nothing when started
        self.h.write("/etc/systemd/system/job.timer",
                     "[Timer]\nRandomizedDelaySec=60\n[Install]\nWantedBy=timers.target\n")
        r = self.h.run("systemctl enable --now job.timer", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("lacks value setting", r.stderr)
        self.h.write("/etc/systemd/system/job.timer",
                     "[Timer]\nOnCalendar=*-*-* 03:00:00\n[Install]\nWantedBy=timers.target\n")
        self.h.run("systemctl daemon-reload")
        r = self.h.run("systemctl start job.timer", check=False)
        self.assertEqual(r.returncode, 5)
        self.assertIn("Unit job.service not found", r.stderr)
        self.h.write("/etc/systemd/system/job.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
        self.h.run("systemctl enable --now job.timer")
        self.assertEqual(self.h.run("systemctl is-active job.timer").stdout.strip(), "active")
        self.assertEqual(self.h.run("systemctl is-enabled job.timer").stdout.strip(), "enabled")
        self.assertEqual(self.h.run("systemctl is-active job.service", check=False).stdout.strip(), "inactive")
        self.h.run("systemctl disable --now job.timer")
        self.assertEqual(self.h.run("systemctl is-active job.timer", check=False).stdout.strip(), "inactive")
        self.assertEqual(self.h.run("systemctl is-enabled job.timer", check=False).stdout.strip(), "disabled")

    def test_notify_and_specifiers(self):
        """A packaged Type=notify unit (Debian's etcd.service is one): the start job waits
        for READY=1 on $NOTIFY_SOCKET (sd_notify(3)), and %H / %p are the host's name and
        the unit's prefix, in Environment= and EnvironmentFile= too."""
        self.h.write("/etc/default/notifier", "FROM_FILE=yes\n")
        self.h.write("/etc/systemd/system/notifier.service",
                     "[Service]\nType=notify\nEnvironment=NAME=%H UNIT=%n\n"
                     "EnvironmentFile=-/etc/default/%p\n"
                     "ExecStart=/usr/bin/python3 -c \"import os, socket, time; time.sleep(0.5); "
                     "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'STATUS=up\\nREADY=1', "
                     "os.environ['NOTIFY_SOCKET']); time.sleep(300)\"\n")
        self.h.run("systemctl start notifier")
        self.assertEqual(self.h.run("systemctl is-active notifier").stdout.strip(), "active")
        import json
        with open(self.h.path("/run/pharos-testbed/systemd/notifier.service.json")) as f:
            pid = json.load(f)["main"]
        with open("/proc/%d/environ" % pid) as f:
            env = f.read().split("\x00")
        for want in ("NAME=svc1", "UNIT=notifier.service", "FROM_FILE=yes"):
            self.assertIn(want, env)
        self.h.run("systemctl stop notifier")

    def test_restart_policy(self):
        self.h.write("/etc/systemd/system/flaky.service",
                     "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=60\n")
        self.h.run("systemctl start flaky")
        time.sleep(0.5)
        self.assertEqual(self.h.run("systemctl is-active flaky", check=False).stdout.strip(), "activating")
        self.h.run("systemctl stop flaky")
        self.assertEqual(self.h.run("systemctl is-active flaky", check=False).stdout.strip(), "inactive")


class SmallToolsTest(unittest.TestCase):
    def setUp(self):
        self.h = FakeHost("t1", address(24, 4))

    def tearDown(self):
        self.h.cleanup()

    def test_modules_sysctl_swap_hostname(self):
        r = self.h.run("sysctl net.bridge.bridge-nf-call-iptables", check=False)
        self.assertEqual(r.returncode, 255)
        self.h.run("modprobe br_netfilter")
        self.assertEqual(self.h.run("sysctl -n net.bridge.bridge-nf-call-iptables").stdout.strip(), "1")
        self.assertIn("br_netfilter", self.h.run("lsmod").stdout)
        self.assertEqual(self.h.run("modprobe nosuchmod", check=False).returncode, 1)
        self.h.write("/etc/sysctl.d/k8s.conf", "net.ipv4.ip_forward = 1\n")
        self.h.run("sysctl --system")
        self.assertEqual(self.h.run("sysctl -n net.ipv4.ip_forward").stdout.strip(), "1")
        self.h.write("/etc/fstab", "/swap.img none swap sw 0 0\n")
        self.assertIn("/swap.img", self.h.run("swapon --show").stdout)
        self.h.run("swapoff -a")
        self.assertEqual(self.h.run("swapon --show").stdout, "")
        self.h.run("hostnamectl set-hostname node-a")
        self.assertEqual(self.h.read("/etc/hostname").strip(), "node-a")
        changed = [(e["tool"], e["changed"]) for e in self.h.journal()]
        self.assertIn(("swapoff", True), changed)
        self.assertIn(("modprobe", True), changed)

    def test_no_modules_dir(self):
        # A kernel without /lib/modules/RELEASE (containers, many VMs): kmod
        # finds no module, not even a built-in one; what is built in works.
        self.assertEqual(self.h.run("modprobe -n br_netfilter").returncode, 0)
        self.assertEqual(self.h.run("lsmod").stdout.count("\n"), 1)
        self.h.write("/var/lib/pharos-testbed/kernel.json", '{"modules_dir": false}')
        r = self.h.run("modprobe br_netfilter", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("modprobe: FATAL: Module br_netfilter not found in directory /lib/modules/", r.stderr)
        self.assertEqual(self.h.run("modprobe -n overlay", check=False).returncode, 1)
        self.assertEqual(self.h.run("sysctl -n net.bridge.bridge-nf-call-iptables").stdout.strip(), "1")
        self.assertNotIn("br_netfilter", self.h.run("lsmod").stdout)

    def test_firewalld(self):
        h = FakeHost("fw1", address(24, 5), os_name="rocky9")
        try:
            h.run("dnf install -y firewalld && systemctl enable --now firewalld")
            h.run("firewall-cmd --permanent --add-port=6443/tcp --add-source=10.0.0.0/8")
            self.assertEqual(h.run("firewall-cmd --list-ports").stdout.strip(), "")
            h.run("firewall-cmd --reload")
            self.assertEqual(h.run("firewall-cmd --list-ports").stdout.strip(), "6443/tcp")
            r = h.run("firewall-cmd --add-port=abc", check=False)
            self.assertEqual(r.returncode, 102)
            h.run("systemctl stop firewalld")
            self.assertEqual(h.run("firewall-cmd --state", check=False).returncode, 252)
        finally:
            h.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
