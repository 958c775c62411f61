"""kubelet emulator: runs static pods, TLS-bootstraps, registers its Node and keeps it Ready."""
import base64
import copy
import datetime
import glob
import hashlib
import http.server
import json
import os
import platform
import re
import signal
import socket
import stat
import sys
import threading
import time

import yaml

from . import containers, host, hosttools, kubeadm_config, kubeclient, pkgdb, pki

BOOL_FLAGS = {"fail-swap-on", "rotate-certificates", "register-node", "exit-on-lock-contention",
              "enable-server", "cgroups-per-qos", "protect-kernel-defaults", "serialize-image-pulls",
              "enable-controller-attach-detach", "make-iptables-util-chains", "fail-cgroupv1", "version", "help"}
VALUE_FLAGS = {"config", "kubeconfig", "bootstrap-kubeconfig", "container-runtime-endpoint", "node-ip",
               "hostname-override", "node-labels", "register-with-taints", "pod-infra-container-image",
               "cgroup-driver", "max-pods", "cluster-dns", "cluster-domain", "v", "resolv-conf", "root-dir",
               "cert-dir", "runtime-request-timeout", "kube-reserved", "system-reserved", "eviction-hard",
               "feature-gates", "cloud-provider", "provider-id", "image-service-endpoint", "address", "port",
               "healthz-port", "healthz-bind-address", "read-only-port", "volume-plugin-dir", "pod-manifest-path",
               "log-file", "lock-file", "node-status-update-frequency", "image-gc-high-threshold",
               "image-gc-low-threshold", "seccomp-default", "tls-cert-file", "tls-private-key-file",
               "authorization-mode", "client-ca-file", "anonymous-auth", "kubelet-cgroups", "system-cgroups",
               "runtime-cgroups", "pod-cidr", "allowed-unsafe-sysctls", "topology-manager-policy",
               "cpu-manager-policy", "reserved-cpus", "log-file-max-size", "logtostderr", "cpu-cfs-quota-period"}


CNI_IMAGES = re.compile(r"/(calico|weave|cilium|flannel|kube-router|kube-ovn|antrea)[-/](?:node|kube|cilium|"
                        r"flannel|kube-router|kube-ovn|antrea-agent|agent)?")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fail(msg):
    sys.stderr.write("E%s kubelet] %s\n" % (time.strftime("%m%d %H:%M:%S"), msg))
    sys.exit(1)


def duration(text):
    """Seconds of a Go duration ("50ms", "1m30s")."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


def parse_flags(argv):
    flags = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("--"):
            fail('unknown command "%s" for "kubelet"' % a)
        k, eq, v = a[2:].partition("=")
        if k in BOOL_FLAGS:
            flags[k] = v if eq else "true"
        elif k in VALUE_FLAGS:
            if not eq:
                i += 1
                if i >= len(argv):
                    fail("flag needs an argument: --" + k)
                v = argv[i]
            flags[k] = v
        else:
            fail("unknown flag: --" + k)
        i += 1
    return flags


class Kubelet:
    def __init__(self, flags):
        self.flags = flags
        self.stopping = False
        self.version = "v" + (pkgdb.installed_version("kubelet") or "1.31.0").split("-")[0]
        self.name = (flags.get("hostname-override") or host.hostname()).lower()
        self.config = {}
        if flags.get("config"):
            text = host.read(flags["config"])
            if text is None:
                fail("\"command failed\" err=\"failed to load kubelet config file, path: %s, error: failed to load "
                     "Kubelet config file %s, error failed to read kubelet config file \\\"%s\\\", error: open %s: "
                     "no such file or directory\"" % ((flags["config"],) * 4))
            try:
                by_kind, warnings = kubeadm_config.validate(text, strict=False)
            except kubeadm_config.ConfigError as e:
                fail("\"command failed\" err=\"failed to load kubelet config file, path: %s, error: %s\""
                     % (flags["config"], e))
            for w in warnings:
                sys.stderr.write("W kubelet] %s\n" % w)
            self.config = by_kind.get("KubeletConfiguration") or {}
        self.node_ip = flags.get("node-ip") or host.address()
        self.endpoint = (flags.get("container-runtime-endpoint") or self.config.get("containerRuntimeEndpoint")
                         or "unix:///run/containerd/containerd.sock")
        self.static_dir = flags.get("pod-manifest-path") or self.config.get("staticPodPath")
        self.client = None
        self.registered = False
        self.last_status = 0
        # static pod files parsed, by path: (stat key, time parsed, pod). The loop looks every
        # second; a file is parsed again when it changed, and at least as often as the real
        # kubelet's fileCheckFrequency (20s), for a rewrite the stat key cannot tell apart.
        self.parsed = {}

    def minor(self):
        return tuple(int(x) for x in self.version.lstrip("v").split(".")[:2])

    # ----- checks a real kubelet makes before it does anything -----
    def validate(self):
        """ValidateKubeletConfiguration's cgroup v1 rule (pkg/kubelet/apis/config/validation/validation_linux.go);
        failCgroupV1 defaults to true from 1.35 on (pkg/kubelet/apis/config/v1beta1/defaults.go)."""
        if "pod-infra-container-image" in self.flags and self.minor() >= (1, 35):
            fail("unknown flag: --pod-infra-container-image")  # gone from the kubelet in 1.35
        # validation.go: a cpuCFSQuotaPeriod other than 100ms needs the CustomCPUCFSQuotaPeriod gate,
        # alpha and off until 1.36, GA and on from then (pkg/features/kube_features.go)
        period = self.flags.get("cpu-cfs-quota-period") or self.config.get("cpuCFSQuotaPeriod")
        gates = dict(self.config.get("featureGates") or {})
        gate = gates.get("CustomCPUCFSQuotaPeriod", self.minor() >= (1, 36))
        if period and not gate and duration(period) != 0.1:
            fail("\"command failed\" err=\"failed to validate kubelet configuration, error: invalid configuration: "
                 "cpuCFSQuotaPeriod (--cpu-cfs-quota-period) %s requires feature gate CustomCPUCFSQuotaPeriod, "
                 "path: &{...}\"" % period)
        if period and gate and not 0.001 <= duration(period) <= 1:
            fail("\"command failed\" err=\"failed to validate kubelet configuration, error: invalid configuration: "
                 "cpuCFSQuotaPeriod (--cpu-cfs-quota-period) %s must be between 1ms and 1sec, inclusive, "
                 "path: &{...}\"" % period)
        default = "true" if self.minor() >= (1, 35) else "false"
        fail_v1 = self.flags.get("fail-cgroupv1", str(self.config.get("failCgroupV1", default)).lower())
        if fail_v1 == "true" and hosttools.kubelet_cgroup_v1():
            why = ("unsupported and will be removed in a future release" if self.minor() >= (1, 35)
                   else "in maintenance mode")
            fail("\"command failed\" err=\"failed to validate kubelet configuration, error: kubelet is configured to "
                 "not run on a host using cgroup v1. cgroup v1 support is %s, path: &{...}\"" % why)

    def preflight(self):
        self.validate()
        fail_swap = self.flags.get("fail-swap-on", str(self.config.get("failSwapOn", True)).lower())
        if fail_swap == "true" and hosttools.swap_active():
            fail("\"Failed to run kubelet\" err=\"failed to run Kubelet: running with swap on is not supported, "
                 "please disable swap or set --fail-swap-on flag to false\"")
        driver = self.flags.get("cgroup-driver") or self.config.get("cgroupDriver") or "cgroupfs"
        runtime_driver = containers.runtime_info(self.endpoint).get("cgroup_driver", "systemd")
        if containers.runtime_up(self.endpoint) and driver != runtime_driver:
            fail("\"Failed to run kubelet\" err=\"failed to run Kubelet: misconfiguration: kubelet cgroup driver: "
                 "\\\"%s\\\" is different from the container runtime cgroup driver: \\\"%s\\\"\"" % (driver, runtime_driver))
        if not containers.runtime_up(self.endpoint):
            fail("\"command failed\" err=\"failed to run Kubelet: validate service connection: validate CRI v1 "
                 "runtime API for endpoint \\\"%s\\\": rpc error: code = Unavailable desc = connection error: desc = "
                 "\\\"transport: Error while dialing: dial unix %s: connect: no such file or directory\\\"\""
                 % (self.endpoint, self.endpoint.split("://")[-1]))

    # ----- API connection, with TLS bootstrap -----
    def connect(self):
        kc = self.flags.get("kubeconfig")
        if kc and host.exists(kc):
            self.client = kubeclient.Client.from_kubeconfig(kc)
            return
        boot = self.flags.get("bootstrap-kubeconfig")
        if not boot or not host.exists(boot):
            return
        bc = kubeclient.Client.from_kubeconfig(boot)
        keyfile = "/var/lib/kubelet/pki/kubelet-client.key"
        pki.new_key(keyfile, "ECDSA-P256")
        csr = pki.make_csr(keyfile, "system:node:" + self.name, ["system:nodes"])
        obj = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
               "metadata": {"generateName": "csr-"},
               "spec": {"request": base64.b64encode(csr.encode()).decode(),
                        "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                        "usages": ["digital signature", "client auth"]}}
        created = bc.create("/apis/certificates.k8s.io/v1/certificatesigningrequests", obj)
        name = created["metadata"]["name"]
        cert = None
        for _ in range(100):
            cur = bc.get("/apis/certificates.k8s.io/v1/certificatesigningrequests/" + name)
            if cur.get("status", {}).get("certificate"):
                cert = base64.b64decode(cur["status"]["certificate"]).decode()
                break
            time.sleep(0.2)
        if cert is None:
            raise kubeclient.APIError(0, "timed out waiting for the CSR to be signed")
        key = host.read(keyfile)
        host.write("/var/lib/kubelet/pki/kubelet-client-current.pem", cert + key, 0o600)
        ca = base64.b64encode(bc_ca(boot).encode()).decode()
        host.write(kc, (
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
            "  name: default-cluster\ncontexts:\n- context:\n    cluster: default-cluster\n    namespace: default\n"
            "    user: default-auth\n  name: default-context\ncurrent-context: default-context\nkind: Config\n"
            "preferences: {}\nusers:\n- name: default-auth\n  user:\n"
            "    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
            "    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n") % (ca, bc.server), 0o600)
        self.client = kubeclient.Client.from_kubeconfig(kc)

    # ----- node object -----
    def node_object(self):
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": self.name, "kubernetes.io/os": "linux"}
        for kv in filter(None, (self.flags.get("node-labels") or "").split(",")):
            k, _, v = kv.partition("=")
            labels[k] = v
        taints = list(self.config.get("registerWithTaints") or [])
        for t in filter(None, (self.flags.get("register-with-taints") or "").split(",")):
            kv, _, effect = t.partition(":")
            k, _, v = kv.partition("=")
            taint = {"key": k, "effect": effect}
            if v:
                taint["value"] = v
            taints.append(taint)
        if not self.network_ready():
            # registered NotReady: the kubelet adds the not-ready taint itself, so nothing is scheduled
            # here before the node lifecycle controller looks at it
            taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
        spec = {}
        if taints:
            spec["taints"] = taints
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.name, "labels": labels,
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": spec, "status": self.node_status()}

    def network_ready(self):
        return bool(glob.glob(host.path("/etc/cni/net.d/*.conf")) + glob.glob(host.path("/etc/cni/net.d/*.conflist")))

    def node_status(self, ready=True):
        t = now()
        osr = host.os_release()
        net = self.network_ready()
        if ready and net:
            rc = {"type": "Ready", "status": "True", "reason": "KubeletReady",
                  "message": "kubelet is posting ready status"}
        elif ready:
            rc = {"type": "Ready", "status": "False", "reason": "KubeletNotReady",
                  "message": "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                             "message:Network plugin returns error: cni plugin not initialized"}
        else:
            rc = {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                  "message": "Kubelet stopped posting node status."}
        conds = [{"type": k, "status": "False", "reason": "KubeletHas" + r, "message": m}
                 for k, r, m in (("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
                                 ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                                 ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"))]
        conds.append(rc)
        for c in conds:
            c["lastHeartbeatTime"] = t
            c["lastTransitionTime"] = t
        max_pods = str(self.config.get("maxPods", self.flags.get("max-pods", 110)))
        cap = {"cpu": "2", "memory": "4030596Ki", "pods": max_pods, "ephemeral-storage": "30787492Ki"}
        return {"addresses": [{"type": "InternalIP", "address": self.node_ip}, {"type": "Hostname", "address": self.name}],
                "conditions": conds, "capacity": cap, "allocatable": cap,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {"kubeletVersion": self.version, "kubeProxyVersion": self.version,
                             "containerRuntimeVersion": "containerd://%s" % (
                                 (pkgdb.installed_version("containerd") or pkgdb.installed_version("containerd.io")
                                  or "1.7.0").split("-")[0].split("~")[0]),
                             "osImage": osr.get("PRETTY_NAME", "Linux"), "kernelVersion": platform.release(),
                             "operatingSystem": "linux", "architecture": "amd64",
                             "machineID": hashlib.md5(self.name.encode()).hexdigest(),
                             "systemUUID": hashlib.md5(("uuid" + self.name).encode()).hexdigest(),
                             "bootID": hashlib.md5(("boot" + self.name).encode()).hexdigest()}}

    def register(self):
        try:
            self.client.create("/api/v1/nodes", self.node_object())
        except kubeclient.APIError as e:
            if e.code != 409:
                raise
        self.registered = True
        self.post_status()

    def post_status(self, ready=True):
        st = self.node_status(ready)
        self.client.strategic_patch("/api/v1/nodes/%s/status" % self.name,
                                    {"status": {"conditions": st["conditions"], "addresses": st["addresses"],
                                                "nodeInfo": st["nodeInfo"]}})
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": self.name, "namespace": "kube-node-lease"},
                 "spec": {"holderIdentity": self.name, "leaseDurationSeconds": 40,
                          "renewTime": datetime.datetime.now(datetime.timezone.utc).strftime(
                              "%Y-%m-%dT%H:%M:%S.%fZ")}}
        self.client.apply("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
        self.last_status = time.time()

    # ----- static pods -----
    def static_pods(self):
        pods = {}
        if not self.static_dir:
            return pods
        # As the kubelet's file source: every regular file whose name does not start
        # with a dot, whatever its suffix (pkg/kubelet/config/file.go, glob "[^.]*").
        files = sorted(glob.glob(host.path(self.static_dir + "/[!.]*")))
        for f in files:
            try:
                st = os.stat(f)
                if not stat.S_ISREG(st.st_mode):
                    continue
                key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
                known = self.parsed.get(f)
                if known and known[0] == key and time.time() - known[1] < 20:
                    pod = copy.deepcopy(known[2])
                else:
                    with open(f) as fh:
                        pod = yaml.safe_load(fh)
                    self.parsed[f] = (key, time.time(), copy.deepcopy(pod))
            except (OSError, yaml.YAMLError):
                continue
            if isinstance(pod, dict) and pod.get("kind") == "Pod":
                pod.setdefault("metadata", {}).setdefault("namespace", "default")
                pods[pod["metadata"]["namespace"] + "_" + pod["metadata"]["name"]] = pod
        self.parsed = {f: v for f, v in self.parsed.items() if f in files}
        return pods

    def sync_static(self):
        pods = self.static_pods()
        running = {c["id"]: c for c in containers.all_containers()}
        for cid, c in running.items():
            pod_id = c["namespace"] + "_" + c["pod"]
            want = pods.get(pod_id)
            h = hashlib.sha256(json.dumps(want, sort_keys=True).encode()).hexdigest()[:16] if want else None
            if want is None or c["hash"] != h or not containers.alive(c):
                containers.remove(c)
        current = {c["id"] for c in containers.all_containers()}
        for pod_id, pod in pods.items():
            for ctr in pod.get("spec", {}).get("containers") or []:
                cid = pod_id + "_" + ctr.get("name", "c")
                if cid not in current:
                    tag = ctr.get("image", ":").rsplit(":", 1)[-1]
                    containers.start(cid, pod, ctr, tag if tag.startswith("v1.") else self.version)
        return pods

    def mirror_pods(self, pods):
        for pod in pods.values():
            md = pod["metadata"]
            h = hashlib.sha256(json.dumps(pod, sort_keys=True).encode()).hexdigest()[:32]
            ann = dict(md.get("annotations") or {})
            ann.update({"kubernetes.io/config.hash": h, "kubernetes.io/config.mirror": h,
                        "kubernetes.io/config.source": "file"})
            mirror = {"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": md["name"] + "-" + self.name, "namespace": md["namespace"],
                                   "labels": md.get("labels") or {}, "annotations": ann,
                                   "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": self.name,
                                                        "uid": "", "controller": True}]},
                      "spec": dict(pod.get("spec") or {}, nodeName=self.name)}
            path = "/api/v1/namespaces/%s/pods" % md["namespace"]
            try:
                cur = self.client.get(path + "/" + mirror["metadata"]["name"])
                if cur["metadata"].get("annotations", {}).get("kubernetes.io/config.hash") == h:
                    continue
                self.client.request("DELETE", path + "/" + mirror["metadata"]["name"])
            except kubeclient.APIError as e:
                if e.code != 404:
                    raise
            self.client.create(path, mirror)
            self.set_pod_running(md["namespace"], mirror["metadata"]["name"])

    def set_pod_running(self, ns, name):
        t = now()
        self.client.strategic_patch("/api/v1/namespaces/%s/pods/%s/status" % (ns, name), {"status": {
            "phase": "Running", "hostIP": self.node_ip, "podIP": self.node_ip, "startTime": t,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t},
                           {"type": "ContainersReady", "status": "True", "lastTransitionTime": t},
                           {"type": "PodScheduled", "status": "True", "lastTransitionTime": t}]}})

    def sync_bound_pods(self):
        """Pods bound to this node (not mirror pods) run as far as the API can tell; a network plugin's
        pod leaves its CNI configuration on the node, as calico-node or weave-net do."""
        pods = self.client.get("/api/v1/pods?fieldSelector=spec.nodeName%3D" + self.name)
        for p in pods.get("items") or []:
            if p["metadata"].get("deletionTimestamp"):
                continue
            if p.get("status", {}).get("phase") in ("Pending", None):
                self.set_pod_running(p["metadata"]["namespace"], p["metadata"]["name"])
            for c in (p.get("spec") or {}).get("containers") or []:
                m = CNI_IMAGES.search(c.get("image", ""))
                conf = "/etc/cni/net.d/10-%s.conflist" % (m.group(1) if m else "")
                if m and not host.exists(conf):
                    host.write(conf, json.dumps({"cniVersion": "0.3.1", "name": m.group(1),
                                                 "plugins": [{"type": m.group(1)}]}))

    # ----- main loop -----
    def serve_health(self):
        kubelet = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"ok"
                self.send_response(200 if not kubelet.stopping else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        port = int(self.config.get("healthzPort", 10248))
        addr = self.node_ip
        srv = http.server.ThreadingHTTPServer((addr, port), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.server_sock = socket.socket()
        self.server_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server_sock.bind((addr, int(self.config.get("port", 10250))))
        self.server_sock.listen(16)

    def run(self):
        signal.signal(signal.SIGTERM, lambda *a: setattr(self, "stopping", True))
        self.preflight()
        try:
            self.serve_health()
        except OSError as e:
            fail("\"Failed to start healthz server\" err=\"%s\"" % e)
        while not self.stopping:
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pass
            pods = self.sync_static()
            try:
                if self.client is None:
                    self.connect()
                if self.client is not None:
                    if not self.registered:
                        self.register()
                    elif time.time() - self.last_status > float(
                            str(self.config.get("nodeStatusUpdateFrequency", "10s")).rstrip("s") or 10):
                        self.post_status()
                    self.mirror_pods(pods)
                    self.sync_bound_pods()
            except (kubeclient.APIError, OSError, KeyError) as e:
                sys.stderr.write("E kubelet] %s\n" % e)
            for _ in range(10):
                if self.stopping:
                    break
                time.sleep(0.1)
        if self.client is not None and self.registered:
            try:
                self.post_status(ready=False)
            except (kubeclient.APIError, OSError):
                pass
        return 0


def bc_ca(kubeconfig_path):
    cfg = yaml.safe_load(host.read(kubeconfig_path))
    cl = cfg["clusters"][0]["cluster"]
    if cl.get("certificate-authority-data"):
        return base64.b64decode(cl["certificate-authority-data"]).decode()
    return host.read(cl["certificate-authority"])


def main(argv):
    pkgdb.require_installed("kubelet", "kubelet")
    flags = parse_flags(argv)
    if flags.get("version") == "true":
        print("Kubernetes v" + pkgdb.installed_version("kubelet").split("-")[0])
        return 0
    return Kubelet(flags).run()
