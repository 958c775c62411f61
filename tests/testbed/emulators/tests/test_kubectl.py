"""The real kubectl against the API emulator of a one-master cluster made by kubeadm init."""
import base64
import json
import re
import os
import ssl
import subprocess
import time
import unittest
import urllib.request

import yaml

from harness import FakeHost, address

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = FakeHost("cp1", address(21, 1))
        try:
            cls.h.prepare_kubernetes()
            cls.h.run("kubeadm init --skip-phases=addon/coredns", timeout=180)
        except BaseException:
            cls.h.cleanup()
            raise
        cls.home = cls.h.root + "/kubectl-home"
        os.makedirs(cls.home)

    @classmethod
    def tearDownClass(cls):
        cls.h.cleanup()

    def kubectl(self, *args, check=True, input=None):
        env = dict(os.environ, HOME=self.home, KUBECONFIG=self.h.path("/etc/kubernetes/admin.conf"))
        r = subprocess.run(["kubectl"] + list(args), env=env, capture_output=True, text=True, input=input,
                           timeout=60)
        if check and r.returncode != 0:
            self.fail("kubectl %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def kubectl_minor(self):
        # Debian 12's kubernetes-client is 1.20: older clients lack server-side field
        # validation, print "evicted" where newer ones print "drained", and wait for
        # rollouts differently; the checks below cover the emulator either way.
        out = self.kubectl("version", "--client", "-o", "json").stdout
        return int(re.sub(r"[^0-9]", "", json.loads(out)["clientVersion"]["minor"]))

    def rollout_done(self, kind, name, ns):
        if self.kubectl_minor() >= 25:
            out = self.kubectl("rollout", "status", "%s/%s" % (kind, name), "-n", ns, "--timeout=60s")
            self.assertIn("successfully rolled out", out.stdout)
            return
        deadline = time.time() + 60
        while True:
            st = self.get_json(kind, name, "-n", ns).get("status", {})
            want = st.get("desiredNumberScheduled") if kind == "daemonset" else st.get("replicas")
            have = st.get("numberReady") if kind == "daemonset" else st.get("readyReplicas")
            if want and have == want:
                return
            self.assertLess(time.time(), deadline, "%s/%s did not roll out" % (kind, name))
            time.sleep(0.5)

    def get_json(self, *args):
        return json.loads(self.kubectl("get", "-o", "json", *args).stdout)

    def test_1_apply_crd_and_custom_objects(self):
        manifest = os.path.join(DATA, "crd-and-objects.yaml")
        # kubectl maps every document before creating any, so the custom object's kind is unknown on the
        # first run, exactly as against a real API server
        first = self.kubectl("apply", "-f", manifest, check=False)
        self.assertEqual(first.returncode, 1)
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created", first.stdout)
        self.assertIn('no matches for kind "Widget" in version "example.com/v1"', first.stderr)
        second = self.kubectl("apply", "-f", manifest)
        self.assertIn("widget.example.com/w1 created", second.stdout)
        self.assertIn("namespace/demo unchanged", second.stdout)
        again = self.kubectl("apply", "-f", manifest)
        self.assertIn("widget.example.com/w1 unchanged", again.stdout)
        crd = self.get_json("crd", "widgets.example.com")
        self.assertIn({"type": "Established", "status": "True"},
                      [{k: c[k] for k in ("type", "status")} for c in crd["status"]["conditions"]])
        w = self.get_json("widget", "w1", "-n", "demo")
        self.assertEqual(w["spec"], {"size": 3})
        self.assertEqual(w["metadata"]["labels"], {"tier": "a"})
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", w["metadata"]["annotations"])
        # discovery knows the new group and its short name
        self.assertIn("example.com/v1", self.kubectl("api-versions").stdout)
        self.assertIn("w1", self.kubectl("get", "wd", "-A").stdout)

    def test_1a_protobuf_bodies(self):
        # kubectl's typed clients (create deployment, create pdb...) send protobuf since
        # client-go made it their default; these bodies are kubectl v1.37.2's own
        # (data/protobuf/README.md), POSTed as it does
        self.kubectl("create", "namespace", "proto")
        kc = yaml.safe_load(open(self.h.path("/etc/kubernetes/admin.conf")))
        user = kc["users"][0]["user"]
        pem = os.path.join(self.home, "admin.pem")
        with open(pem, "wb") as f:
            f.write(base64.b64decode(user["client-certificate-data"]) + base64.b64decode(user["client-key-data"]))
        ctx = ssl.create_default_context(cadata=base64.b64decode(
            kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode())
        ctx.load_cert_chain(pem)
        server = kc["clusters"][0]["cluster"]["server"]

        def post(path, name):
            with open(os.path.join(DATA, "protobuf", name + ".pb"), "rb") as f:
                req = urllib.request.Request(server + path, data=f.read(), method="POST", headers={
                    "Content-Type": "application/vnd.kubernetes.protobuf",
                    "Accept": "application/vnd.kubernetes.protobuf, */*"})
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                self.assertEqual(r.status, 201)

        post("/apis/apps/v1/namespaces/proto/deployments", "deployment")
        post("/apis/apps/v1/namespaces/proto/deployments", "deployment-zero")
        post("/apis/policy/v1/namespaces/proto/poddisruptionbudgets", "pdb-min")
        post("/api/v1/namespaces/proto/configmaps", "configmap")
        d = self.get_json("deployment", "web", "-n", "proto")
        self.assertEqual(d["spec"]["replicas"], 2)
        c = d["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual((c["image"], c["command"]), ("docker.io/library/busybox:1.36", ["sleep", "3600"]))
        # the defaults the real server fills in where kubectl sends nothing or "strategy": {}
        self.assertEqual(d["spec"]["strategy"], {"type": "RollingUpdate",
                                                 "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        self.assertEqual((c["ports"], c["imagePullPolicy"], c["terminationMessagePolicy"]),
                         ([{"containerPort": 8080, "protocol": "TCP"}], "IfNotPresent", "File"))
        self.assertEqual(self.get_json("deployment", "idle", "-n", "proto")["spec"]["replicas"], 0)
        self.assertEqual(self.get_json("pdb", "web", "-n", "proto")["spec"]["minAvailable"], "50%")
        self.assertEqual(self.get_json("configmap", "conf", "-n", "proto")["data"], {"a": "1", "b": ""})
        self.kubectl("delete", "namespace", "proto", "--wait=false")

    def test_1b_custom_resource_schema(self):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "gadgets.example.com"},
               "spec": {"group": "example.com", "scope": "Cluster",
                        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                            "type": "object", "properties": {"spec": {"type": "object", "properties": {
                                "size": {"type": "integer"}}}}}}}]}}
        self.kubectl("apply", "-f", "-", input=json.dumps(crd))
        obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"},
               "spec": {"size": 1, "colour": "red"}}
        if self.kubectl_minor() >= 25:
            r = self.kubectl("apply", "-f", "-", input=json.dumps(obj), check=False)
        else:
            # from a file: kubectl 1.20 sends stdin chunked, which the emulator does not read
            body = os.path.join(self.home, "gadget.json")
            with open(body, "w") as f:
                json.dump(obj, f)
            r = self.kubectl("create", "--raw", "/apis/example.com/v1/gadgets?fieldValidation=Strict", "-f", body,
                             check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('strict decoding error: unknown field "spec.colour"', r.stderr)
        # without strict validation the API server prunes what the schema does not declare
        self.kubectl("apply", "--validate=false", "-f", "-", input=json.dumps(obj))
        self.assertEqual(self.get_json("gadget", "g1")["spec"], {"size": 1})
        bad = dict(crd, metadata={"name": "wrong.example.com"})
        r = self.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
        self.assertIn('must be spec.names.plural+"."+spec.group', r.stderr)

    def test_2_label_selectors_and_patches(self):
        self.kubectl("create", "configmap", "sel", "-n", "default", "--from-literal=a=1")
        self.kubectl("label", "configmap", "sel", "-n", "default", "env=prod", "team=x")
        cm = self.get_json("configmap", "sel", "-n", "default")
        self.assertEqual(cm["metadata"]["labels"], {"env": "prod", "team": "x"})
        names = [i["metadata"]["name"] for i in self.get_json("configmaps", "-A", "-l", "env in (prod),team")["items"]]
        self.assertEqual(names, ["sel"])
        self.assertEqual(self.get_json("configmaps", "-A", "-l", "env=dev")["items"], [])
        fs = self.get_json("configmaps", "-A", "--field-selector", "metadata.name=sel,metadata.namespace=default")
        self.assertEqual([i["metadata"]["name"] for i in fs["items"]], ["sel"])
        bad = self.kubectl("get", "configmaps", "--field-selector", "spec.nodeName=x", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("field label not supported: spec.nodeName", bad.stderr)
        self.kubectl("patch", "configmap", "sel", "-n", "default", "--type", "merge", "-p",
                     '{"data":{"b":"2","a":null}}')
        self.assertEqual(self.get_json("configmap", "sel", "-n", "default")["data"], {"b": "2"})
        self.kubectl("create", "deployment", "web", "-n", "default", "--image=nginx:1.25")
        self.kubectl("patch", "deployment", "web", "-n", "default", "-p",
                     '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"A","value":"1"}]}]}}}}')
        dep = self.get_json("deployment", "web", "-n", "default")
        c = dep["spec"]["template"]["spec"]["containers"]
        self.assertEqual(len(c), 1)
        self.assertEqual((c[0]["image"], c[0]["env"]), ("nginx:1.25", [{"name": "A", "value": "1"}]))
        self.assertEqual(dep["metadata"]["generation"], 2)
        self.kubectl("patch", "deployment", "web", "-n", "default", "--type", "json", "-p",
                     '[{"op":"replace","path":"/spec/replicas","value":3}]')
        self.assertEqual(self.get_json("deployment", "web", "-n", "default")["spec"]["replicas"], 3)

    def test_3_conflict_on_stale_resource_version(self):
        self.kubectl("create", "configmap", "rv", "-n", "default", "--from-literal=a=1")
        stale = self.get_json("configmap", "rv", "-n", "default")
        self.kubectl("label", "configmap", "rv", "-n", "default", "x=y")
        stale["data"]["a"] = "2"
        r = self.kubectl("replace", "-f", "-", input=json.dumps(stale), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("the object has been modified; please apply your changes to the latest version", r.stderr)
        fresh = self.get_json("configmap", "rv", "-n", "default")
        self.assertEqual(fresh["data"]["a"], "1")
        self.assertGreater(int(fresh["metadata"]["resourceVersion"]), int(stale["metadata"]["resourceVersion"]))

    def test_4_node_registered_by_kubelet(self):
        node = self.get_json("node", "cp1")
        labels = node["metadata"]["labels"]
        self.assertEqual(labels["kubernetes.io/hostname"], "cp1")
        self.assertIn("node-role.kubernetes.io/control-plane", labels)
        self.assertIn({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}, node["spec"]["taints"])
        self.assertIn({"type": "InternalIP", "address": address(21, 1)}, node["status"]["addresses"])
        self.assertEqual(node["status"]["nodeInfo"]["kubeletVersion"], "v1.31.14")
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"][0]
        # no CNI configuration yet: the kubelet reports the network as not ready, like the real one
        self.assertEqual((ready["status"], ready["reason"]), ("False", "KubeletNotReady"))
        self.h.write("/etc/cni/net.d/10-test.conflist", '{"cniVersion":"1.0.0","name":"t","plugins":[]}')
        self.h.run("systemctl restart kubelet")
        self.assertTrue(self.wait_ready("True"), "node did not become Ready")
        pods = self.get_json("pods", "-n", "kube-system")
        self.assertIn("etcd-cp1", [p["metadata"]["name"] for p in pods["items"]])
        # server-side printing: upstream's node columns, the priority-1 ones only at -o wide
        self.assertEqual(self.kubectl("get", "nodes").stdout.split("\n")[0].split(),
                         ["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
        wide = self.kubectl("get", "nodes", "-o", "wide").stdout.splitlines()
        self.assertEqual(wide[0].split(), ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                           "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"])
        info = node["status"]["nodeInfo"]
        row = wide[1]
        self.assertEqual(row.split()[:3] + row.split()[4:7],
                         ["cp1", "Ready", "control-plane", "v1.31.14", address(21, 1), "<none>"])
        for cell in (info["osImage"], info["kernelVersion"], info["containerRuntimeVersion"]):
            self.assertIn(cell, row)

    def wait_ready(self, want, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            node = self.get_json("node", "cp1")
            if [c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"] == [want]:
                return True
            time.sleep(0.5)
        return False

    def test_5_cordon_drain_and_eviction(self):
        self.kubectl("create", "namespace", "apps")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "apps",
                                                                "labels": {"app": "p"}},
               "spec": {"nodeName": "cp1", "containers": [{"name": "c", "image": "busybox"}]}}
        self.kubectl("apply", "-f", "-", input=json.dumps(pod))
        pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "b", "namespace": "apps"},
               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "p"}}}}
        self.kubectl("apply", "-f", "-", input=json.dumps(pdb))
        deadline = time.time() + 20
        while self.get_json("pod", "p1", "-n", "apps")["status"].get("phase") != "Running":
            self.assertLess(time.time(), deadline, "kubelet did not run the pod")
            time.sleep(0.3)
        self.kubectl("cordon", "cp1")
        self.assertTrue(self.get_json("node", "cp1")["spec"]["unschedulable"])
        # the disruption budget blocks the eviction, so drain times out
        blocked = self.kubectl("drain", "cp1", "--force", "--ignore-daemonsets", "--timeout=3s", check=False)
        self.assertNotEqual(blocked.returncode, 0)
        self.assertIn("Cannot evict pod as it would violate the pod's disruption budget", blocked.stdout + blocked.stderr)
        self.kubectl("delete", "pdb", "b", "-n", "apps")
        out = self.kubectl("drain", "cp1", "--force", "--ignore-daemonsets", "--timeout=30s")
        self.assertIn("pod/p1 evicted", out.stdout)
        self.assertRegex(out.stdout, r"node/cp1 (drained|evicted)")
        self.assertEqual(self.get_json("pods", "-n", "apps")["items"], [])
        self.kubectl("uncordon", "cp1")
        self.assertNotIn("unschedulable", self.get_json("node", "cp1")["spec"])

    def test_6_delete(self):
        manifest = os.path.join(DATA, "crd-and-objects.yaml")
        self.kubectl("apply", "-f", manifest, check=False)
        self.kubectl("apply", "-f", manifest)
        self.kubectl("delete", "-f", manifest, "--ignore-not-found")
        self.assertNotIn("demo", [n["metadata"]["name"] for n in self.get_json("namespaces")["items"]])
        self.assertNotIn("widgets.example.com", [c["metadata"]["name"] for c in self.get_json("crd")["items"]])
        r = self.kubectl("get", "widgets", "-A", check=False)
        self.assertNotEqual(r.returncode, 0)
        gone = self.kubectl("delete", "namespace", "kube-system", check=False)
        self.assertIn("forbidden", gone.stderr)

    def test_7_health_version_and_auth(self):
        self.assertEqual(self.kubectl("get", "--raw", "/readyz").stdout, "ok")
        version = json.loads(self.kubectl("get", "--raw", "/version").stdout)
        self.assertEqual(version["gitVersion"], "v1.31.14")
        # no client certificate: anonymous requests are refused outside the public endpoints
        r = subprocess.run(["curl", "-sk", "https://" + address(21, 1) + ":6443/api/v1/namespaces"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(json.loads(r.stdout)["code"], 401)
        r = subprocess.run(["curl", "-sk", "https://" + address(21, 1) + ":6443/api/v1/namespaces/kube-public/configmaps/"
                            "cluster-info"], capture_output=True, text=True, timeout=10)
        self.assertIn("jws-kubeconfig-", r.stdout)

    def test_7b_injected_faults(self):
        fault = self.h.path("/var/lib/pharos-testbed/apiserver-fault.json")
        try:
            with open(fault, "w") as f:
                json.dump({"code": 503, "count": 2, "user": "kubernetes-admin"}, f)
            for _ in range(2):
                r = self.kubectl("get", "--raw", "/api/v1/namespaces/default", check=False)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("the server is currently unable to handle the request", r.stderr)
            self.kubectl("get", "--raw", "/api/v1/namespaces/default")
            with open(fault, "w") as f:
                json.dump({"code": 504, "delay": 1, "user": "kubernetes-admin"}, f)
            t0 = time.time()
            r = self.kubectl("get", "--raw", "/api/v1/namespaces/default", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertGreaterEqual(time.time() - t0, 1)
            self.assertIn("Timeout: request did not complete within requested timeout", r.stderr)
            # another client (the kubelet, the controllers) is not the one the fault names
            with open(fault, "w") as f:
                json.dump({"code": 500, "user": "someone-else"}, f)
            self.kubectl("get", "--raw", "/api/v1/namespaces/default")
            with open(fault, "w") as f:
                json.dump({"code": 500, "path": "/api/v1/namespaces/kube-system/"}, f)
            self.kubectl("get", "--raw", "/api/v1/namespaces/default")
            r = self.kubectl("get", "--raw", "/api/v1/namespaces/kube-system/configmaps", check=False)
            self.assertIn("Internal error occurred: etcdserver: request timed out", r.stderr)
        finally:
            os.unlink(fault)
        self.kubectl("get", "--raw", "/api/v1/namespaces/default")

    def test_8_kubelet_stop_marks_node_not_ready(self):
        self.h.write("/etc/cni/net.d/10-test.conflist", '{"cniVersion":"1.0.0","name":"t","plugins":[]}')
        self.h.run("systemctl restart kubelet")
        self.assertTrue(self.wait_ready("True"))
        self.h.run("systemctl stop kubelet")
        self.assertEqual(self.h.run("systemctl is-active kubelet", check=False).stdout.strip(), "inactive")
        self.assertTrue(self.wait_ready("Unknown"))
        # the static pods keep running without the kubelet, as containers do
        self.assertEqual(self.kubectl("get", "--raw", "/healthz").stdout, "ok")
        self.h.run("systemctl start kubelet")
        self.assertTrue(self.wait_ready("True"))


    def test_9_controllers_scheduler_and_network_plugin(self):
        # the network configuration must now come from the plugin's pod
        test_conf = self.h.path("/etc/cni/net.d/10-test.conflist")
        if os.path.exists(test_conf):
            os.unlink(test_conf)
        ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
              "metadata": {"name": "calico-node", "namespace": "kube-system"},
              "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}},
                       "template": {"metadata": {"labels": {"k8s-app": "calico-node"}},
                                    "spec": {"tolerations": [{"operator": "Exists"}],
                                             "containers": [{"name": "calico-node",
                                                             "image": "docker.io/calico/node:v3.28.0"}]}}}}
        self.kubectl("apply", "-f", "-", input=json.dumps(ds))
        self.rollout_done("daemonset", "calico-node", "kube-system")
        self.assertTrue(os.path.exists(self.h.path("/etc/cni/net.d/10-calico.conflist")))
        self.assertTrue(self.wait_ready("True"))
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "default"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                        "template": {"metadata": {"labels": {"app": "api"}},
                                     "spec": {"tolerations": [{"key": "node-role.kubernetes.io/control-plane",
                                                               "operator": "Exists", "effect": "NoSchedule"}],
                                              "containers": [{"name": "api", "image": "nginx:1.25"}]}}}}
        self.kubectl("apply", "-f", "-", input=json.dumps(dep))
        self.rollout_done("deployment", "api", "default")
        pods = self.get_json("pods", "-n", "default", "-l", "app=api")["items"]
        self.assertEqual([p["spec"]["nodeName"] for p in pods], ["cp1", "cp1"])
        self.assertEqual(pods[0]["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet")
        # a pod nothing tolerates stays pending
        self.kubectl("run", "pending", "-n", "default", "--image=busybox")
        time.sleep(3)
        self.assertNotIn("nodeName", self.get_json("pod", "pending", "-n", "default")["spec"])
        # garbage collection follows owner references
        self.kubectl("delete", "deployment", "api", "-n", "default")
        deadline = time.time() + 30
        while self.get_json("pods", "-n", "default", "-l", "app=api")["items"]:
            self.assertLess(time.time(), deadline, "pods of a deleted deployment remain")
            time.sleep(0.5)
        self.assertIn("ca.crt", self.get_json("configmap", "kube-root-ca.crt", "-n", "default")["data"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
