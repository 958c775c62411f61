"""kubeadm's configuration checks, flag rules and preflight, without starting a cluster.

Expected messages are kubeadm's (v1.37.2 unless a test says otherwise): cmd/kubeadm/app/
apis/kubeadm/validation/validation.go, app/util/config/{common,initconfiguration}.go."""
import json
import os
import shutil
import ssl
import sys
import time
import unittest
from unittest import mock

from harness import FakeHost, address

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import etcd, kubeadm  # noqa: E402

GOOD = """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  kubeletExtraArgs:
  - name: node-labels
    value: role=master
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  podSubnet: 10.244.0.0/16
apiServer:
  extraArgs:
  - name: audit-log-maxage
    value: "30"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
maxPods: 100
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
"""


class KubeadmConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = FakeHost("cfg", address(23, 1))
        cls.h.prepare_kubernetes()
        cls.h37 = FakeHost("cfg37", address(23, 3))
        cls.h37.prepare_kubernetes("1.37")

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()
        cls.h37.cleanup()

    def validate(self, text, h=None):
        h = h or self.h
        h.write("/root/k.yaml", text)
        return h.run("kubeadm config validate --config /root/k.yaml", check=False)

    def test_valid_v1beta4_and_v1beta3(self):
        r = self.validate(GOOD)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ok"), r.stderr)
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n"
                          "  extraArgs:\n    audit-log-maxage: \"30\"\n  timeoutForControlPlane: 4m0s\n")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_unknown_field(self):
        r = self.validate(GOOD.replace("podSubnet:", "podSubnett:"))
        self.assertEqual(r.returncode, 1)
        self.assertIn('error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", '
                      'Version:"v1beta4", Kind:"ClusterConfiguration"}: strict decoding error: '
                      'unknown field "networking.podSubnett"', r.stderr)
        # init, join and their phases load the file with strictErrors=false: a warning, the field ignored
        self.addCleanup(shutil.rmtree, self.h.path("/etc/kubernetes"), True)
        r = self.h.run("kubeadm init phase control-plane scheduler --config /root/k.yaml")
        self.assertIn('strict decoding error: unknown field "networking.podSubnett"', r.stderr)
        self.assertTrue(os.path.exists(self.h.path("/etc/kubernetes/manifests/kube-scheduler.yaml")))

    def test_wrong_types(self):
        r = self.validate(GOOD.replace("maxPods: 100", "maxPods: \"100\""))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot unmarshal string into Go struct field KubeletConfiguration.maxPods of type int32",
                      r.stderr)
        # v1beta3's map form of extraArgs is a list in v1beta4
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n"
                          "  extraArgs:\n    audit-log-maxage: \"30\"\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot unmarshal object into Go struct field ClusterConfiguration.apiServer.extraArgs", r.stderr)

    def test_unknown_kind_and_old_version(self):
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta4\nkind: MasterConfiguration\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown configuration APIs: []schema.GroupVersionKind{schema.GroupVersionKind{'
                      'Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"MasterConfiguration"}}', r.stderr)
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn('your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2" (kind: '
                      '"ClusterConfiguration"). Please use kubeadm v1.22 instead', r.stderr)
        # v1beta3 is deprecated from kubeadm 1.31 on and gone in 1.37
        v1beta3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n"
        r = self.validate(v1beta3)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3"', r.stderr)
        r = self.validate(v1beta3, self.h37)
        self.assertEqual(r.returncode, 1)
        self.assertIn('old API spec: "kubeadm.k8s.io/v1beta3" (kind: "ClusterConfiguration"). Please use kubeadm '
                      'v1.36 instead', r.stderr)
        r = self.validate("apiVersion: kubeadm.k8s.io/v1\nkind: ClusterConfiguration\n", self.h37)
        self.assertIn('experimental API spec: "kubeadm.k8s.io/v1" (kind: "ClusterConfiguration") is not allowed',
                      r.stderr)
        r = self.validate(GOOD.replace("mode: ipvs", "mode: userspace"))
        self.assertEqual(r.returncode, 1)
        self.assertIn('KubeProxyConfiguration.Mode: Unsupported value: "userspace"', r.stderr)

    def test_config_mixed_with_flags(self):
        """ValidateMixedArguments: with --config, only isAllowedFlag's flags and skip-*."""
        self.h.write("/root/k.yaml", GOOD)
        key = "ab" * 32
        for cmd, bad in (
                ("init --config /root/k.yaml --pod-network-cidr 10.0.0.0/16", "[pod-network-cidr]"),
                # the key belongs in InitConfiguration.certificateKey
                ("init --config /root/k.yaml --upload-certs --skip-token-print --certificate-key " + key,
                 "[certificate-key]"),
                ("init --config /root/k.yaml --patches /p --certificate-key " + key, "[certificate-key patches]"),
                ("init phase upload-certs --config /root/k.yaml --upload-certs --certificate-key " + key,
                 "[certificate-key]"),
                ("init phase control-plane apiserver --config /root/k.yaml --kubernetes-version v1.31.0",
                 "[kubernetes-version]"),
                # JoinConfiguration.controlPlane holds both
                ("join --config /root/j.yaml --control-plane --certificate-key " + key,
                 "[certificate-key control-plane]"),
                ("token create --config /root/k.yaml --ttl 1h", "[ttl]"),
                ("reset --config /root/r.yaml --force", "[force]")):
            r = self.h.run("kubeadm " + cmd, check=False)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn("can not mix '--config' with arguments %s" % bad, r.stderr, cmd)
        # what it lets through (the phase then fails for want of a cluster)
        r = self.h.run("kubeadm init phase upload-certs --config /root/k.yaml --upload-certs "
                       "--skip-certificate-key-print --kubeconfig /root/none.conf", check=False)
        self.assertNotIn("can not mix", r.stderr)
        self.assertIn("/root/none.conf", r.stderr)
        # a phase has only the flags it inherits from init
        r = self.h.run("kubeadm init phase upload-certs --pod-network-cidr 10.0.0.0/16", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown flag: --pod-network-cidr", r.stderr)

    def test_certificate_key(self):
        """ValidateCertificateKey: hex, constants.CertificateKeySize (32) bytes, in the file or the flag."""
        for key, why in (("00112233", "invalid certificate key size 4, the key must be an AES key of size 32"),
                         ("xy" * 32, "certificate key decoding error: encoding/hex: invalid byte: U+0078 'x'"),
                         ("abc", "certificate key decoding error: encoding/hex: odd length hex string")):
            r = self.validate("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: '%s'\n"
                              % key)
            self.assertEqual(r.returncode, 1, key)
            self.assertIn('certificateKey: Invalid value: "%s": %s' % (key, why), r.stderr)
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n"
                          "  bootstrapToken: {apiServerEndpoint: '10.0.0.1:6443', token: abcdef.0123456789abcdef,\n"
                          "    caCertHashes: ['sha256:00']}\ncontrolPlane:\n  certificateKey: '00112233'\n")
        self.assertIn('controlPlane.certificateKey: Invalid value: "00112233": invalid certificate key size 4',
                      r.stderr)
        r = self.validate("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: %s\n"
                          % ("AB" * 32))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.h.run("kubeadm init phase upload-certs --upload-certs --certificate-key 00112233", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('certificateKey: Invalid value: "00112233": invalid certificate key size 4', r.stderr)

    def test_values(self):
        """What ValidateClusterConfiguration and ValidateNodeRegistrationOptions refuse."""
        for change, why in (
                (("serviceSubnet: 10.96.0.0/12", "serviceSubnet: 10.0.0.0/8"),
                 'networking.serviceSubnet: Invalid value: "10.0.0.0/8": specified service subnet is too large; for '
                 '32-bit addresses, the mask must be >= 12'),
                (("podSubnet: 10.244.0.0/16", "podSubnet: 10.244.0.0/26"),
                 'networking.podSubnet: Invalid value: "10.244.0.0/26": the size of pod subnet with mask 26 is '
                 'smaller than the size of node subnet with mask 24'),
                (("podSubnet: 10.244.0.0/16", "podSubnet: 10.0.0.0/6"),
                 'networking.podSubnet: Invalid value: "8.0.0.0/6": pod subnet mask (6) and node-mask (24) '
                 'difference is greater than 16'),
                (("  kubeletExtraArgs:", "  name: Node_1\n  kubeletExtraArgs:"),
                 'nodeRegistration.name: Invalid value: "Node_1": a lowercase RFC 1123 subdomain'),
                (("  kubeletExtraArgs:", "  criSocket: npipe:////./pipe/x\n  kubeletExtraArgs:"),
                 'nodeRegistration.criSocket: Invalid value: "npipe:////./pipe/x": only URL scheme "unix" is '
                 'supported, got "npipe"'),
                (("networking:", "imageRepository: Mirror/K8s\nnetworking:"),
                 'imageRepository: Invalid value: "Mirror/K8s": invalid image repository format')):
            text = GOOD.replace("networking:\n", "networking:\n  serviceSubnet: 10.96.0.0/12\n").replace(*change)
            r = self.validate(text)
            self.assertEqual(r.returncode, 1, change)
            self.assertIn(why, r.stderr)

    def test_preflight(self):
        self.h.run("sysctl -w net.ipv4.ip_forward=0")
        self.h.run("systemctl stop containerd")
        try:
            r = self.h.run("kubeadm init", check=False)
        finally:
            self.h.run("sysctl -w net.ipv4.ip_forward=1")
            self.h.run("systemctl start containerd")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents "
                      "are not set to 1", r.stderr)
        self.assertIn("[ERROR CRI]: container runtime is not running", r.stderr)
        self.assertIn("error execution phase preflight", r.stderr)

    def test_version_and_skew(self):
        self.assertEqual(self.h.run("kubeadm version -o short").stdout.strip(), "v1.31.14")
        r = self.h.run("kubeadm init --kubernetes-version v1.33.0", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is at least one minor release higher than the kubeadm minor release (33 > 31)", r.stderr)

    def test_images_of_the_minor(self):
        """DefaultEtcdVersion, CoreDNSVersion and PauseVersion of kubeadm v1.37.2's constants.go."""
        out = self.h37.run("kubeadm config images list").stdout.split()
        self.assertIn("registry.k8s.io/kube-apiserver:v1.37.2", out)
        self.assertIn("registry.k8s.io/etcd:3.7.0-0", out)
        self.assertIn("registry.k8s.io/coredns/coredns:v1.14.6", out)
        self.assertIn("registry.k8s.io/pause:3.10.2", out)
        # images.GetDNSImage: another repository takes "coredns" without the extra path
        out = self.h37.run("kubeadm config images list --image-repository mirror.example.com/k8s").stdout.split()
        self.assertIn("mirror.example.com/k8s/coredns:v1.14.6", out)

    def test_phases_on_a_running_node(self):
        """What a changed config needs: manifests regenerated, an existing apiserver
        certificate kept only while it covers every name (so it is moved away first)."""
        pki = self.h.path("/etc/kubernetes/pki")
        os.makedirs(pki, exist_ok=True)
        # the other tests expect a host kubeadm never ran on
        self.addCleanup(shutil.rmtree, self.h.path("/etc/kubernetes"), True)
        self.h.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=kubernetes", "-keyout", pki + "/ca.key", "-out", pki + "/ca.crt"])
        with_sans = GOOD.replace("apiServer:\n", "apiServer:\n  certSANs:\n  - api.example.com\n")
        self.h.write("/root/k.yaml", GOOD)
        self.h.run("kubeadm init phase certs apiserver --config /root/k.yaml")
        sans = self.h.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                           pki + "/apiserver.crt"]).stdout
        self.assertIn("DNS:kubernetes.default.svc", sans)
        r = self.h.run("kubeadm init phase certs apiserver --config /root/k.yaml")
        self.assertIn("Using existing apiserver certificate and key on disk", r.stdout)
        self.h.write("/root/k.yaml", with_sans)
        r = self.h.run("kubeadm init phase certs apiserver --config /root/k.yaml", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("certificate apiserver is invalid: x509: certificate is not valid for api.example.com",
                      r.stderr)
        os.rename(pki + "/apiserver.crt", pki + "/old.crt")
        os.rename(pki + "/apiserver.key", pki + "/old.key")
        self.h.run("kubeadm init phase certs apiserver --config /root/k.yaml")
        self.assertIn("DNS:api.example.com", self.h.run(["openssl", "x509", "-noout", "-ext", "subjectAltName",
                                                         "-in", pki + "/apiserver.crt"]).stdout)
        r = self.h.run("kubeadm init phase control-plane apiserver --config /root/k.yaml")
        self.assertIn('Creating static Pod manifest for "kube-apiserver"', r.stdout)
        manifest = self.h.read("/etc/kubernetes/manifests/kube-apiserver.yaml")
        self.assertIn("--audit-log-maxage=30", manifest)
        self.assertFalse(os.path.exists(self.h.path("/etc/kubernetes/manifests/kube-scheduler.yaml")))
        r = self.h.run("kubeadm init phase control-plane etcd --config /root/k.yaml", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown command "etcd" for "kubeadm init phase control-plane"', r.stderr)

    def test_not_installed(self):
        other = FakeHost("bare", address(23, 2))
        try:
            r = other.run("kubeadm version", check=False)
            self.assertEqual(r.returncode, 127)
            # a package's command answers like a missing one until the package is installed
            self.assertIn("kubeadm: command not found", r.stderr)
            # a kubeadm later on PATH is what the shell would run instead
            other.write("/stub/kubeadm", "#!/bin/sh\necho stub \"$@\"\n")
            os.chmod(other.path("/stub/kubeadm"), 0o755)
            other.env["PATH"] += ":" + other.path("/stub")
            self.assertEqual(other.run("kubeadm version").stdout, "stub version\n")
        finally:
            other.cleanup()

    def test_join_fault(self):
        """kubeadm-fault.json fails the next `count` control-plane joins with the etcd error
        kubeadm prints after its EtcdAPICall timeout; once spent, joins go on."""
        fault = "/var/lib/pharos-testbed/kubeadm-fault.json"
        with mock.patch.dict(os.environ, {"PHAROS_TESTBED_ROOT": self.h.root}):
            for kind, msg in (("etcd-unhealthy", "etcdserver: unhealthy cluster"),
                              ("etcd-too-many-learners", "etcdserver: too many learner members in cluster")):
                self.h.write(fault, json.dumps({"join": kind, "count": 1}))
                with self.assertRaises(kubeadm.KubeadmError) as e:
                    kubeadm.join_etcd("n", "127.0.0.1", {}, "etcd-join")
                self.assertEqual(str(e.exception).splitlines()[0], "error execution phase etcd-join: "
                                 "error creating local etcd static pod manifest file: " + msg)
                self.assertEqual(json.loads(self.h.read(fault))["count"], 0)
                self.assertIsNone(kubeadm.join_fault())

    def test_learner_and_wait_all_gates(self):
        """EtcdLearnerMode: alpha (off) 1.27-1.28, beta (on) 1.29-1.31, GA 1.32, gone from 1.33;
        WaitForAllControlPlaneComponents: alpha (off) 1.30-1.32, beta (on) 1.33, GA 1.34, gone
        from 1.35 (features.go; v1.37.2 has neither gate: both always on)."""
        for version, learner, wait_all in (("v1.28.15", (False, False, True), (False, False, False)),
                                           ("v1.29.15", (True, False, True), (False, False, False)),
                                           ("v1.31.14", (True, False, True), (False, False, True)),
                                           ("v1.32.10", (True, True, True), (False, False, True)),
                                           ("v1.33.6", (True, True, True), (True, False, True)),
                                           ("v1.34.2", (True, True, True), (True, True, True)),
                                           ("v1.37.2", (True, True, True), (True, True, True))):
            with mock.patch.object(kubeadm, "kubeadm_version", return_value=version):
                self.assertEqual(tuple(kubeadm.etcd_learner_mode(c) for c in (
                    {}, {"featureGates": {"EtcdLearnerMode": False}}, {"featureGates": {"EtcdLearnerMode": True}})),
                    learner, version)
                self.assertEqual(tuple(kubeadm.wait_all_control_plane_components(c) for c in (
                    {}, {"featureGates": {"WaitForAllControlPlaneComponents": False}},
                    {"featureGates": {"WaitForAllControlPlaneComponents": True}})), wait_all, version)

    def test_check_etcd_retries_and_quorum(self):
        """check-etcd (phases/join/checketcd.go, CheckLocalEtcdClusterStatus, getClusterStatus
        in util/etcd/etcd.go): a member whose status does not come is asked again every 500ms
        until the EtcdAPICall timeout; the cluster passes with a majority of members healthy."""
        down = "https://%s:2379" % address(23, 9)    # nothing listens there
        unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
        calls = []

        def real_client(cluster, endpoints=None):
            c = etcd.Client(endpoints or cluster.endpoints, None, None, None, 1, unverified)
            real_status = c.status
            c.status = lambda ep: (calls.append(time.time()), real_status(ep))[1]
            return c
        kubeadm.set_active_timeouts({"timeouts": {"etcdAPICall": "2s"}})
        self.addCleanup(kubeadm.set_active_timeouts, {})
        with mock.patch.object(kubeadm.EtcdCluster, "client", real_client), \
                mock.patch.object(kubeadm, "etcd_from_cluster", return_value=kubeadm.EtcdCluster([down])), \
                mock.patch.object(kubeadm, "admin_client"), mock.patch.object(kubeadm, "say") as say:
            start = time.time()
            with self.assertRaises(kubeadm.KubeadmError) as e:
                kubeadm.check_etcd({})
            took = time.time() - start
        self.assertEqual(str(e.exception).splitlines()[0], "error execution phase check-etcd: etcd cluster is not "
                         "healthy: the status of member %s is not available: context deadline exceeded" % down)
        say.assert_called_with("[check-etcd] Checking that the etcd cluster is healthy")
        self.assertGreaterEqual(len(calls), 4)
        self.assertTrue(1.5 <= took < 4, took)
        self.assertAlmostEqual(calls[1] - calls[0], 0.5, delta=0.2)

        class Fake:
            def __init__(self, answers):
                self.answers = answers

            def status(self, ep):
                a = self.answers[ep]
                if isinstance(a, Exception):
                    raise a
                return a
        eps = ["https://192.0.2.%d:2379" % i for i in (1, 2, 3)]
        alarm = {"errors": ["memberID:1 alarm:NOSPACE "]}
        gone = etcd.EtcdError("x", "context deadline exceeded")
        kubeadm.set_active_timeouts({"timeouts": {"etcdAPICall": "100ms"}})
        for answers, want in (((gone, {}, {}), None),
                              ((alarm, {}, {}), None),
                              ((alarm, gone, {}), "etcd cluster is not healthy: [member %s is not healthy: memberID:1 "
                               "alarm:NOSPACE , the status of member %s is not available: context deadline exceeded]"
                               % (eps[0], eps[1])),
                              ((alarm,), "etcd cluster is not healthy: member %s is not healthy: memberID:1 "
                               "alarm:NOSPACE " % eps[0])):
            fake = Fake(dict(zip(eps, answers)))
            with mock.patch.object(kubeadm.EtcdCluster, "client", lambda cluster, endpoints=None: fake):
                cluster = kubeadm.EtcdCluster(eps[:len(answers)])
                if want is None:
                    cluster.check_cluster_health()
                else:
                    with self.assertRaises(kubeadm.EtcdPhaseError) as e:
                        cluster.check_cluster_health()
                    self.assertEqual(str(e.exception), want)

    def test_control_plane_check_manifests(self):
        """wait-control-plane reads the three manifests first (ReadMultipleStaticPodsFromDisk):
        join returns the error as it is, init wraps it and prints the crictl help; the address
        and port come from each command's flags (getControlPlaneComponentAddressAndPort)."""
        m = "/etc/kubernetes/manifests/"
        self.addCleanup(shutil.rmtree, self.h.path("/etc/kubernetes"), True)
        self.h.write(m + "kube-apiserver.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n"
                     "    - kube-apiserver\n    - --advertise-address=192.0.2.7\n    - --secure-port=7443\n")
        self.h.write(m + "kube-controller-manager.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"
                     "  - command:\n    - kube-controller-manager\n    - --bind-address=0.0.0.0\n")
        missing = 'failed to read manifest for "%skube-scheduler.yaml": open %skube-scheduler.yaml: no such file ' \
                  'or directory' % (m, m)
        with mock.patch.dict(os.environ, {"PHAROS_TESTBED_ROOT": self.h.root}), \
                mock.patch.object(kubeadm, "say") as say:
            with self.assertRaises(kubeadm.KubeadmError) as e:
                kubeadm.control_plane_check("192.0.2.7", 7443, 240, "unix:///run/x.sock", True)
            self.assertEqual(str(e.exception).splitlines()[0], "error execution phase wait-control-plane: " + missing)
            self.assertEqual(say.call_args_list, [])
            with self.assertRaises(kubeadm.KubeadmError) as e:
                kubeadm.control_plane_check("192.0.2.7", 7443, 240, "unix:///run/x.sock", False)
            self.assertEqual(str(e.exception).splitlines()[0], "error execution phase wait-control-plane: failed "
                             "while waiting for the control plane to start: " + missing)
            self.assertIn("- 'crictl --runtime-endpoint unix:///run/x.sock ps -a | grep kube | grep -v pause'",
                          say.call_args[0][0])
            pods, err = kubeadm.read_control_plane_pods()
        self.assertEqual(kubeadm.component_flags(pods["kube-apiserver"], "kube-apiserver",
                                                 ("advertise-address", "secure-port")), (["192.0.2.7", "7443"], None))
        self.assertEqual(kubeadm.component_flags(pods["kube-controller-manager"], "kube-controller-manager",
                                                 ("bind-address", "secure-port")), (["0.0.0.0", ""], None))
        self.assertEqual(kubeadm.component_flags(pods["kube-apiserver"], "kube-scheduler", ("bind-address",)),
                         ([""], 'the Pod has no container command starting with "kube-scheduler"'))
        self.assertEqual(kubeadm.aggregate(["a", "b", "a"]), "[a, b]")
        self.assertEqual(kubeadm.fmt_duration(240), "4m0s")
        self.assertEqual(kubeadm.fmt_duration(0.5031), "503.1ms")
        self.assertEqual(kubeadm.fmt_duration(61.25), "1m1.25s")

    def test_kubelet_local_mode(self):
        """Which kubeadm runs etcd-join before kubelet-wait-bootstrap: ControlPlaneKubeletLocalMode
        in cmd/kubeadm/app/features/features.go, none before v1.31, alpha (off) in v1.31 and
        v1.32, beta (on) in v1.33 and v1.34, locked on in v1.35, gone from v1.36 on; the gate
        is read from the cluster's ClusterConfiguration (phases/join/data.go checkFeatureState)."""
        off, on = {"featureGates": {"ControlPlaneKubeletLocalMode": False}}, {
            "featureGates": {"ControlPlaneKubeletLocalMode": True}}
        for version, default, with_off, with_on in (("v1.30.14", False, False, False),
                                                    ("v1.31.14", False, False, True),
                                                    ("v1.32.13", False, False, True),
                                                    ("v1.33.6", True, False, True),
                                                    ("v1.34.2", True, False, True),
                                                    ("v1.35.4", True, True, True),
                                                    ("v1.37.2", True, True, True)):
            with mock.patch.object(kubeadm, "kubeadm_version", return_value=version):
                self.assertEqual([kubeadm.kubelet_local_mode(c) for c in ({}, off, on)],
                                 [default, with_off, with_on], version)

    def test_external_etcd_certificates(self):
        """With etcd.external, kubeadm makes no etcd CA or etcd certificates (cmd/phases/init/
        certs.go: "External etcd mode: Skipping ...") and upload-certs hands over the client
        files the ClusterConfiguration names (phases/copycerts/copycerts.go certsToTransfer)."""
        ext = {"etcd": {"external": {"endpoints": ["https://192.0.2.1:2379"], "caFile": "/x/ca.crt",
                                     "certFile": "/x/c.crt", "keyFile": "/x/c.key"}}}
        stacked = kubeadm.cert_files({})
        self.assertEqual(stacked["etcd-ca.crt"], kubeadm.PKI + "/etcd/ca.crt")
        self.assertEqual(stacked["etcd-ca.key"], kubeadm.PKI + "/etcd/ca.key")
        self.assertNotIn("external-etcd.key", stacked)
        files = kubeadm.cert_files(ext)
        self.assertEqual({k: v for k, v in files.items() if "etcd" in k},
                         {"external-etcd-ca.crt": "/x/ca.crt", "external-etcd.crt": "/x/c.crt",
                          "external-etcd.key": "/x/c.key"})
        self.assertEqual(files["ca.key"], kubeadm.PKI + "/ca.key")
        with mock.patch.dict(os.environ, {"PHAROS_TESTBED_ROOT": self.h.root}), \
                mock.patch.object(kubeadm.pki, "new_cert") as new_cert, \
                mock.patch.object(kubeadm, "say") as say:
            kubeadm.node_certs("n", "192.0.2.5", ext, "RSA-2048")
        made = [c.args[0] for c in new_cert.call_args_list]
        self.assertEqual([m for m in made if "etcd" in m], [])
        self.assertIn(kubeadm.PKI + "/apiserver", made)
        said = [c.args[0] for c in say.call_args_list]
        self.assertIn("[certs] External etcd mode: Skipping etcd/server certificate generation", said)
        self.assertIn("[certs] External etcd mode: Skipping apiserver-etcd-client certificate generation", said)


if __name__ == "__main__":
    unittest.main(verbosity=2)
