"""kube-controller-manager and kube-scheduler emulators (run from their static pod manifests).

Reconciliation by periodic listing: DaemonSets, Deployments and ReplicaSets
make pods, the scheduler binds pending pods to nodes whose taints they
tolerate, the node lifecycle controller keeps the not-ready taint in step
with the Ready condition, and the garbage collector removes objects whose
controlling owner is gone. Leader election uses Leases, so with several
masters one instance of each is active, as in a real cluster.
"""
import datetime
import hashlib
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse

from . import host, kubeclient

NOT_READY = "node.kubernetes.io/not-ready"


def now(micro=False):
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.datetime.now(datetime.timezone.utc).strftime(fmt)


def template_hash(template):
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def tolerates(tolerations, taint):
    if taint.get("effect") == "PreferNoSchedule":
        return True
    for t in tolerations or []:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def fits(pod_spec, node, daemon=False):
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    if node.get("spec", {}).get("unschedulable") and not daemon:
        return False
    tolerations = list(pod_spec.get("tolerations") or [])
    if daemon:
        # the DaemonSet controller adds these tolerations to every daemon pod
        tolerations += [{"key": NOT_READY, "operator": "Exists"},
                        {"key": "node.kubernetes.io/unreachable", "operator": "Exists"},
                        {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]
    return all(tolerates(tolerations, t) for t in node.get("spec", {}).get("taints") or [])


def pod_ready(p):
    return p.get("status", {}).get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in p.get("status", {}).get("conditions") or [])


def controller_of(obj):
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_ref(owner, kind, api_version="apps/v1"):
    return {"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


class Base:
    lease = None

    def __init__(self, kubeconfig):
        self.c = kubeclient.Client.from_kubeconfig(kubeconfig)
        self.identity = "%s_%s" % (socket.gethostname(), os.getpid())
        self.stopping = False

    def leader(self):
        path = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
        spec = {"holderIdentity": self.identity, "leaseDurationSeconds": 15, "renewTime": now(True)}
        try:
            cur = self.c.get(path + "/" + self.lease)
        except kubeclient.APIError as e:
            if e.code != 404:
                return False
            try:
                self.c.create(path, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                     "metadata": {"name": self.lease, "namespace": "kube-system"}, "spec": spec})
                return True
            except kubeclient.APIError:
                return False
        held = cur.get("spec", {})
        if held.get("holderIdentity") != self.identity:
            renewed = held.get("renewTime", "")[:19]
            age = (datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.strptime(
                renewed, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)).total_seconds() \
                if renewed else 1e9
            if age < held.get("leaseDurationSeconds", 15):
                return False
        cur["spec"] = spec
        try:
            self.c.request("PUT", path + "/" + self.lease, cur)
            return True
        except kubeclient.APIError:
            return False

    def items(self, path):
        return self.c.get(path).get("items") or []

    def run(self):
        signal.signal(signal.SIGTERM, lambda *a: setattr(self, "stopping", True))
        while not self.stopping:
            try:
                if self.leader():
                    self.reconcile()
            except (kubeclient.APIError, OSError, KeyError, ValueError) as e:
                sys.stderr.write("E %s] %s\n" % (self.lease, e))
            for _ in range(10):
                if self.stopping:
                    break
                time.sleep(0.1)
        return 0


class ControllerManager(Base):
    lease = "kube-controller-manager"
    secure_port = 10257    # KubeControllerManagerPort

    def reconcile(self):
        nodes = self.items("/api/v1/nodes")
        pods = self.items("/api/v1/pods")
        self.node_lifecycle(nodes)
        self.garbage_collect(pods)
        for ds in self.items("/apis/apps/v1/daemonsets"):
            self.daemonset(ds, nodes, pods)
        rss = self.items("/apis/apps/v1/replicasets")
        for d in self.items("/apis/apps/v1/deployments"):
            self.deployment(d, rss)
        for rs in self.items("/apis/apps/v1/replicasets"):
            self.replicaset(rs, pods)
        self.root_ca()

    def node_lifecycle(self, nodes):
        for n in nodes:
            ready = [c.get("status") for c in n.get("status", {}).get("conditions") or [] if c["type"] == "Ready"]
            taints = n.get("spec", {}).get("taints") or []
            has = any(t.get("key") == NOT_READY for t in taints)
            want = ready != ["True"]
            if want == has:
                continue
            if want:
                taints = taints + [{"key": NOT_READY, "effect": "NoSchedule"}]
            else:
                taints = [t for t in taints if t.get("key") != NOT_READY]
            n.setdefault("spec", {})["taints"] = taints
            try:
                self.c.request("PUT", "/api/v1/nodes/" + n["metadata"]["name"], n)
            except kubeclient.APIError:
                pass

    def garbage_collect(self, pods):
        """Deletes pods and ReplicaSets whose controlling owner no longer exists (background propagation)."""
        owners = {}
        for path in ("/apis/apps/v1/daemonsets", "/apis/apps/v1/replicasets", "/apis/apps/v1/deployments",
                     "/apis/apps/v1/statefulsets", "/apis/batch/v1/jobs"):
            for o in self.items(path):
                owners[o["metadata"]["uid"]] = o
        nodes = {n["metadata"]["name"] for n in self.items("/api/v1/nodes")}
        for kind, objs, base in (("Pod", pods, "/api/v1/namespaces/%s/pods/%s"),
                                 ("ReplicaSet", self.items("/apis/apps/v1/replicasets"),
                                  "/apis/apps/v1/namespaces/%s/replicasets/%s")):
            for o in objs:
                ref = controller_of(o)
                if not ref or ref.get("kind") == "Node" and ref.get("name") in nodes:
                    continue
                if ref.get("kind") == "Node" or ref.get("uid") not in owners:
                    try:
                        self.c.request("DELETE", base % (o["metadata"]["namespace"], o["metadata"]["name"]))
                    except kubeclient.APIError:
                        pass

    def daemonset(self, ds, nodes, pods):
        md, spec = ds["metadata"], ds.get("spec") or {}
        tmpl = spec.get("template") or {}
        h = template_hash(tmpl)
        mine = [p for p in pods if (controller_of(p) or {}).get("uid") == md["uid"]]
        eligible = [n for n in nodes if fits(tmpl.get("spec") or {}, n, daemon=True)]
        names = {n["metadata"]["name"] for n in eligible}
        base = "/api/v1/namespaces/%s/pods" % md["namespace"]
        for p in mine:
            stale = p["metadata"].get("labels", {}).get("controller-revision-hash") != h
            if p.get("spec", {}).get("nodeName") not in names or stale:
                self.c.request("DELETE", base + "/" + p["metadata"]["name"])
        current = {p["spec"].get("nodeName") for p in mine
                   if p["metadata"].get("labels", {}).get("controller-revision-hash") == h}
        for n in eligible:
            if n["metadata"]["name"] in current:
                continue
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"generateName": md["name"] + "-", "namespace": md["namespace"],
                                "labels": dict((tmpl.get("metadata") or {}).get("labels") or {},
                                               **{"controller-revision-hash": h}),
                                "annotations": (tmpl.get("metadata") or {}).get("annotations") or {},
                                "ownerReferences": [owner_ref(ds, "DaemonSet")]},
                   "spec": dict(tmpl.get("spec") or {}, nodeName=n["metadata"]["name"])}
            self.c.create(base, pod)
        fresh = [p for p in mine if p["spec"].get("nodeName") in names
                 and p["metadata"].get("labels", {}).get("controller-revision-hash") == h]
        ready = len([p for p in fresh if pod_ready(p)])
        status = {"desiredNumberScheduled": len(eligible), "currentNumberScheduled": len(fresh),
                  "numberMisscheduled": 0, "numberReady": ready, "updatedNumberScheduled": len(fresh),
                  "numberAvailable": ready, "numberUnavailable": len(eligible) - ready,
                  "observedGeneration": md.get("generation", 1)}
        self.set_status("/apis/apps/v1/namespaces/%s/daemonsets/%s" % (md["namespace"], md["name"]), ds, status)

    def set_status(self, path, obj, status):
        old = obj.get("status") or {}
        if all(old.get(k) == v for k, v in status.items()):
            return
        self.c.merge_patch(path + "/status", {"status": status})

    def deployment(self, d, rss):
        md, spec = d["metadata"], d.get("spec") or {}
        tmpl = spec.get("template") or {}
        h = template_hash(tmpl)
        mine = [r for r in rss if (controller_of(r) or {}).get("uid") == md["uid"]]
        base = "/apis/apps/v1/namespaces/%s/replicasets" % md["namespace"]
        want = spec.get("replicas", 1)
        current = [r for r in mine if r["metadata"].get("labels", {}).get("pod-template-hash") == h]
        for r in mine:
            if r not in current and r.get("spec", {}).get("replicas"):
                self.c.merge_patch(base + "/" + r["metadata"]["name"], {"spec": {"replicas": 0}})
        if not current:
            labels = dict((tmpl.get("metadata") or {}).get("labels") or {}, **{"pod-template-hash": h})
            sel = json.loads(json.dumps(spec.get("selector") or {}))
            sel.setdefault("matchLabels", {})["pod-template-hash"] = h
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": "%s-%s" % (md["name"], h), "namespace": md["namespace"], "labels": labels,
                               "ownerReferences": [owner_ref(d, "Deployment")]},
                  "spec": {"replicas": want, "selector": sel,
                           "template": dict(tmpl, metadata=dict(tmpl.get("metadata") or {}, labels=labels))}}
            self.c.create(base, rs)
            return
        rs = current[0]
        if rs["spec"].get("replicas") != want:
            self.c.merge_patch(base + "/" + rs["metadata"]["name"], {"spec": {"replicas": want}})
        st = rs.get("status") or {}
        ready = st.get("readyReplicas", 0)
        total = sum((r.get("status") or {}).get("replicas", 0) for r in mine)
        status = {"observedGeneration": md.get("generation", 1), "replicas": total,
                  "updatedReplicas": st.get("replicas", 0), "readyReplicas": ready, "availableReplicas": ready,
                  "unavailableReplicas": max(want - ready, 0),
                  "conditions": [{"type": "Available", "status": "True" if ready >= want else "False",
                                  "reason": "MinimumReplicasAvailable" if ready >= want else
                                  "MinimumReplicasUnavailable"},
                                 {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"
                                  if ready >= want else "ReplicaSetUpdated"}]}
        self.set_status("/apis/apps/v1/namespaces/%s/deployments/%s" % (md["namespace"], md["name"]), d, status)

    def replicaset(self, rs, pods):
        md, spec = rs["metadata"], rs.get("spec") or {}
        mine = [p for p in pods if (controller_of(p) or {}).get("uid") == md["uid"]
                and not p["metadata"].get("deletionTimestamp")]
        want = spec.get("replicas", 1)
        base = "/api/v1/namespaces/%s/pods" % md["namespace"]
        for p in mine[want:]:
            self.c.request("DELETE", base + "/" + p["metadata"]["name"])
        tmpl = spec.get("template") or {}
        for _ in range(want - len(mine)):
            self.c.create(base, {"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"generateName": md["name"] + "-", "namespace": md["namespace"],
                                              "labels": (tmpl.get("metadata") or {}).get("labels") or {},
                                              "ownerReferences": [owner_ref(rs, "ReplicaSet")]},
                                 "spec": tmpl.get("spec") or {}})
        kept = mine[:want]
        ready = len([p for p in kept if pod_ready(p)])
        self.set_status("/apis/apps/v1/namespaces/%s/replicasets/%s" % (md["namespace"], md["name"]), rs,
                        {"replicas": len(kept), "readyReplicas": ready, "availableReplicas": ready,
                         "observedGeneration": md.get("generation", 1)})

    def root_ca(self):
        """The root CA publisher: kube-root-ca.crt in every namespace."""
        ca = None
        for ns in self.items("/api/v1/namespaces"):
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                continue
            try:
                self.c.get("/api/v1/namespaces/%s/configmaps/kube-root-ca.crt" % name)
                continue
            except kubeclient.APIError as e:
                if e.code != 404:
                    continue
            if ca is None:
                ca = self.client_ca()
            try:
                self.c.create("/api/v1/namespaces/%s/configmaps" % name, {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kube-root-ca.crt", "namespace": name}, "data": {"ca.crt": ca}})
            except kubeclient.APIError:
                pass

    def client_ca(self):
        cm = self.c.get("/api/v1/namespaces/kube-public/configmaps/cluster-info")
        import base64
        import yaml
        cfg = yaml.safe_load(cm["data"]["kubeconfig"])
        return base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


class Scheduler(Base):
    secure_port = 10259    # KubeSchedulerPort
    lease = "kube-scheduler"

    def reconcile(self):
        pending = self.items("/api/v1/pods?fieldSelector=" + urllib.parse.quote("spec.nodeName="))
        if not pending:
            return
        nodes = self.items("/api/v1/nodes")
        load = {}
        for p in self.items("/api/v1/pods"):
            n = p.get("spec", {}).get("nodeName")
            if n:
                load[n] = load.get(n, 0) + 1
        for p in pending:
            spec = p.get("spec") or {}
            if spec.get("schedulerName", "default-scheduler") != "default-scheduler":
                continue
            fit = [n for n in nodes if fits(spec, n)]
            md = p["metadata"]
            if not fit:
                self.c.merge_patch("/api/v1/namespaces/%s/pods/%s/status" % (md["namespace"], md["name"]), {
                    "status": {"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                               "message": "0/%d nodes are available." % len(nodes)}]}})
                continue
            target = min(fit, key=lambda n: (load.get(n["metadata"]["name"], 0), n["metadata"]["name"]))
            name = target["metadata"]["name"]
            self.c.create("/api/v1/namespaces/%s/pods/%s/binding" % (md["namespace"], md["name"]), {
                "apiVersion": "v1", "kind": "Binding", "metadata": {"name": md["name"], "namespace": md["namespace"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": name}})
            load[name] = load.get(name, 0) + 1


def self_signed(addr):
    """An in-memory serving certificate, as the components make when given no --tls-cert-file
    (written to a private temporary directory only because ssl loads files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "%s@%d" % (addr, int(time.time())))])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as d:
        with open(d + "/tls.crt", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(d + "/tls.key", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        ctx.load_cert_chain(d + "/tls.crt", d + "/tls.key")
    return ctx


def serve_health(opts, default_port, own_addr):
    """The components' secure serving: --bind-address (default 0.0.0.0) and --secure-port
    (0 disables it). /healthz, /livez and /readyz answer "ok" to anyone (their default
    --authorization-always-allow-paths); other paths need credentials the emulator does not
    check, so they are refused. The hosts share the machine's network: loopback and the
    unspecified address are the host's own address."""
    bind = opts.get("bind-address") or "0.0.0.0"
    port = int(opts.get("secure-port") or default_port)
    if port == 0:
        return None
    listen = own_addr if bind in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::") else bind

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path.rstrip("/")
            ok = any(path == p or path.startswith(p + "/") for p in ("/healthz", "/livez", "/readyz"))
            body = b"ok" if ok else b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden",' \
                                    b'"code":403}'
            self.send_response(200 if ok else 403)
            self.send_header("Content-Type", "text/plain; charset=utf-8" if ok else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            conn, peer = super().get_request()
            # the TLS handshake on the request's thread, not the accepting one
            return ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False), peer

    ctx = self_signed(bind)
    family = socket.AF_INET6 if ":" in listen else socket.AF_INET
    Server.address_family = family
    try:
        srv = Server((listen, port), H)
    except OSError as e:
        sys.stderr.write("Error: failed to create listener: failed to listen on %s:%d: listen tcp %s:%d: bind: %s\n"
                         % (bind, port, bind, port, (e.strerror or str(e)).lower()))
        return False
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main(argv, cls):
    # the host's address before the root is cleared (the arguments are machine paths already)
    own_addr = host.address()
    os.environ["PHAROS_TESTBED_ROOT"] = ""
    opts = {}
    for a in argv:
        k, _, v = a.lstrip("-").partition("=")
        opts[k] = v
    kubeconfig = opts.get("kubeconfig")
    if not kubeconfig:
        sys.stderr.write("--kubeconfig is required\n")
        return 1
    if serve_health(opts, cls.secure_port, own_addr) is False:
        return 1
    while True:
        try:
            return cls(kubeconfig).run()
        except (kubeclient.APIError, OSError) as e:
            sys.stderr.write("waiting for the API server: %s\n" % e)
            time.sleep(1)
