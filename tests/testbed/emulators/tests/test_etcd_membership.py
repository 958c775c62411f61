"""Stacked etcd membership through kubeadm: init, join --control-plane, reset; quorum; worker join."""
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import unittest

from harness import FakeHost, address

CP1, CP2, W1, CP3 = address(22, 1), address(22, 2), address(22, 3), address(22, 4)


class EtcdMembershipTest(unittest.TestCase):
    def setUp(self):
        self.hosts = []
        self.home = None

    def tearDown(self):
        for h in self.hosts:
            h.cleanup()

    def host(self, name, addr):
        h = FakeHost(name, addr)
        self.hosts.append(h)
        return h

    def etcdctl(self, h, *args, check=True):
        pki = h.path("/etc/kubernetes/pki")
        r = subprocess.run(["etcdctl", "--endpoints=https://%s:2379" % h.address, "--cacert=%s/etcd/ca.crt" % pki,
                            "--cert=%s/apiserver-etcd-client.crt" % pki, "--key=%s/apiserver-etcd-client.key" % pki,
                            "--command-timeout=4s"] + list(args),
                           env=dict(os.environ, ETCDCTL_API="3"), capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            self.fail("etcdctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def etcd_api(self, h, path, body):
        """etcd's v3 JSON gateway on h (what etcdctl 3.4 has no command for: alarm activate)."""
        pki = h.path("/etc/kubernetes/pki")
        ctx = ssl.create_default_context(cafile=pki + "/etcd/ca.crt")
        ctx.check_hostname = False
        ctx.load_cert_chain(pki + "/apiserver-etcd-client.crt", pki + "/apiserver-etcd-client.key")
        conn = http.client.HTTPSConnection(h.address, 2379, context=ctx, timeout=4)
        try:
            conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            out = json.loads(r.read())
        finally:
            conn.close()
        self.assertEqual(r.status, 200, out)
        return out

    def members(self, h):
        return sorted(m["name"] for m in json.loads(self.etcdctl(h, "member", "list", "-w", "json").stdout)["members"])

    def kubectl(self, h, *args, check=True):
        home = h.root + "/kubectl-home"
        os.makedirs(home, exist_ok=True)
        r = subprocess.run(["kubectl", "--kubeconfig", h.path("/etc/kubernetes/admin.conf"), "--request-timeout=8s"]
                           + list(args), env=dict(os.environ, HOME=home), capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            self.fail("kubectl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def test_two_masters_then_reset(self):
        cp1, cp2 = self.host("cp1", CP1), self.host("cp2", CP2)
        for h in (cp1, cp2):
            # 1.34: the order from 1.33 on, and a kubelet that runs on the machine's cgroup v1;
            # its kubeadm no longer depends on cri-tools (crictl below)
            h.prepare_kubernetes("1.34")
            h.run("apt-get install -y cri-tools")
        # pharos' way: the certificate key in the file (kubeadm refuses --certificate-key next to
        # --config), neither it nor the token printed
        first_key = "0123456789abcdef" * 4
        cp1.write("/root/kubeadm.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
                  "certificateKey: %s\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
                  "controlPlaneEndpoint: %s:6443\n" % (first_key, CP1))
        init = cp1.run("kubeadm init --config /root/kubeadm.yaml --upload-certs --skip-token-print "
                       "--skip-certificate-key-print", timeout=180)
        self.assertNotIn(first_key, init.stdout + init.stderr)
        # WaitForAllControlPlaneComponents (GA in 1.34): every component's health endpoint,
        # its address and port from its manifest (util/apiclient/wait.go)
        self.assert_control_plane_check(init.stdout, CP1)
        self.assertIn("--token <value withheld>", init.stdout)
        self.assertIn("--certificate-key <value withheld>", init.stdout)
        # the certificates are shared again later, as pharos does it for masters added to a running cluster
        key = "fedcba9876543210" * 4
        cp1.write("/root/upload.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
                  "certificateKey: %s\n" % key)
        up = cp1.run("kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print "
                     "--config /root/upload.yaml")
        self.assertNotIn(key, up.stdout + up.stderr)
        cmd = cp1.run("kubeadm token create --print-join-command --certificate-key " + key).stdout
        join = re.match(r"kubeadm join (\S+) --token (\S+) --discovery-token-ca-cert-hash (\S+) --control-plane "
                        r"--certificate-key (\S+)", cmd)
        self.assertIsNotNone(join, cmd)
        endpoint, token, ca_hash, key2 = join.groups()
        self.assertEqual(key2, key)
        self.assertEqual(self.members(cp1), ["cp1"])

        wrong = cp2.run("kubeadm join %s --token %s --discovery-token-ca-cert-hash sha256:%s --control-plane "
                        "--certificate-key %s" % (endpoint, token, "0" * 64, key), check=False)
        self.assertEqual(wrong.returncode, 1)
        self.assertIn("none of the public keys", wrong.stderr)
        bad_key = cp2.run("kubeadm join %s --token %s --discovery-token-ca-cert-hash %s --control-plane "
                          "--certificate-key %s" % (endpoint, token, ca_hash, "1" * 64), check=False)
        self.assertEqual(bad_key.returncode, 1)
        self.assertIn("message authentication failed", bad_key.stderr)
        cp2.run("kubeadm reset -f")

        cp2.write("/root/join.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n"
                  "  bootstrapToken:\n    apiServerEndpoint: %s\n    token: %s\n    caCertHashes: [%s]\n"
                  "controlPlane:\n  certificateKey: %s\n" % (endpoint, token, ca_hash, key))
        # ControlPlaneKubeletLocalMode, on from 1.33 (join.go: kubelet-start, etcd-join,
        # kubelet-wait-bootstrap, control-plane-join, phases/join/kubelet.go): the kubelet
        # bootstraps through this node's own API server, which needs the local etcd member, so a
        # member add that fails leaves bootstrap-kubelet.conf but no kubelet.conf
        # check-etcd (phases/join/checketcd.go) before the kubelet starts: a member whose status
        # carries errors (here an alarm) is unhealthy, and without a healthy majority the join
        # stops there
        member_id = self.etcd_api(cp1, "/v3/maintenance/status", {})["header"]["member_id"]
        alarm = {"action": "ACTIVATE", "memberID": member_id, "alarm": "NOSPACE"}
        self.etcd_api(cp1, "/v3/maintenance/alarm", alarm)
        unhealthy = cp2.run("kubeadm join --config /root/join.yaml", timeout=180, check=False)
        self.etcd_api(cp1, "/v3/maintenance/alarm", dict(alarm, action="DEACTIVATE"))
        self.assertEqual(unhealthy.returncode, 1, unhealthy.stdout)
        self.assertIn("[check-etcd] Checking that the etcd cluster is healthy", unhealthy.stdout)
        self.assertIn("error execution phase check-etcd: etcd cluster is not healthy: member https://%s:2379 is not "
                      "healthy: memberID:%s alarm:NOSPACE \n" % (CP1, member_id), unhealthy.stderr)
        self.assertNotIn("[kubelet-start]", unhealthy.stdout)
        self.assertEqual(self.members(cp1), ["cp1"])
        cp2.run("kubeadm reset -f", timeout=120)
        cp2.write("/var/lib/pharos-testbed/kubeadm-fault.json", '{"join": "etcd-unhealthy", "count": 1}')
        failed = cp2.run("kubeadm join --config /root/join.yaml", timeout=180, check=False)
        self.assertEqual(failed.returncode, 1)
        self.assertIn("error execution phase etcd-join: error creating local etcd static pod manifest file: "
                      "etcdserver: unhealthy cluster", failed.stderr)
        self.assertNotIn("TLS Bootstrap", failed.stdout)
        self.assertIn("server: https://%s:6443" % CP2, cp2.read("/etc/kubernetes/bootstrap-kubelet.conf"))
        self.assertFalse(os.path.exists(cp2.path("/etc/kubernetes/kubelet.conf")))
        self.assertFalse(os.path.exists(cp2.path("/etc/kubernetes/manifests/etcd.yaml")))
        self.assertNotIn("cp2", self.kubectl(cp1, "get", "nodes", "-o", "name").stdout)
        cp2.run("kubeadm reset -f", timeout=120)
        # EtcdLearnerMode (GA in 1.32): the member is added as a learner, which does not count
        # for quorum, and promoted once started and in sync (CreateStackedEtcdStaticPodManifestFile,
        # AddMemberAsLearner and MemberPromote in util/etcd/etcd.go)
        out, seen = self.join_watching_member(cp2, "/root/join.yaml", cp1)
        self.assertTrue(seen and seen[0] == "learner", seen)
        self.assertEqual(seen[-1], "voter", seen)
        self.assertEqual(seen, sorted(seen, key=("learner", "voter").index), seen)
        self.assertLess(out.index("[etcd] Announced new etcd member joining to the existing etcd cluster"),
                        out.index('[etcd] Creating static Pod manifest for "etcd"'))
        self.assertLess(out.index('[etcd] Creating static Pod manifest for "etcd"'),
                        out.index("[etcd] Waiting for the new etcd member to join the cluster. This can take up to "
                                  "40s"))
        self.assertFalse(any(m.get("isLearner") for m in self.etcd_api(cp1, "/v3/cluster/member/list",
                                                                         {})["members"]))
        # the node's certificates name the node (certs/pkiutil: etcd/server and apiserver SANs)
        for cert in ("etcd/server", "apiserver"):
            sans = cp2.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                            cp2.path("/etc/kubernetes/pki/%s.crt" % cert)]).stdout
            self.assertIn("DNS:cp2", sans, cert)
        # wait-control-plane runs after control-plane-join (cmd/join.go)
        self.assertLess(out.index("[mark-control-plane]"), out.index("[control-plane-check]"))
        self.assert_control_plane_check(out, CP2)
        self.assertLess(out.index("[kubelet-start] Starting the kubelet"),
                        out.index("[etcd] Announced new etcd member joining to the existing etcd cluster"))
        self.assertLess(out.index("[etcd] Waiting for the new etcd member to join the cluster"),
                        out.index("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap"))
        self.assertLess(out.index("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap"),
                        out.index("[mark-control-plane]"))
        self.assertIn("server: https://%s:6443" % CP2, cp2.read("/etc/kubernetes/kubelet.conf"))
        self.assertFalse(os.path.exists(cp2.path("/etc/kubernetes/bootstrap-kubelet.conf")))
        self.assertEqual(self.members(cp1), ["cp1", "cp2"])
        self.assertEqual(self.members(cp2), ["cp1", "cp2"])
        # both API servers serve one cluster from the shared etcd
        self.kubectl(cp1, "create", "configmap", "shared", "--from-literal=a=1")
        self.assertIn("shared", self.kubectl(cp2, "get", "configmaps", "-o", "name").stdout)
        nodes = json.loads(self.kubectl(cp2, "get", "nodes", "-o", "json").stdout)["items"]
        self.assertEqual(sorted(n["metadata"]["name"] for n in nodes), ["cp1", "cp2"])
        self.assertIn("node-role.kubernetes.io/control-plane",
                      [n for n in nodes if n["metadata"]["name"] == "cp2"][0]["metadata"]["labels"])
        # each API server lists itself in the "kubernetes" Service's endpoints (lease reconciler)
        svc = json.loads(self.kubectl(cp1, "get", "service", "kubernetes", "-o", "json").stdout)
        self.assertEqual(svc["spec"]["clusterIP"], "10.96.0.1")
        self.wait_api_endpoints(cp1, [CP1, CP2])

        # quorum is real: with one of two members stopped, writes fail
        cp2.run("systemctl stop kubelet")
        cp2.run("crictl rmp etcd")
        lost = self.kubectl(cp1, "create", "configmap", "noquorum", "--from-literal=a=1", check=False)
        self.assertNotEqual(lost.returncode, 0)
        cp2.run("systemctl start kubelet")
        deadline = time.time() + 60
        while self.etcdctl(cp1, "put", "/probe", "x", check=False).returncode != 0:
            self.assertLess(time.time(), deadline, "etcd quorum did not come back")
            time.sleep(0.5)

        reset = cp2.run("kubeadm reset -f", timeout=120)
        self.assertIn("Removed member cp2", reset.stdout, reset.stderr)
        self.assertEqual(self.members(cp1), ["cp1"])
        self.assertFalse(os.path.exists(cp2.path("/etc/kubernetes/manifests/etcd.yaml")))
        self.assertEqual(os.listdir(cp2.path("/var/lib/etcd")), [])
        self.assertEqual(cp2.run("systemctl is-active kubelet", check=False).stdout.strip(), "inactive")
        self.kubectl(cp1, "create", "configmap", "after-reset", "--from-literal=a=1")
        # cp2's API server is gone from the endpoints: its lease removed as it stopped, or expired (15s)
        self.wait_api_endpoints(cp1, [CP1])

    def assert_control_plane_check(self, out, addr):
        self.assertIn("[control-plane-check] Waiting for healthy control plane components. This can take up to "
                      "4m0s\n[control-plane-check] Checking kube-apiserver at https://%s:6443/livez\n"
                      "[control-plane-check] Checking kube-controller-manager at https://127.0.0.1:10257/healthz\n"
                      "[control-plane-check] Checking kube-scheduler at https://127.0.0.1:10259/livez\n" % addr, out)
        for comp in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            self.assertRegex(out, r"\[control-plane-check\] %s is healthy after [0-9.]+(ms|s)\n" % comp)
        self.assertNotIn("[api-check]", out)

    def join_watching_member(self, h, config, cp):
        """Runs h's control-plane join, listing cp's etcd members meanwhile: the states of h's
        member as they were seen, each once ("learner", "voter")."""
        proc = subprocess.Popen(["kubeadm", "join", "--config", config], env=h.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        seen = []
        try:
            while proc.poll() is None:
                try:
                    members = self.etcd_api(cp, "/v3/cluster/member/list", {})["members"]
                except (OSError, http.client.HTTPException, ValueError):
                    members = []
                for m in members:
                    if m.get("peerURLs") == ["https://%s:2380" % h.address]:
                        state = "learner" if m.get("isLearner") else "voter"
                        if not seen or seen[-1] != state:
                            seen.append(state)
                time.sleep(0.05)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, out + err)
        return out, seen

    def test_control_plane_check(self):
        """wait-control-plane with WaitForAllControlPlaneComponents fails when a component does
        not answer: here the scheduler cannot bind its port and keeps exiting, as the real one does
        with "failed to create listener"; the error is the last check's (util/apiclient/wait.go)."""
        cp3 = self.host("cp3", CP3)
        cp3.prepare_kubernetes("1.34")
        cp3.write("/root/kubeadm.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
                  "timeouts:\n  controlPlaneComponentHealthCheck: 8s\n")
        taken = socket.socket()    # bound, not listening, no SO_REUSEADDR: a bind fails, a connect is refused
        taken.bind((CP3, 10259))
        self.addCleanup(taken.close)
        r = cp3.run("kubeadm init --config /root/kubeadm.yaml --ignore-preflight-errors=Port-10259", timeout=180,
                    check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("\t[WARNING Port-10259]: Port 10259 is in use", r.stdout)
        self.assertIn("This can take up to 8s\n", r.stdout)
        self.assertRegex(r.stdout, r"\[control-plane-check\] kube-apiserver is healthy after ")
        self.assertRegex(r.stdout, r"\[control-plane-check\] kube-controller-manager is healthy after ")
        self.assertRegex(r.stdout, r"\[control-plane-check\] kube-scheduler is not healthy after 8\.")
        self.assertIn("- 'crictl --runtime-endpoint unix:///var/run/containerd/containerd.sock ps -a | grep kube | "
                      "grep -v pause'", r.stdout)
        url = "https://127.0.0.1:10259/livez"
        self.assertIn("error execution phase wait-control-plane: failed while waiting for the control plane to "
                      "start: kube-scheduler check failed at %s: Get \"%s\": dial tcp 127.0.0.1:10259: connect: "
                      "connection refused\n" % (url, url), r.stderr)
        self.assertIn("failed to create listener: failed to listen on 127.0.0.1:10259",
                      cp3.read("/var/log/pods/kube-system_kube-scheduler/kube-scheduler.log"))

    def wait_api_endpoints(self, h, want, timeout=45):
        deadline = time.time() + timeout
        while True:
            ep = json.loads(self.kubectl(h, "get", "endpoints", "kubernetes", "-o", "json").stdout)
            got = sorted(a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or [])
            if got == sorted(want):
                break
            self.assertLess(time.time(), deadline, "the kubernetes endpoints are %s, not %s" % (got, want))
            time.sleep(1)
        eps = json.loads(self.kubectl(h, "get", "endpointslice", "kubernetes", "-o", "json").stdout)
        self.assertEqual(sorted(e["addresses"][0] for e in eps["endpoints"]), sorted(want))

    def test_crictl_exec_in_etcd(self):
        """What the etcd image offers through crictl exec: etcdutl's snapshot restore (Debian's 3.4 etcdctl)."""
        cp1 = self.host("cp1", CP1)
        cp1.prepare_kubernetes()
        cp1.run("kubeadm init", timeout=180)
        ids = cp1.run("crictl ps --name '^etcd$' --state running -q").stdout.split()
        self.assertEqual(len(ids), 1, ids)
        self.assertEqual(cp1.run("crictl ps --name '^nothing$' -q").stdout, "")
        self.assertEqual(cp1.run("crictl ps --name '^etcd$' --state exited -q").stdout, "")
        usage = cp1.run("crictl exec %s etcdutl snapshot restore --help" % ids[0]).stdout
        self.assertIn("--initial-cluster-token", usage)
        self.assertNotIn("--bump-revision", usage)
        self.etcdctl(cp1, "snapshot", "save", cp1.path("/var/lib/etcd/s.db"))
        peer = "https://%s:2380" % CP1
        cp1.run("crictl exec %s etcdutl snapshot restore /var/lib/etcd/s.db --name cp1 --initial-cluster cp1=%s "
                "--initial-cluster-token t --initial-advertise-peer-urls %s --data-dir /var/lib/etcd/r"
                % (ids[0], peer, peer))
        self.assertTrue(os.path.isdir(cp1.path("/var/lib/etcd/r/member")))
        unknown = cp1.run("crictl exec %s etcdutl snapshot restore /var/lib/etcd/s.db --bump-revision 10 "
                          "--data-dir /var/lib/etcd/r2" % ids[0], check=False)
        self.assertNotEqual(unknown.returncode, 0)
        self.assertIn("unknown flag: --bump-revision", unknown.stderr)
        shell = cp1.run("crictl exec %s sh -c true" % ids[0], check=False)
        self.assertEqual(shell.returncode, 1)
        self.assertIn('exec: "sh": executable file not found in $PATH', shell.stderr)

    def test_worker_join_and_token(self):
        cp1, w1 = self.host("cp1", CP1), self.host("w1", W1)
        for h in (cp1, w1):
            h.prepare_kubernetes()
        cp1.run("kubeadm init", timeout=180)
        cmd = cp1.run("kubeadm token create --print-join-command").stdout.strip()
        self.assertTrue(cmd.startswith("kubeadm join %s:6443 --token " % CP1), cmd)
        bad = w1.run(re.sub(r"--token \S+", "--token abcdef.0123456789abcdef", cmd), check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn('could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"', bad.stderr)
        endpoint, token, ca_hash = re.match(r"kubeadm join (\S+) --token (\S+) --discovery-token-ca-cert-hash (\S+)",
                                            cmd).groups()
        w1.write("/root/join.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n"
                 "  bootstrapToken:\n    apiServerEndpoint: %s\n    token: %s\n    caCertHashes: [%s]\n"
                 "nodeRegistration:\n  kubeletExtraArgs:\n  - name: node-labels\n    value: tier=edge\n"
                 "  taints:\n  - key: dedicated\n    value: edge\n    effect: NoSchedule\n"
                 % (endpoint, token, ca_hash))
        # kubeadm's kubelet-start phase refuses a name a Ready Node already has (a host that
        # joins again while its old Node still reports Ready); a Node may be created with its status
        cp1.write("/root/node.json", json.dumps({
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": "w1"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}))
        self.kubectl(cp1, "create", "-f", cp1.path("/root/node.json"))
        taken = w1.run("kubeadm join --config /root/join.yaml", timeout=120, check=False)
        self.assertEqual(taken.returncode, 1)
        self.assertIn('a Node with name "w1" and status "Ready" already exists in the cluster', taken.stderr)
        self.kubectl(cp1, "delete", "node", "w1")
        w1.run("kubeadm reset --force")
        out = w1.run("kubeadm join --config /root/join.yaml", timeout=120).stdout
        self.assertIn("This node has joined the cluster", out)
        self.assertTrue(os.path.exists(w1.path("/var/lib/kubelet/pki/kubelet-client-current.pem")))
        self.assertFalse(os.path.exists(w1.path("/etc/kubernetes/bootstrap-kubelet.conf")))
        deadline = time.time() + 30
        while "w1" not in self.kubectl(cp1, "get", "nodes", "-o", "name").stdout:
            self.assertLess(time.time(), deadline, "worker node did not register")
            time.sleep(0.5)
        node = json.loads(self.kubectl(cp1, "get", "node", "w1", "-o", "json").stdout)
        self.assertNotIn("node-role.kubernetes.io/control-plane", node["metadata"]["labels"])
        self.assertIn({"type": "InternalIP", "address": W1}, node["status"]["addresses"])
        # labels and taints reach the node through the kubelet's flags and configuration
        self.assertEqual(node["metadata"]["labels"]["tier"], "edge")
        self.assertIn({"key": "dedicated", "value": "edge", "effect": "NoSchedule"}, node["spec"]["taints"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
