"""cgroup v1 hosts: the kubelet's refusal from 1.35 on and kubeadm's SystemVerification;
and the kubelet's other version-dependent configuration checks.

The hosts report what the machine has; PHAROS_TESTBED_CGROUP_FS makes each case run on
any machine. Rules: pkg/kubelet/apis/config/validation/validation_linux.go and
v1beta1/defaults.go (failCgroupV1 defaults to true from 1.35 on), k8s.io/system-validators
v1.12.1 CgroupsValidator (an error on v1 for a kubelet of 1.35 or later, a warning before),
cmd/kubelet/app/options/options.go (--fail-cgroupv1).
"""
import unittest

from harness import FakeHost, address

V1, V2 = {"PHAROS_TESTBED_CGROUP_FS": "tmpfs"}, {"PHAROS_TESTBED_CGROUP_FS": "cgroup2fs"}
NO_CRI = "--container-runtime-endpoint unix:///run/none.sock"


class CgroupsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h31 = FakeHost("cg31", address(27, 1))
        cls.h31.prepare_kubernetes("1.31")
        cls.h37 = FakeHost("cg37", address(27, 2))
        cls.h37.prepare_kubernetes("1.37")

    @classmethod
    def tearDownClass(cls):
        cls.h31.cleanup()
        cls.h37.cleanup()

    def run_on(self, h, cmd, env):
        saved = dict(h.env)
        h.env.update(env)
        try:
            return h.run(cmd, check=False)
        finally:
            h.env = saved

    def kubelet(self, h, config, env, flags=""):
        h.write("/root/kubelet.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                "cgroupDriver: systemd\n" + config)
        return self.run_on(h, "kubelet --config /root/kubelet.yaml %s %s" % (NO_CRI, flags), env)

    def test_kubelet(self):
        refused = "kubelet is configured to not run on a host using cgroup v1. cgroup v1 support is unsupported"
        r = self.kubelet(self.h37, "", V1)
        self.assertEqual(r.returncode, 1)
        self.assertIn(refused, r.stderr)
        # told, it goes on (to the missing container runtime)
        for config, flags in (("failCgroupV1: false\n", ""), ("", "--fail-cgroupv1=false")):
            r = self.kubelet(self.h37, config, V1, flags)
            self.assertNotIn("cgroup v1", r.stderr)
            self.assertIn("validate CRI v1 runtime API", r.stderr)
        r = self.kubelet(self.h37, "", V2)
        self.assertIn("validate CRI v1 runtime API", r.stderr)
        # before 1.35 it runs on cgroup v1 unless told not to
        r = self.kubelet(self.h31, "", V1)
        self.assertIn("validate CRI v1 runtime API", r.stderr)
        r = self.kubelet(self.h31, "", V1, "--fail-cgroupv1=true")
        self.assertIn("cgroup v1 support is in maintenance mode", r.stderr)
        # the flag kubeadm passed until 1.35 is gone from the kubelet
        r = self.kubelet(self.h37, "failCgroupV1: false\n", V1, "--pod-infra-container-image registry.k8s.io/p")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown flag: --pod-infra-container-image", r.stderr)

    def test_kubelet_cpu_cfs_quota_period(self):
        """validation.go: another period than 100ms needs CustomCPUCFSQuotaPeriod, alpha (off)
        before 1.36 and GA (on) from then (pkg/features/kube_features.go)."""
        r = self.kubelet(self.h31, "cpuCFSQuotaPeriod: 50ms\n", V2)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cpuCFSQuotaPeriod (--cpu-cfs-quota-period) 50ms requires feature gate "
                      "CustomCPUCFSQuotaPeriod", r.stderr)
        r = self.kubelet(self.h31, "cpuCFSQuotaPeriod: 50ms\nfeatureGates:\n  CustomCPUCFSQuotaPeriod: true\n", V2)
        self.assertIn("validate CRI v1 runtime API", r.stderr)
        r = self.kubelet(self.h37, "cpuCFSQuotaPeriod: 50ms\n", V2)
        self.assertIn("validate CRI v1 runtime API", r.stderr)
        r = self.kubelet(self.h37, "cpuCFSQuotaPeriod: 2s\n", V2)
        self.assertIn("cpuCFSQuotaPeriod (--cpu-cfs-quota-period) 2s must be between 1ms and 1sec", r.stderr)

    def preflight(self, h, env, ignore=""):
        """kubeadm init stopped by a failing check of its own, to read the SystemVerification line."""
        h.write("/root/k.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
                "nodeRegistration:\n  ignorePreflightErrors: [%s]\n" % ignore)
        h.run("sysctl -w net.ipv4.ip_forward=0")
        try:
            r = self.run_on(h, "kubeadm init --config /root/k.yaml", env)
        finally:
            h.run("sysctl -w net.ipv4.ip_forward=1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[ERROR FileContent--proc-sys-net-ipv4-ip_forward]", r.stderr)
        return r.stdout + r.stderr

    def test_kubeadm_system_verification(self):
        why = "cgroups v1 support is deprecated and will be removed in a future release. Please migrate to cgroups v2."
        out = self.preflight(self.h37, V1)
        self.assertIn("[ERROR SystemVerification]: " + why, out)
        out = self.preflight(self.h37, V1, "SystemVerification")
        self.assertNotIn("[ERROR SystemVerification]", out)
        self.assertIn("[WARNING SystemVerification]: " + why, out)
        self.assertNotIn("SystemVerification]", self.preflight(self.h37, V2))
        out = self.preflight(self.h31, V1)
        self.assertNotIn("[ERROR SystemVerification]", out)
        self.assertIn("[WARNING SystemVerification]: " + why, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
