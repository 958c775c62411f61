"""kubeadm emulator: init, join, reset, token, config validate, version; init phases
upload-certs, control-plane, certs apiserver, upload-config; upgrade plan, apply, node (kubeadm_upgrade.py).

It lays out certificates and kubeconfigs as kubeadm does, writes static pod
manifests that the kubelet emulator runs (the real etcd and the API
emulator), and talks to the cluster only through the Kubernetes API and the
etcd API, like the real tool.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

from . import catalog, containers, etcd, host, hosttools, kubeadm_config, kubeclient, pkgdb, pki

PKI = "/etc/kubernetes/pki"
MANIFESTS = "/etc/kubernetes/manifests"
CONTROL_PLANE_PORTS = [6443, 10259, 10257, 10250, 2379, 2380]
CERT_SECRET_FILES = ["ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key",
                     "etcd/ca.crt", "etcd/ca.key"]
# With an external etcd, kubeadm's copycerts hands over the etcd client files the
# ClusterConfiguration names instead of the etcd CA (phases/copycerts/copycerts.go).
EXTERNAL_ETCD_SECRET_FILES = (("external-etcd-ca.crt", "caFile"), ("external-etcd.crt", "certFile"),
                              ("external-etcd.key", "keyFile"))
STACK_HINT = "To see the stack trace of this error execute with --v=5 or higher"


class KubeadmError(host.ToolError):
    def __init__(self, msg, phase=None):
        text = ("error execution phase %s: %s" % (phase, msg)) if phase else msg
        super().__init__(text + "\n" + STACK_HINT, 1)


def say(msg):
    print(msg)
    sys.stdout.flush()


def kubeadm_version():
    v = pkgdb.installed_version("kubeadm")
    return "v" + v.split("-")[0]


def minor(v):
    parts = v.lstrip("v").split(".")
    return int(parts[0]), int(parts[1])


def image_pins():
    """This kubeadm's etcd, CoreDNS and pause tags (its constants.go)."""
    m = "%d.%d" % minor(kubeadm_version())
    pins = catalog.KUBEADM_IMAGES.get(m)
    if pins is None:
        raise KubeadmError("the emulator does not know the image pins of kubeadm %s" % m)
    return pins


def duration_seconds(d, default):
    if not d:
        return default
    total = 0.0
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", d):
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total or default


# ---------------- flags ----------------
def parse_flags(argv, spec):
    """cobra-like parsing: spec maps flag -> 'bool' | 'str' | 'list'. Returns (flags, positional)."""
    flags, pos = {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") or (a.startswith("-") and len(a) == 2 and a != "-"):
            name, eq, val = a.lstrip("-").partition("=")
            name = {"f": "force", "v": "v", "o": "output"}.get(name, name) if not a.startswith("--") else name
            kind = spec.get(name)
            if kind is None:
                raise KubeadmError("unknown flag: %s" % a.split("=")[0])
            if kind == "bool":
                flags[name] = (val or "true") == "true"
            else:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        raise KubeadmError("flag needs an argument: %s" % a)
                    val = argv[i]
                if kind == "list":
                    flags.setdefault(name, []).extend(v for v in val.split(",") if v)
                else:
                    flags[name] = val
        else:
            pos.append(a)
        i += 1
    return flags, pos


COMMON = {"v": "str", "vmodule": "str", "rootfs": "str", "help": "bool"}

# validation.isAllowedFlag (cmd/kubeadm/app/apis/kubeadm/validation/validation.go): the
# only flags ValidateMixedArguments lets init, join, their phases, reset, token create and
# upgrade take next to --config, besides every skip-* flag.
CONFIG_MIXABLE = {"config", "ignore-preflight-errors", "dry-run", "kubeconfig", "node-name", "kubeconfig-dir",
                  "upload-certs", "print-manifest", "allow-missing-template-keys", "output", "show-managed-fields",
                  "print-join-command", "rootfs", "v", "log-file", "yes"}


def check_mix(flags):
    """ValidateMixedArguments: pflag visits the flags set in lexical order."""
    if "config" in flags:
        bad = sorted(k for k in flags if k not in CONFIG_MIXABLE and not k.startswith("skip-") and k != "help")
        if bad:
            raise KubeadmError("can not mix '--config' with arguments [%s]" % " ".join(bad))


def warn(msg):
    sys.stderr.write("W%s kubeadm] %s\n" % (time.strftime("%m%d %H:%M:%S"), msg))


def load_config(path, strict=False, allow_experimental=False):
    """The file as init, join and the phases load it (strict: `kubeadm config validate`)."""
    text = host.read(path) if path.startswith("/") else open(path).read() if os.path.exists(path) else None
    if text is None:
        raise KubeadmError('unable to read config from "%s" : open %s: no such file or directory' % (path, path))
    try:
        by_kind, warnings = kubeadm_config.validate(text, strict=strict, version=kubeadm_version(),
                                                    allow_experimental=allow_experimental)
    except kubeadm_config.ConfigError as e:
        raise KubeadmError(str(e))
    for w in warnings:
        warn(w)
    return by_kind


def check_key(key, path="certificateKey"):
    """A --certificate-key value goes through the same validation as the file's."""
    errs = kubeadm_config.certificate_key_errors(key, path)
    if errs:
        raise KubeadmError(errs[0])


def extra_args(component):
    """extraArgs in either v1beta3 (map) or v1beta4 (list of name/value) form, as --k=v flags."""
    ea = (component or {}).get("extraArgs") or {}
    if isinstance(ea, dict):
        return {k: str(v) for k, v in ea.items()}
    return {a["name"]: str(a.get("value", "")) for a in ea}


# ---------------- preflight ----------------
def port_in_use(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def preflight(checks, ignore):
    """checks: [(name, error message or None, fatal)]. Prints kubeadm's report and fails like it."""
    ignore = {i.lower() for i in ignore}
    say("[preflight] Running pre-flight checks")
    errors = []
    for name, problem, fatal in checks:
        if problem is None:
            continue
        if not fatal or "all" in ignore or name.lower() in ignore:
            say("\t[WARNING %s]: %s" % (name, problem))
        else:
            errors.append("\t[ERROR %s]: %s" % (name, problem))
    if errors:
        raise KubeadmError("[preflight] Some fatal errors occurred:\n%s\n[preflight] If you know what you are doing, "
                           "you can make a check non-fatal with `--ignore-preflight-errors=...`"
                           % "\n".join(errors), "preflight")


CGROUP_V1 = ("cgroups v1 support is deprecated and will be removed in a future release. Please migrate to cgroups v2. "
             "To explicitly enable cgroups v1 support for kubelet v1.35 or newer, you must set the kubelet "
             "configuration option 'FailCgroupV1' to 'false'. You must also explicitly skip this validation. For "
             "more information, see https://git.k8s.io/enhancements/keps/sig-node/5573-remove-cgroup-v1")


def system_verification(kubelet_version):
    """SystemVerification's cgroups part (k8s.io/system-validators v1.12.1 CgroupsValidator, which
    kubeadm 1.37 runs with `kubelet --version`): on cgroup v1 an error for a kubelet of 1.35 or
    later (isCgroupsV1DisabledInKubelet), a warning before."""
    if not hosttools.validator_cgroup_v1():
        return []
    if minor(kubelet_version) >= (1, 35):
        say("[preflight] The system verification failed. Printing the output from the verification:")
        return [("SystemVerification", CGROUP_V1, True)]
    return [("SystemVerification", CGROUP_V1, False)]


def common_checks(node_reg, k8s_version, ports, addr):
    checks = []
    if os.geteuid() != 0:
        checks.append(("IsPrivilegedUser", "user is not running as root", True))
    cri = (node_reg or {}).get("criSocket") or "unix:///var/run/containerd/containerd.sock"
    if not containers.runtime_up(cri):
        checks.append(("CRI", "container runtime is not running: output: time=\"%s\" level=fatal msg=\"validate "
                       "service connection: validate CRI v1 runtime API for endpoint \\\"%s\\\": rpc error: code = "
                       "Unavailable desc = connection error\"\n, error: exit status 1"
                       % (time.strftime("%Y-%m-%dT%H:%M:%SZ"), cri), True))
    kubelet_v = pkgdb.installed_version("kubelet")
    if kubelet_v is None:
        checks.append(("FileExisting-kubelet", "kubelet not found in system path", True))
    else:
        kv = "v" + kubelet_v.split("-")[0]
        if minor(kv) > minor(k8s_version):
            checks.append(("KubeletVersion", "the kubelet version is higher than the control plane version. This is "
                           "not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "
                           "\"%s\" Control plane version: \"%s\"" % (kv.lstrip("v"), k8s_version.lstrip("v")), True))
        elif minor(k8s_version)[1] - minor(kv)[1] > 3:
            checks.append(("KubeletVersion", "Kubelet version \"%s\" is lower than kubeadm can support. Please upgrade "
                           "kubelet" % kv, True))
        checks += system_verification(kv)
    from . import systemd
    d = systemd.loaded("kubelet.service")
    if d is not None and systemd.is_enabled("kubelet.service", d) != "enabled":
        checks.append(("Service-Kubelet", "kubelet service is not enabled, please run 'systemctl enable "
                       "kubelet.service'", False))
    if hosttools.swap_active():
        checks.append(("Swap", "swap is supported for cgroup v2 only. The kubelet must be properly configured to use "
                       "swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or "
                       "disable swap on the node", False))
    if hosttools.sysctl_values().get("net.ipv4.ip_forward") != "1":
        checks.append(("FileContent--proc-sys-net-ipv4-ip_forward", "/proc/sys/net/ipv4/ip_forward contents are not "
                       "set to 1", True))
    for p in ports:
        if port_in_use(addr, p):
            checks.append(("Port-%d" % p, "Port %d is in use" % p, True))
    return checks


# ---------------- PKI ----------------
def apiserver_sans(name, addr, endpoint, extra, service_subnet):
    import ipaddress
    net = ipaddress.ip_network(service_subnet.split(",")[0], strict=False)
    sans = ["DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local", "DNS:" + name, "IP:" + str(net[1]), "IP:" + addr]
    for h in ([endpoint.rsplit(":", 1)[0]] if endpoint else []) + list(extra or []):
        try:
            ipaddress.ip_address(h)
            sans.append("IP:" + h)
        except ValueError:
            sans.append("DNS:" + h)
    return sorted(set(sans), key=sans.index)


def etcd_external(cluster):
    return (cluster.get("etcd") or {}).get("external")


# constants.go MinExternalEtcdVersion, read in v1.37.2 only: older kubeadms (other minima)
# do not run the check here.
MIN_EXTERNAL_ETCD = {(1, 37): ((3, 5, 24), "3.5.24-0")}


def external_etcd_version_check(cluster):
    """ExternalEtcdVersionCheck (preflight/checks.go), run by init: GET ENDPOINT/version of each
    of httpEndpoints (defaulting to endpoints) with the configured CA and client pair, 10 s per
    try, 3 retries 5 s apart on no answer or a 5xx; an etcd older than MinExternalEtcdVersion is
    an error. Returns [(name, problem, fatal)]."""
    ext = etcd_external(cluster)
    floor = MIN_EXTERNAL_ETCD.get(minor(kubeadm_version()))
    if not ext or not floor:
        return []
    problems = []
    try:
        ctx = ssl.create_default_context(cafile=host.path(ext["caFile"]) if ext.get("caFile") else None)
        if ext.get("certFile") and ext.get("keyFile"):
            ctx.load_cert_chain(host.path(ext["certFile"]), host.path(ext["keyFile"]))
    except (OSError, ssl.SSLError) as e:
        return [("ExternalEtcdVersion", "couldn't load external etcd's certificates: %s" % e, True)]
    for ep in ext.get("httpEndpoints") or ext.get("endpoints") or []:
        url = ep.rstrip("/") + "/version"
        got, err = None, None
        for attempt in range(4):
            if attempt:
                time.sleep(5)
            try:
                with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
                    got = json.loads(r.read())
                break
            except urllib.error.HTTPError as e:
                if not 500 <= e.code <= 599:
                    got = json.loads(e.read() or b"{}")
                    break
                err = "server responded with non-successful status: %d %s" % (e.code, e.reason)
            except (OSError, ValueError) as e:
                err = 'Get "%s": %s' % (url, getattr(e, "reason", e))
        if got is None:
            problems.append(err)
            continue
        server = str(got.get("etcdserver") or "")
        m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", server)
        if not m:
            problems.append("couldn't parse external etcd version %s" % json.dumps(server))
        elif tuple(int(x) for x in m.groups()) < floor[0]:
            problems.append("this version of kubeadm only supports external etcd version >= %s. Current version: %s"
                            % (floor[1], server))
    return [("ExternalEtcdVersion", p, True) for p in problems]


def cert_files(cluster):
    """What upload-certs stores and a control-plane join writes: Secret key -> path."""
    ext = etcd_external(cluster)
    files = {f.replace("/", "-"): PKI + "/" + f for f in CERT_SECRET_FILES if not (ext and f.startswith("etcd/"))}
    for key, field in EXTERNAL_ETCD_SECRET_FILES if ext else ():
        if ext.get(field):
            files[key] = ext[field]
    return files


def node_certs(name, addr, cluster, algo):
    """Certificates kubeadm makes per control-plane node (signed by the shared CAs)."""
    ep = cluster.get("controlPlaneEndpoint") or ""
    net = cluster.get("networking") or {}
    local = (cluster.get("etcd") or {}).get("local") or {}
    say("[certs] Generating \"apiserver\" certificate and key")
    pki.new_cert(PKI + "/apiserver", PKI + "/ca", "kube-apiserver", (), ("serverAuth",),
                 apiserver_sans(name, addr, ep, (cluster.get("apiServer") or {}).get("certSANs"),
                                net.get("serviceSubnet") or "10.96.0.0/12"), algo)
    say("[certs] Generating \"apiserver-kubelet-client\" certificate and key")
    pki.new_cert(PKI + "/apiserver-kubelet-client", PKI + "/ca", "kube-apiserver-kubelet-client",
                 ("kubeadm:cluster-admins",), ("clientAuth",), (), algo)
    say("[certs] Generating \"front-proxy-client\" certificate and key")
    pki.new_cert(PKI + "/front-proxy-client", PKI + "/front-proxy-ca", "front-proxy-client", (), ("clientAuth",),
                 (), algo)
    if etcd_external(cluster):
        for base in ("etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client"):
            say("[certs] External etcd mode: Skipping %s certificate generation" % base)
        return
    etcd_sans = ["DNS:" + name, "DNS:localhost", "IP:" + addr, "IP:127.0.0.1", "IP:0:0:0:0:0:0:0:1"]
    say("[certs] Generating \"etcd/server\" certificate and key")
    say("[certs] etcd/server serving cert is signed for DNS names [%s localhost] and IPs [%s 127.0.0.1 ::1]"
        % (name, addr))
    pki.new_cert(PKI + "/etcd/server", PKI + "/etcd/ca", name, (), ("serverAuth", "clientAuth"),
                 etcd_sans + ["DNS:" + s for s in local.get("serverCertSANs") or []], algo)
    say("[certs] Generating \"etcd/peer\" certificate and key")
    pki.new_cert(PKI + "/etcd/peer", PKI + "/etcd/ca", name, (), ("serverAuth", "clientAuth"),
                 etcd_sans + ["DNS:" + s for s in local.get("peerCertSANs") or []], algo)
    say("[certs] Generating \"etcd/healthcheck-client\" certificate and key")
    pki.new_cert(PKI + "/etcd/healthcheck-client", PKI + "/etcd/ca", "kube-etcd-healthcheck-client", (),
                 ("clientAuth",), (), algo)
    say("[certs] Generating \"apiserver-etcd-client\" certificate and key")
    pki.new_cert(PKI + "/apiserver-etcd-client", PKI + "/etcd/ca", "kube-apiserver-etcd-client", (),
                 ("clientAuth",), (), algo)


def kubeconfigs(name, server_ep, local_ep, algo):
    say("[kubeconfig] Using kubeconfig folder \"/etc/kubernetes\"")
    for f, server, cn, orgs in (("admin.conf", server_ep, "kubernetes-admin", ["kubeadm:cluster-admins"]),
                                ("super-admin.conf", server_ep, "kubernetes-super-admin", ["system:masters"]),
                                ("kubelet.conf", server_ep, "system:node:" + name, ["system:nodes"]),
                                ("controller-manager.conf", local_ep, "system:kube-controller-manager", []),
                                ("scheduler.conf", local_ep, "system:kube-scheduler", [])):
        say("[kubeconfig] Writing \"%s\" kubeconfig file" % f)
        pki.write_kubeconfig("/etc/kubernetes/" + f, server, cn, orgs, algo)


# ---------------- manifests ----------------
def host_path_volume(name, path, kind="DirectoryOrCreate"):
    return {"hostPath": {"path": path, "type": kind}, "name": name}


def etcd_manifest(name, addr, cluster, initial_cluster, state):
    local = (cluster.get("etcd") or {}).get("local") or {}
    data_dir = local.get("dataDir") or "/var/lib/etcd"
    args = {
        "advertise-client-urls": "https://%s:2379" % addr, "cert-file": PKI + "/etcd/server.crt",
        "client-cert-auth": "true", "data-dir": data_dir,
        "initial-advertise-peer-urls": "https://%s:2380" % addr, "initial-cluster": initial_cluster,
        "key-file": PKI + "/etcd/server.key",
        # the sandbox hosts share one network namespace, so etcd listens on the host's own address only
        "listen-client-urls": "https://%s:2379" % addr, "listen-peer-urls": "https://%s:2380" % addr,
        "name": name, "peer-cert-file": PKI + "/etcd/peer.crt", "peer-client-cert-auth": "true",
        "peer-key-file": PKI + "/etcd/peer.key", "peer-trusted-ca-file": PKI + "/etcd/ca.crt",
        "snapshot-count": "10000", "trusted-ca-file": PKI + "/etcd/ca.crt",
    }
    if state:
        args["initial-cluster-state"] = state
    args.update(extra_args(local))
    image = "%s/etcd:%s" % (local.get("imageRepository") or cluster.get("imageRepository") or "registry.k8s.io",
                            local.get("imageTag") or image_pins()["etcd"])
    return static_pod("etcd", "etcd", image, ["etcd"] + ["--%s=%s" % kv for kv in sorted(args.items())],
                      {"kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://%s:2379" % addr},
                      [host_path_volume("etcd-certs", PKI + "/etcd"), host_path_volume("etcd-data", data_dir)])


def apiserver_manifest(addr, port, cluster, version):
    net = cluster.get("networking") or {}
    args = {
        "advertise-address": addr, "allow-privileged": "true", "authorization-mode": "Node,RBAC",
        "client-ca-file": PKI + "/ca.crt", "enable-admission-plugins": "NodeRestriction",
        "enable-bootstrap-token-auth": "true", "etcd-cafile": PKI + "/etcd/ca.crt",
        "etcd-certfile": PKI + "/apiserver-etcd-client.crt", "etcd-keyfile": PKI + "/apiserver-etcd-client.key",
        "etcd-servers": "https://%s:2379" % addr,
        "kubelet-client-certificate": PKI + "/apiserver-kubelet-client.crt",
        "kubelet-client-key": PKI + "/apiserver-kubelet-client.key",
        "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
        "proxy-client-cert-file": PKI + "/front-proxy-client.crt",
        "proxy-client-key-file": PKI + "/front-proxy-client.key",
        "requestheader-allowed-names": "front-proxy-client",
        "requestheader-client-ca-file": PKI + "/front-proxy-ca.crt",
        "requestheader-extra-headers-prefix": "X-Remote-Extra-", "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User", "secure-port": str(port),
        "service-account-issuer": "https://kubernetes.default.svc.cluster.local",
        "service-account-key-file": PKI + "/sa.pub", "service-account-signing-key-file": PKI + "/sa.key",
        "service-cluster-ip-range": net.get("serviceSubnet") or "10.96.0.0/12",
        "tls-cert-file": PKI + "/apiserver.crt", "tls-private-key-file": PKI + "/apiserver.key",
    }
    if (cluster.get("etcd") or {}).get("external"):
        ext = cluster["etcd"]["external"]
        args.update({"etcd-servers": ",".join(ext.get("endpoints") or []), "etcd-cafile": ext.get("caFile", ""),
                     "etcd-certfile": ext.get("certFile", ""), "etcd-keyfile": ext.get("keyFile", "")})
    args.update(extra_args(cluster.get("apiServer")))
    image = "%s/kube-apiserver:%s" % (cluster.get("imageRepository") or "registry.k8s.io", version)
    return static_pod("kube-apiserver", "kube-apiserver", image,
                      ["kube-apiserver"] + ["--%s=%s" % kv for kv in sorted(args.items())],
                      {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "%s:%d" % (addr, port)},
                      [host_path_volume("k8s-certs", PKI, "DirectoryOrCreate"),
                       host_path_volume("ca-certs", "/etc/ssl/certs")])


def component_manifest(component, cluster, version, kubeconfig):
    args = {"authentication-kubeconfig": kubeconfig, "authorization-kubeconfig": kubeconfig,
            "bind-address": "127.0.0.1", "kubeconfig": kubeconfig, "leader-elect": "true"}
    if component == "kube-controller-manager":
        net = cluster.get("networking") or {}
        args.update({"client-ca-file": PKI + "/ca.crt", "cluster-name": cluster.get("clusterName") or "kubernetes",
                     "cluster-signing-cert-file": PKI + "/ca.crt", "cluster-signing-key-file": PKI + "/ca.key",
                     "controllers": "*,bootstrapsigner,tokencleaner", "root-ca-file": PKI + "/ca.crt",
                     "service-account-private-key-file": PKI + "/sa.key", "use-service-account-credentials": "true",
                     "service-cluster-ip-range": net.get("serviceSubnet") or "10.96.0.0/12"})
        if net.get("podSubnet"):
            args.update({"allocate-node-cidrs": "true", "cluster-cidr": net["podSubnet"]})
        args.update(extra_args(cluster.get("controllerManager")))
    else:
        args.update(extra_args(cluster.get("scheduler")))
    image = "%s/%s:%s" % (cluster.get("imageRepository") or "registry.k8s.io", component, version)
    return static_pod(component, component, image, [component] + ["--%s=%s" % kv for kv in sorted(args.items())],
                      {}, [host_path_volume("kubeconfig", kubeconfig, "FileOrCreate")])


def static_pod(name, component, image, command, annotations, volumes):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"annotations": annotations, "labels": {"component": component, "tier": "control-plane"},
                         "name": name, "namespace": "kube-system"},
            "spec": {"containers": [{"command": command, "image": image, "imagePullPolicy": "IfNotPresent",
                                     "name": name}],
                     "hostNetwork": True, "priority": 2000001000, "priorityClassName": "system-node-critical",
                     "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "volumes": volumes},
            "status": {}}


def write_manifest(name, pod):
    say("[control-plane] Creating static Pod manifest for \"%s\"" % name if name != "etcd" else
        "[etcd] Creating static Pod manifest for local etcd in \"%s\"" % MANIFESTS)
    host.write(MANIFESTS + "/%s.yaml" % name, yaml.safe_dump(pod, default_flow_style=False), 0o600)


def dns_ip(cluster):
    """constants.GetDNSIP (cmd/kubeadm/app/constants/constants.go): the tenth address of
    the (first) service subnet; the kube-dns Service's clusterIP and the kubelets' default
    clusterDNS (componentconfigs/kubelet.go)."""
    subnet = ((cluster.get("networking") or {}).get("serviceSubnet") or "10.96.0.0/12").split(",")[0]
    return str(ipaddress.ip_network(subnet.strip(), strict=False)[10])


# ---------------- kubelet ----------------
def kubelet_config(by_kind, cluster):
    kc = dict(by_kind.get("KubeletConfiguration") or {})
    kc.setdefault("apiVersion", "kubelet.config.k8s.io/v1beta1")
    kc.setdefault("kind", "KubeletConfiguration")
    kc.setdefault("cgroupDriver", "systemd")
    kc.setdefault("staticPodPath", MANIFESTS)
    kc.setdefault("clusterDNS", [dns_ip(cluster)])
    kc.setdefault("clusterDomain", (cluster.get("networking") or {}).get("dnsDomain") or "cluster.local")
    kc.setdefault("rotateCertificates", True)
    kc.setdefault("authentication", {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                                     "x509": {"clientCAFile": PKI + "/ca.crt"}})
    kc.setdefault("authorization", {"mode": "Webhook"})
    return kc


def start_kubelet(kc, node_reg, name, addr):
    say("[kubelet-start] Writing kubelet environment file with flags to file \"/var/lib/kubelet/kubeadm-flags.env\"")
    cri = (node_reg or {}).get("criSocket") or "unix:///var/run/containerd/containerd.sock"
    args = {"container-runtime-endpoint": cri}
    # kubeadm 1.35 stopped passing it (the kubelet dropped the flag): cmd/kubeadm/app/phases/kubelet/flags.go
    if minor(kubeadm_version()) < (1, 35):
        args["pod-infra-container-image"] = "registry.k8s.io/pause:" + image_pins()["pause"]
    if name != host.hostname().lower():
        args["hostname-override"] = name
    args.update(extra_args({"extraArgs": (node_reg or {}).get("kubeletExtraArgs")}))
    if (node_reg or {}).get("taints"):
        kc = dict(kc, registerWithTaints=node_reg["taints"])
    host.write("/var/lib/kubelet/kubeadm-flags.env",
               "KUBELET_KUBEADM_ARGS=\"%s\"\n" % " ".join("--%s=%s" % kv for kv in sorted(args.items())))
    say("[kubelet-start] Writing kubelet configuration to file \"/var/lib/kubelet/config.yaml\"")
    host.write("/var/lib/kubelet/config.yaml", yaml.safe_dump(kc, default_flow_style=False))
    say("[kubelet-start] Starting the kubelet")
    r = subprocess.run(["systemctl", "restart", "kubelet"], capture_output=True, text=True)
    if r.returncode != 0:
        say("[kubelet-start] WARNING: unable to start the kubelet service: [%s]" % r.stderr.strip())
        say("[kubelet-start] Please ensure kubelet is reloaded and running manually.")


def wait_kubelet(addr, timeout, phase="wait-control-plane"):
    say("[kubelet-check] Waiting for a healthy kubelet at http://%s:10248/healthz. This can take up to %s"
        % (addr, fmt_duration(timeout)))
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://%s:10248/healthz" % addr, timeout=2) as r:
                if r.status == 200:
                    say("[kubelet-check] The kubelet is healthy after %s" % fmt_duration(time.time() - deadline +
                                                                                           timeout))
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise KubeadmError("The HTTP call equal to 'curl -sSL http://%s:10248/healthz' returned error: Get "
                       "\"http://%s:10248/healthz\": dial tcp %s:10248: connect: connection refused\n\nUnfortunately, "
                       "an error has occurred:\n\tThe kubelet is not running\n\tThe kubelet is unhealthy due to a "
                       "misconfiguration of the node in some way (required cgroups disabled)\n\nThis error is likely "
                       "caused by:\n\t- The kubelet is not running\n\nIf you are on a systemd-powered system, you can "
                       "try to troubleshoot the error with the following commands:\n\t- 'systemctl status kubelet'\n"
                       "\t- 'journalctl -xeu kubelet'" % (addr, addr, addr), phase)


def fmt_duration(s):
    """A duration as Go's time.Duration String() prints it (kubeadm's %v): 4m0s, 1.5s, 503.2ms."""
    ns = int(round(s * 1e9))
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)

    def frac(whole, rest, digits):
        return ("%d.%0*d" % (whole, digits, rest)).rstrip("0").rstrip(".")
    if ns < 1000:
        return "%s%dns" % (sign, ns)
    if ns < 1000000:
        return sign + frac(ns // 1000, ns % 1000, 3) + "\u00b5s"
    if ns < 1000000000:
        return sign + frac(ns // 1000000, ns % 1000000, 6) + "ms"
    h, rest = divmod(ns, 3600 * 10 ** 9)
    m, rest = divmod(rest, 60 * 10 ** 9)
    out = frac(rest // 10 ** 9, rest % 10 ** 9, 9) + "s"
    if h or m:
        out = "%dm" % m + out
    if h:
        out = "%dh" % h + out
    return sign + out


def wait_apiserver(addr, port, timeout):
    say("[api-check] Waiting for a healthy API server. This can take up to %s" % fmt_duration(timeout))
    ca = host.read(PKI + "/ca.crt")
    client = kubeclient.Client("https://%s:%d" % (addr, port), ca, timeout=3)
    deadline = time.time() + timeout
    start = time.time()
    while time.time() < deadline:
        try:
            if client.request("GET", "/healthz") == "ok":
                say("[api-check] The API server is healthy after %s" % fmt_duration(time.time() - start))
                return
        except kubeclient.APIError:
            pass
        time.sleep(0.3)
    raise KubeadmError("could not check API server health: timed out waiting for the condition\n\nUnfortunately, "
                       "an error has occurred:\n\tcontext deadline exceeded", "wait-control-plane")


def admin_client():
    return kubeclient.Client.from_kubeconfig("/etc/kubernetes/admin.conf")


def wait_node(client, name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            return client.get("/api/v1/nodes/" + name)
        except kubeclient.APIError:
            time.sleep(0.3)
    raise KubeadmError("timed out waiting for the condition: node \"%s\" not found" % name, "mark-control-plane")


def mark_control_plane(client, name, node_reg):
    say("[mark-control-plane] Marking the node %s as control-plane by adding the labels: "
        "[node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]" % name)
    taints = (node_reg or {}).get("taints")
    if taints is None:
        taints = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    say("[mark-control-plane] Marking the node %s as control-plane by adding the taints %s" % (
        name, "[" + " ".join("%s:%s" % (t["key"], t["effect"]) for t in taints) + "]"))
    for _ in range(10):
        node = wait_node(client, name)
        md = node["metadata"]
        md.setdefault("labels", {}).update({"node-role.kubernetes.io/control-plane": "",
                                            "node.kubernetes.io/exclude-from-external-load-balancers": ""})
        md.setdefault("annotations", {})["kubeadm.alpha.kubernetes.io/cri-socket"] = (
            (node_reg or {}).get("criSocket") or "unix:///var/run/containerd/containerd.sock")
        have = node.setdefault("spec", {}).setdefault("taints", [])
        for t in taints:
            if not any(h.get("key") == t["key"] and h.get("effect") == t["effect"] for h in have):
                have.append({k: v for k, v in t.items() if k in ("key", "value", "effect")})
        node.setdefault("apiVersion", "v1")
        node.setdefault("kind", "Node")
        try:
            client.request("PUT", "/api/v1/nodes/" + name, node)
            return
        except kubeclient.APIError as e:
            if e.code != 409:
                raise
    raise KubeadmError("unable to mark node %s as control-plane: conflict" % name, "mark-control-plane")


# ---------------- tokens and cluster-info ----------------
def new_token():
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "%s.%s" % ("".join(secrets.choice(alphabet) for _ in range(6)),
                      "".join(secrets.choice(alphabet) for _ in range(16)))


def token_secret(token, ttl="24h", description=None, usages=("signing", "authentication"),
                 groups=("system:bootstrappers:kubeadm:default-node-token",)):
    tid, secret = token.split(".")
    data = {"token-id": tid, "token-secret": secret, "auth-extra-groups": ",".join(groups)}
    secs = duration_seconds(ttl, 86400)
    if secs > 0:
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=secs)
        data["expiration"] = exp.strftime("%Y-%m-%dT%H:%M:%SZ")
    for u in usages:
        data["usage-bootstrap-" + u] = "true"
    if description:
        data["description"] = description
    return {"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
            "metadata": {"name": "bootstrap-token-" + tid, "namespace": "kube-system"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def cluster_info(server):
    ca = base64.b64encode(host.read(PKI + "/ca.crt").encode()).decode()
    kubeconfig = ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
                  "  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n"
                  % (ca, server))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-info", "namespace": "kube-public"},
            "data": {"kubeconfig": kubeconfig}}


WITHHELD = "<value withheld>"


def join_command(server_ep, token, key=None, hide_token=False, hide_key=False):
    """cmd/kubeadm/app/cmd/util/join.go: --skip-token-print and --skip-certificate-key-print withhold them."""
    ca_hash = pki.ca_cert_hash(host.read(PKI + "/ca.crt"))
    cmd = "kubeadm join %s --token %s \\\n\t--discovery-token-ca-cert-hash %s" % (
        server_ep, WITHHELD if hide_token else token, ca_hash)
    if key:
        cmd += " \\\n\t--control-plane --certificate-key %s" % (WITHHELD if hide_key else key)
    return cmd


# ---------------- upload-certs ----------------
def encrypt(key_hex, data):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    return nonce + AESGCM(bytes.fromhex(key_hex)).encrypt(nonce, data, None)


def decrypt(key_hex, data):
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        return AESGCM(bytes.fromhex(key_hex)).decrypt(data[:12], data[12:], None)
    except (InvalidTag, ValueError):
        raise KubeadmError("error decoding secret data with provided key: cipher: message authentication failed",
                           "control-plane-prepare/download-certs")


def upload_certs(client, key, cluster, show_key=True):
    say("[upload-certs] Storing the certificates in Secret \"kubeadm-certs\" in the \"kube-system\" Namespace")
    data = {}
    for name, path in cert_files(cluster).items():
        content = host.read(path)
        if content is None:
            continue
        data[name] = base64.b64encode(encrypt(key, content.encode())).decode()
    token = new_token()
    client.apply("/api/v1/namespaces/kube-system/secrets", token_secret(token, "2h", "Proxy for managing TTL for "
                                                                        "the kubeadm-certs secret", usages=(),
                                                                        groups=()))
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": "kubeadm-certs", "namespace": "kube-system"}, "data": data}
    client.apply("/api/v1/namespaces/kube-system/secrets", secret)
    if show_key:
        say("[upload-certs] Using certificate key:\n" + key)


# ---------------- init ----------------
INIT_FLAGS = dict(COMMON, **{
    "config": "str", "ignore-preflight-errors": "list", "upload-certs": "bool", "certificate-key": "str",
    "skip-phases": "list", "node-name": "str", "apiserver-advertise-address": "str", "apiserver-bind-port": "str",
    "pod-network-cidr": "str", "service-cidr": "str", "kubernetes-version": "str", "control-plane-endpoint": "str",
    "cri-socket": "str", "token": "str", "token-ttl": "str", "skip-token-print": "bool",
    "skip-certificate-key-print": "bool", "dry-run": "bool", "apiserver-cert-extra-sans": "list",
    "image-repository": "str", "service-dns-domain": "str", "patches": "str", "feature-gates": "str",
    "cert-dir": "str"})
def init_config(flags):
    by_kind = load_config(flags["config"]) if flags.get("config") else {}
    init = dict(by_kind.get("InitConfiguration") or {})
    if "certificate-key" in flags:
        check_key(flags["certificate-key"])
        init["certificateKey"] = flags["certificate-key"]
    cluster = json.loads(json.dumps(by_kind.get("ClusterConfiguration") or {}))
    if "pod-network-cidr" in flags:
        cluster.setdefault("networking", {})["podSubnet"] = flags["pod-network-cidr"]
    if "service-cidr" in flags:
        cluster.setdefault("networking", {})["serviceSubnet"] = flags["service-cidr"]
    if "control-plane-endpoint" in flags:
        cluster["controlPlaneEndpoint"] = flags["control-plane-endpoint"]
    if "kubernetes-version" in flags:
        cluster["kubernetesVersion"] = flags["kubernetes-version"]
    if "apiserver-cert-extra-sans" in flags:
        cluster.setdefault("apiServer", {})["certSANs"] = flags["apiserver-cert-extra-sans"]
    if "image-repository" in flags:
        cluster["imageRepository"] = flags["image-repository"]
    node_reg = dict(init.get("nodeRegistration") or {})
    if "cri-socket" in flags:
        node_reg["criSocket"] = flags["cri-socket"]
    if "node-name" in flags:
        node_reg["name"] = flags["node-name"]
    ep = dict(init.get("localAPIEndpoint") or {})
    if "apiserver-advertise-address" in flags:
        ep["advertiseAddress"] = flags["apiserver-advertise-address"]
    if "apiserver-bind-port" in flags:
        ep["bindPort"] = int(flags["apiserver-bind-port"])
    return by_kind, init, cluster, node_reg, ep


def resolve_version(cluster):
    kv = kubeadm_version()
    v = cluster.get("kubernetesVersion") or kv
    if v in ("stable", "latest", "stable-1"):
        v = kv
    if not v.startswith("v"):
        v = "v" + v
    if minor(v) > minor(kv):
        raise KubeadmError("the specified version to deploy (%s) is at least one minor release higher than the "
                           "kubeadm minor release (%d > %d). Such deployment is not supported"
                           % (v, minor(v)[1], minor(kv)[1]))
    if minor(kv)[1] - minor(v)[1] > 1:
        raise KubeadmError("this version of kubeadm only supports deploying clusters with the control plane version "
                           ">= %d.%d.0. Current version: %s" % (minor(kv)[0], minor(kv)[1] - 1, v))
    return v


def timeouts(init, cluster, which):
    t = (init.get("timeouts") or {}).get(which)
    if t:
        return duration_seconds(t, 240)
    if which == "controlPlaneComponentHealthCheck":
        return duration_seconds((cluster.get("apiServer") or {}).get("timeoutForControlPlane"), 240)
    return 240


def cmd_init(argv):
    if argv and argv[0] == "phase":
        return cmd_init_phase(argv[1:])
    flags, pos = parse_flags(argv, INIT_FLAGS)
    if pos:
        raise KubeadmError('unknown command "%s" for "kubeadm init"' % pos[0])
    check_mix(flags)
    by_kind, init, cluster, node_reg, ep = init_config(flags)
    set_active_timeouts(init)
    version = resolve_version(cluster)
    cluster["kubernetesVersion"] = version
    say("[init] Using Kubernetes version: %s" % version)
    addr = ep.get("advertiseAddress") or host.address()
    port = int(ep.get("bindPort") or 6443)
    name = (node_reg.get("name") or host.hostname()).lower()
    skip = set(flags.get("skip-phases", []) + list(init.get("skipPhases") or []))
    ignore = flags.get("ignore-preflight-errors", []) + list(node_reg.get("ignorePreflightErrors") or [])
    # etcd's ports and data directory only for a local etcd (RunInitNodeChecks)
    external = etcd_external(cluster)
    checks = common_checks(node_reg, version, [port, 10259, 10257, 10250] + ([] if external else [2379, 2380]), addr)
    for f in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        p = MANIFESTS + "/%s.yaml" % f
        if host.exists(p):
            checks.append(("FileAvailable-%s" % p.replace("/", "-"), "%s already exists" % p, True))
    data_dir = ((cluster.get("etcd") or {}).get("local") or {}).get("dataDir") or "/var/lib/etcd"
    if not external and os.path.isdir(host.path(data_dir)) and os.listdir(host.path(data_dir)):
        checks.append(("DirAvailable-%s" % data_dir.replace("/", "-"), "%s is not empty" % data_dir, True))
    checks += external_etcd_version_check(cluster)
    preflight(checks, ignore)
    say("[preflight] Pulling images required for setting up a Kubernetes cluster")
    algo = cluster.get("encryptionAlgorithm") or "RSA-2048"
    say("[certs] Using certificateDir folder \"%s\"" % PKI)
    if not host.exists(PKI + "/ca.crt"):
        say("[certs] Generating \"ca\" certificate and key")
        pki.new_ca(PKI + "/ca", "kubernetes", algo)
    if not host.exists(PKI + "/front-proxy-ca.crt"):
        say("[certs] Generating \"front-proxy-ca\" certificate and key")
        pki.new_ca(PKI + "/front-proxy-ca", "front-proxy-ca", algo)
    if etcd_external(cluster):
        say("[certs] External etcd mode: Skipping etcd/ca certificate authority generation")
    elif not host.exists(PKI + "/etcd/ca.crt"):
        say("[certs] Generating \"etcd/ca\" certificate and key")
        pki.new_ca(PKI + "/etcd/ca", "etcd-ca", algo)
    node_certs(name, addr, cluster, algo)
    if not host.exists(PKI + "/sa.key"):
        say("[certs] Generating \"sa\" key and public key")
        pki.new_sa_keypair()
    endpoint = cluster.get("controlPlaneEndpoint") or "%s:%d" % (addr, port)
    if ":" not in endpoint:
        endpoint += ":%d" % port
    server = "https://" + endpoint
    kubeconfigs(name, server, "https://%s:%d" % (addr, port), algo)
    local = (cluster.get("etcd") or {}).get("local") is not None or not (cluster.get("etcd") or {}).get("external")
    if local:
        write_manifest("etcd", etcd_manifest(name, addr, cluster, "%s=https://%s:2380" % (name, addr), None))
    say("[control-plane] Using manifest folder \"%s\"" % MANIFESTS)
    write_manifest("kube-apiserver", apiserver_manifest(addr, port, cluster, version))
    write_manifest("kube-controller-manager", component_manifest(
        "kube-controller-manager", cluster, version, "/etc/kubernetes/controller-manager.conf"))
    write_manifest("kube-scheduler", component_manifest("kube-scheduler", cluster, version,
                                                        "/etc/kubernetes/scheduler.conf"))
    kc = kubelet_config(by_kind, cluster)
    start_kubelet(kc, node_reg, name, addr)
    say("[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "
        "\"%s\"" % MANIFESTS)
    wait_kubelet(addr, timeouts(init, cluster, "kubeletHealthCheck"))
    if wait_all_control_plane_components(cluster):
        control_plane_check(addr, port, timeouts(init, cluster, "controlPlaneComponentHealthCheck"),
                            node_reg.get("criSocket") or "unix:///var/run/containerd/containerd.sock", False)
    else:
        wait_apiserver(addr, port, timeouts(init, cluster, "controlPlaneComponentHealthCheck"))
    client = admin_client()
    upload_cluster_config(client, by_kind, cluster)
    upload_kubelet_config(client, kc)
    key = None
    if flags.get("upload-certs") and "upload-certs" not in skip:
        key = init.get("certificateKey") or secrets.token_hex(32)
        upload_certs(client, key, cluster, not flags.get("skip-certificate-key-print"))
    else:
        say("[upload-certs] Skipping phase. Please see --upload-certs")
    if "mark-control-plane" not in skip:
        mark_control_plane(client, name, node_reg)
    tokens = [t.get("token") for t in init.get("bootstrapTokens") or [] if t.get("token")] or [
        flags.get("token") or new_token()]
    say("[bootstrap-token] Using token: %s" % ("<value withheld>" if flags.get("skip-token-print") else tokens[0]))
    say("[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles")
    specs = {t.get("token"): t for t in init.get("bootstrapTokens") or []}
    for t in tokens:
        spec = specs.get(t) or {}
        client.apply("/api/v1/namespaces/kube-system/secrets", token_secret(
            t, spec.get("ttl") or flags.get("token-ttl") or "24h", spec.get("description"),
            tuple(spec.get("usages") or ("signing", "authentication")),
            tuple(spec.get("groups") or ("system:bootstrappers:kubeadm:default-node-token",))))
    say("[bootstrap-token] Creating the \"cluster-info\" ConfigMap in the \"kube-public\" namespace")
    client.apply("/api/v1/namespaces/kube-public/configmaps", cluster_info(server))
    addons(client, cluster, skip, version, server)
    say("\nYour Kubernetes control-plane has initialized successfully!\n\nTo start using your cluster, you need to run "
        "the following as a regular user:\n\n  mkdir -p $HOME/.kube\n  sudo cp -i /etc/kubernetes/admin.conf "
        "$HOME/.kube/config\n  sudo chown $(id -u):$(id -g) $HOME/.kube/config\n")
    hide_token, hide_key = flags.get("skip-token-print"), flags.get("skip-certificate-key-print")
    if cluster.get("controlPlaneEndpoint") and key:
        say("You can now join any number of control-plane nodes running the following command on each as root:\n\n  "
            + join_command(endpoint, tokens[0], key, hide_token, hide_key) + "\n")
    say("Then you can join any number of worker nodes by running the following on each as root:\n\n"
        + join_command(endpoint, tokens[0], hide_token=hide_token))
    return 0


def upload_cluster_config(client, by_kind, cluster):
    say("[upload-config] Storing the configuration used in ConfigMap \"kubeadm-config\" in the \"kube-system\" "
        "Namespace")
    stored = dict(cluster, apiVersion=(by_kind.get("ClusterConfiguration") or {}).get(
        "apiVersion", "kubeadm.k8s.io/v1beta4"), kind="ClusterConfiguration")
    stored.setdefault("networking", {}).setdefault("serviceSubnet", "10.96.0.0/12")
    stored["networking"].setdefault("dnsDomain", "cluster.local")
    stored.setdefault("certificatesDir", PKI)
    stored.setdefault("clusterName", "kubernetes")
    stored.setdefault("imageRepository", "registry.k8s.io")
    if not (cluster.get("etcd") or {}).get("external"):
        data_dir = ((cluster.get("etcd") or {}).get("local") or {}).get("dataDir") or "/var/lib/etcd"
        stored.setdefault("etcd", {}).setdefault("local", {}).setdefault("dataDir", data_dir)
    client.apply("/api/v1/namespaces/kube-system/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
        "data": {"ClusterConfiguration": yaml.safe_dump(stored, default_flow_style=False)}})


def upload_kubelet_config(client, kc):
    say("[kubelet] Creating a ConfigMap \"kubelet-config\" in namespace kube-system with the configuration for the "
        "kubelets in the cluster")
    client.apply("/api/v1/namespaces/kube-system/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubelet-config", "namespace": "kube-system"},
        "data": {"kubelet": yaml.safe_dump(kc, default_flow_style=False)}})


def dns_image(cluster):
    """images.GetDNSImage (cmd/kubeadm/app/images/images.go)."""
    dns = cluster.get("dns") or {}
    repo = dns.get("imageRepository") or cluster.get("imageRepository") or "registry.k8s.io"
    if repo == "registry.k8s.io":
        repo += "/coredns"
    return "%s/coredns:%s" % (repo, dns.get("imageTag") or image_pins()["coredns"])


def addons(client, cluster, skip, version, server):
    if not ((cluster.get("dns") or {}).get("disabled") or "addon/coredns" in skip or "addon" in skip):
        labels = {"k8s-app": "kube-dns"}
        client.apply("/apis/apps/v1/namespaces/kube-system/deployments", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"priorityClassName": "system-cluster-critical",
                                           "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                                           {"key": "node-role.kubernetes.io/control-plane",
                                                            "effect": "NoSchedule"}],
                                           "containers": [{"name": "coredns",
                                                           "image": dns_image(cluster)}]}}}})
        client.apply("/api/v1/namespaces/kube-system/services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
            "spec": {"selector": labels, "clusterIP": dns_ip(cluster),
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]}})
        say("[addons] Applied essential addon: CoreDNS")
    if not ((cluster.get("proxy") or {}).get("disabled") or "addon/kube-proxy" in skip or "addon" in skip):
        labels = {"k8s-app": "kube-proxy"}
        # as kubeadm writes it: kube-proxy reaches the API through the control-plane endpoint
        client.apply("/api/v1/namespaces/kube-system/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"app": "kube-proxy"}},
            "data": {"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n",
                     "kubeconfig.conf": (
                         "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: "
                         "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: %s\n  name: default\n"
                         "contexts:\n- context:\n    cluster: default\n    namespace: default\n    user: default\n"
                         "  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n"
                         "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n") % server}})
        client.apply("/apis/apps/v1/namespaces/kube-system/daemonsets", {
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": labels},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"priorityClassName": "system-node-critical", "hostNetwork": True,
                                           "tolerations": [{"operator": "Exists"}],
                                           "containers": [{"name": "kube-proxy",
                                                           "image": "%s/kube-proxy:%s" % (
                                                               cluster.get("imageRepository") or "registry.k8s.io",
                                                               version)}]}}}})
        say("[addons] Applied essential addon: kube-proxy")


PHASE_COMPONENTS = {"apiserver": "kube-apiserver", "controller-manager": "kube-controller-manager",
                    "scheduler": "kube-scheduler"}


def phase_flags(phase, sub):
    """The flags a phase subcommand inherits from init (its InheritFlags in
    cmd/kubeadm/app/cmd/phases/init/{certs,controlplane,uploadconfig,uploadcerts}.go)."""
    if phase == "certs":
        spec = {"cert-dir": "str", "config": "str", "kubernetes-version": "str", "dry-run": "bool"}
        if sub in ("all", "apiserver"):
            spec.update({"apiserver-advertise-address": "str", "control-plane-endpoint": "str",
                         "apiserver-cert-extra-sans": "list", "service-dns-domain": "str", "service-cidr": "str"})
    elif phase == "control-plane":
        spec = {"config": "str", "cert-dir": "str", "kubernetes-version": "str", "image-repository": "str",
                "patches": "str", "dry-run": "bool"}
        if sub in ("all", "apiserver"):
            spec.update({"apiserver-advertise-address": "str", "control-plane-endpoint": "str",
                         "apiserver-bind-port": "str", "apiserver-extra-args": "str", "feature-gates": "str",
                         "service-cidr": "str"})
        if sub in ("all", "controller-manager"):
            spec.update({"controller-manager-extra-args": "str", "pod-network-cidr": "str"})
        if sub in ("all", "scheduler"):
            spec["scheduler-extra-args"] = "str"
    elif phase == "upload-config":
        spec = {"config": "str", "cri-socket": "str", "kubeconfig": "str", "dry-run": "bool"}
    else:  # upload-certs
        spec = {"config": "str", "kubeconfig": "str", "upload-certs": "bool", "certificate-key": "str",
                "skip-certificate-key-print": "bool", "dry-run": "bool"}
    return dict(COMMON, **spec)


def phase_setup(argv, subs, phase):
    """Flags and the node's view of the config for `kubeadm init phase PHASE SUB`."""
    if subs is not None and (not argv or argv[0] not in subs):
        raise KubeadmError("unknown command \"%s\" for \"kubeadm init phase %s\"" % (argv[0] if argv else "",
                                                                                   phase))
    sub = argv[0] if subs is not None else None
    flags, pos = parse_flags(argv[1:] if sub else argv, phase_flags(phase, sub))
    if pos:
        raise KubeadmError("unknown command \"%s\" for \"kubeadm init phase %s%s\"" % (
            pos[0], phase, " " + sub if sub else ""))
    check_mix(flags)
    by_kind, init, cluster, node_reg, ep = init_config(flags)
    version = resolve_version(cluster)
    cluster["kubernetesVersion"] = version
    addr = ep.get("advertiseAddress") or host.address()
    port = int(ep.get("bindPort") or 6443)
    name = (node_reg.get("name") or host.hostname()).lower()
    return sub, flags, by_kind, init, cluster, node_reg, addr, port, name, version


def cert_sans(pem):
    """The subjectAltName entries of a certificate as kubeadm's "DNS:x"/"IP:y" strings."""
    r = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=pem.encode(),
                       capture_output=True)
    text = r.stdout.decode().split("\n", 1)[-1]
    return {s.strip().replace("IP Address:", "IP:") for s in text.split(",") if s.strip()}


def phase_control_plane(argv):
    sub, flags, by_kind, init, cluster, node_reg, addr, port, name, version = phase_setup(
        argv, ["all"] + list(PHASE_COMPONENTS), "control-plane")
    say("[control-plane] Using manifest folder \"%s\"" % MANIFESTS)
    for short, comp in PHASE_COMPONENTS.items():
        if sub not in ("all", short):
            continue
        if comp == "kube-apiserver":
            write_manifest(comp, apiserver_manifest(addr, port, cluster, version))
        else:
            write_manifest(comp, component_manifest(comp, cluster, version,
                                                    "/etc/kubernetes/%s.conf" % short))
    return 0


def phase_certs(argv):
    sub, flags, by_kind, init, cluster, node_reg, addr, port, name, version = phase_setup(argv, ["apiserver"],
                                                                                          "certs")
    net = cluster.get("networking") or {}
    want = apiserver_sans(name, addr, cluster.get("controlPlaneEndpoint") or "",
                          (cluster.get("apiServer") or {}).get("certSANs"),
                          net.get("serviceSubnet") or "10.96.0.0/12")
    if not host.exists(PKI + "/ca.crt") or not host.exists(PKI + "/ca.key"):
        raise KubeadmError("failure loading ca certificate authority: couldn't load the certificate file %s/ca.crt: "
                           "open %s/ca.crt: no such file or directory" % (PKI, PKI), "certs/apiserver")
    existing = host.read(PKI + "/apiserver.crt")
    if existing is not None and host.exists(PKI + "/apiserver.key"):
        # Like kubeadm: an existing certificate is kept if it is valid for every
        # name, and refused (not replaced) if it is not.
        missing = [s.split(":", 1)[1] for s in want if s not in cert_sans(existing)]
        if missing:
            raise KubeadmError("failed to write or validate certificate \"apiserver\": certificate apiserver is "
                               "invalid: x509: certificate is not valid for %s" % ", ".join(missing),
                               "certs/apiserver")
        say("[certs] Using existing apiserver certificate and key on disk")
        return 0
    say("[certs] Generating \"apiserver\" certificate and key")
    dns = [s[4:] for s in want if s.startswith("DNS:")]
    ips = [s[3:] for s in want if s.startswith("IP:")]
    say("[certs] apiserver serving cert is signed for DNS names [%s] and IPs [%s]" % (" ".join(dns), " ".join(ips)))
    pki.new_cert(PKI + "/apiserver", PKI + "/ca", "kube-apiserver", (), ("serverAuth",), want,
                 cluster.get("encryptionAlgorithm") or "RSA-2048")
    return 0


def phase_upload_config(argv):
    sub, flags, by_kind, init, cluster, node_reg, addr, port, name, version = phase_setup(
        argv, ["all", "kubeadm", "kubelet"], "upload-config")
    client = kubeclient.Client.from_kubeconfig(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf")
    try:
        if sub in ("all", "kubeadm"):
            upload_cluster_config(client, by_kind, cluster)
        if sub in ("all", "kubelet"):
            upload_kubelet_config(client, kubelet_config(by_kind, cluster))
    except kubeclient.APIError as e:
        raise KubeadmError("error uploading configuration: %s" % e, "upload-config/" + sub)
    return 0


def cmd_init_phase(argv):
    phases = {"control-plane": phase_control_plane, "certs": phase_certs, "upload-config": phase_upload_config}
    if argv and argv[0] in phases:
        return phases[argv[0]](argv[1:])
    if not argv or argv[0] != "upload-certs":
        raise KubeadmError("the emulator supports only these phases of 'kubeadm init phase': upload-certs, %s"
                           % ", ".join(sorted(phases)))
    sub, flags, by_kind, init, cluster, node_reg, addr, port, name, version = phase_setup(argv[1:], None,
                                                                                          "upload-certs")
    if not flags.get("upload-certs"):
        say("[upload-certs] Skipping phase. Please see --upload-certs")
        return 0
    client = kubeclient.Client.from_kubeconfig(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf")
    # the key of the file (InitConfiguration.certificateKey) or of --certificate-key, else a new one
    key = init.get("certificateKey") or secrets.token_hex(32)
    try:
        upload_certs(client, key, cluster, not flags.get("skip-certificate-key-print"))
    except kubeclient.APIError as e:
        raise KubeadmError("error uploading certs: %s" % e, "upload-certs")
    return 0


# ---------------- join ----------------
JOIN_FLAGS = dict(COMMON, **{
    "config": "str", "token": "str", "discovery-token": "str", "discovery-token-ca-cert-hash": "list",
    "discovery-token-unsafe-skip-ca-verification": "bool", "tls-bootstrap-token": "str", "control-plane": "bool",
    "certificate-key": "str", "node-name": "str", "apiserver-advertise-address": "str",
    "apiserver-bind-port": "str", "cri-socket": "str", "ignore-preflight-errors": "list", "skip-phases": "list",
    "dry-run": "bool", "discovery-file": "str", "patches": "str"})


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def discover(endpoint, token, hashes, unsafe):
    say("[discovery] Trying to connect to API Server \"%s\"" % endpoint)
    tid, _, tsecret = token.partition(".")
    anon = kubeclient.Client("https://" + endpoint, verify=False, timeout=5)
    deadline = time.time() + 30
    cm = None
    while cm is None:
        try:
            cm = anon.get("/api/v1/namespaces/kube-public/configmaps/cluster-info")
        except kubeclient.APIError as e:
            if time.time() > deadline:
                raise KubeadmError("couldn't validate the identity of the API Server: %s" % e, "preflight")
            time.sleep(0.5)
    data = cm.get("data") or {}
    sig = data.get("jws-kubeconfig-" + tid)
    if sig is None:
        raise KubeadmError("couldn't validate the identity of the API Server: could not find a JWS signature in the "
                           "cluster-info ConfigMap for token ID \"%s\"" % tid, "preflight")
    header, _, mac = sig.partition("..")
    payload = base64.urlsafe_b64encode(data["kubeconfig"].encode()).rstrip(b"=").decode()
    want = hmac.new(tsecret.encode(), (header + "." + payload).encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(want, b64url_decode(mac)):
        raise KubeadmError("couldn't validate the identity of the API Server: failed to verify JWS signature of "
                           "received cluster info object, can't trust this API Server", "preflight")
    cfg = yaml.safe_load(data["kubeconfig"])
    cluster = cfg["clusters"][0]["cluster"]
    ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
    got = pki.ca_cert_hash(ca)
    if not unsafe and got not in hashes:
        raise KubeadmError("couldn't validate the identity of the API Server: cluster CA found in cluster-info "
                           "ConfigMap is invalid: none of the public keys \"%s\" are pinned" % got, "preflight")
    say("[discovery] Cluster info signature and contents are valid and TLS certificate validates against pinned "
        "roots, will use API Server \"%s\"" % endpoint)
    return ca, cluster["server"]


def cmd_join(argv):
    flags, pos = parse_flags(argv, JOIN_FLAGS)
    check_mix(flags)
    by_kind = load_config(flags["config"]) if flags.get("config") else {}
    jc = by_kind.get("JoinConfiguration") or {}
    if flags.get("config") and not jc:
        raise KubeadmError("no JoinConfiguration found in the supplied config")
    set_active_timeouts(jc)
    disc = (jc.get("discovery") or {}).get("bootstrapToken") or {}
    endpoint = pos[0] if pos else disc.get("apiServerEndpoint")
    token = flags.get("discovery-token") or flags.get("token") or disc.get("token")
    hashes = flags.get("discovery-token-ca-cert-hash") or disc.get("caCertHashes") or []
    unsafe = flags.get("discovery-token-unsafe-skip-ca-verification") or disc.get("unsafeSkipCAVerification")
    if not endpoint or not token:
        raise KubeadmError("discovery: Invalid value: \"\": bootstrapToken or file must be set")
    if not re.match(r"^[a-z0-9]{6}\.[a-z0-9]{16}$", token):
        raise KubeadmError("discovery.bootstrapToken.token: Invalid value: \"%s\": the bootstrap token is invalid"
                           % token)
    if not hashes and not unsafe:
        raise KubeadmError("discovery.bootstrapToken: Invalid value: \"\": using token-based discovery without "
                           "caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config "
                           "file or pass --discovery-token-unsafe-skip-ca-verification flag to continue")
    node_reg = dict(jc.get("nodeRegistration") or {})
    if "node-name" in flags:
        node_reg["name"] = flags["node-name"]
    if "cri-socket" in flags:
        node_reg["criSocket"] = flags["cri-socket"]
    cp = jc.get("controlPlane")
    control_plane = flags.get("control-plane") or cp is not None
    cp = dict(cp or {})
    ep = dict(cp.get("localAPIEndpoint") or {})
    if "apiserver-advertise-address" in flags:
        ep["advertiseAddress"] = flags["apiserver-advertise-address"]
    addr = ep.get("advertiseAddress") or host.address()
    port = int(flags.get("apiserver-bind-port") or ep.get("bindPort") or 6443)
    name = (node_reg.get("name") or host.hostname()).lower()
    if "certificate-key" in flags:
        check_key(flags["certificate-key"], "controlPlane.certificateKey")
    key = flags.get("certificate-key") or cp.get("certificateKey")
    ignore = flags.get("ignore-preflight-errors", []) + list(node_reg.get("ignorePreflightErrors") or [])
    ports = [port, 10259, 10257, 10250, 2379, 2380] if control_plane else [10250]
    checks = common_checks(node_reg, kubeadm_version(), ports, addr)
    for f in ("/etc/kubernetes/kubelet.conf", "/etc/kubernetes/bootstrap-kubelet.conf", PKI + "/ca.crt"):
        if host.exists(f):
            checks.append(("FileAvailable-%s" % f.replace("/", "-"), "%s already exists" % f, True))
    if control_plane:
        for f in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
            p = MANIFESTS + "/%s.yaml" % f
            if host.exists(p):
                checks.append(("FileAvailable-%s" % p.replace("/", "-"), "%s already exists" % p, True))
    preflight(checks, ignore)
    ca, server = discover(endpoint, token, hashes, unsafe)
    boot = kubeclient.Client(server, ca, token=token, timeout=10)
    say("[preflight] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"...")
    try:
        cm = boot.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
        kcm = boot.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")
    except kubeclient.APIError as e:
        raise KubeadmError("unable to fetch the kubeadm-config ConfigMap: %s" % e, "preflight")
    cluster = yaml.safe_load(cm["data"]["ClusterConfiguration"])
    kc = yaml.safe_load(kcm["data"]["kubelet"])
    if control_plane:
        if not cluster.get("controlPlaneEndpoint"):
            raise KubeadmError("\nOne or more conditions for hosting a new control plane instance is not satisfied."
                               "\n\nunable to add a new control plane instance to a cluster that doesn't have a "
                               "stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable "
                               "controlPlaneEndpoint address.\n* The certificates that must be shared among control "
                               "plane instances are provided.\n", "preflight")
        if not key:
            raise KubeadmError("\nOne or more conditions for hosting a new control plane instance is not satisfied."
                               "\n\n[failure loading certificate for CA: couldn't load the certificate file "
                               "%s/ca.crt: open %s/ca.crt: no such file or directory]" % (PKI, PKI), "preflight")
        join_control_plane_prepare(boot, key, name, addr, port, cluster)
        check_etcd(cluster)
    local_mode = kubelet_local_mode(cluster)
    # With ControlPlaneKubeletLocalMode a control plane's kubelet TLS-bootstraps through
    # the API server of its own node (runKubeletStartJoinPhase, phases/join/kubelet.go),
    # which answers only once the local etcd member has joined: hence etcd-join before
    # kubelet-wait-bootstrap. Without it kubelet-start ends with the bootstrap through the
    # discovered endpoint and the etcd subphase of control-plane-join follows.
    boot_server = "https://%s:%d" % (addr, port) if control_plane and local_mode else server
    kubelet_start(boot, ca, boot_server, token, kc, node_reg, name, addr, jc, local_mode)
    if control_plane and local_mode:
        join_etcd(name, addr, cluster, "etcd-join")
    if local_mode:
        kubelet_wait_bootstrap(addr, jc, "kubelet-wait-bootstrap")
    if control_plane:
        if not local_mode:
            join_etcd(name, addr, cluster, "control-plane-join/etcd")
        mark_control_plane(admin_client(), name, node_reg)
        # wait-control-plane follows control-plane-join (cmd/join.go)
        if wait_all_control_plane_components(cluster):
            control_plane_check(addr, port, active_timeout("controlPlaneComponentHealthCheck"),
                                node_reg.get("criSocket") or "unix:///var/run/containerd/containerd.sock", True)
        else:
            wait_apiserver(addr, port, 240)
        # joinControlPlaneDoneTemp (cmd/join.go) names the etcd member only for a stacked etcd
        say("\nThis node has joined the cluster and a new control plane instance was created:\n\n* Certificate signing "
            "request was sent to apiserver and approval was received.\n* The Kubelet was informed of the new secure "
            "connection details.\n* Control plane label and taint were applied to the new node.\n* The Kubernetes "
            "control plane instances scaled up.\n%s\n" % ("" if etcd_external(cluster) else
                                                          "* A new etcd member was added to the local/stacked etcd "
                                                          "cluster."))
    else:
        say("\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response "
            "was received.\n* The Kubelet was informed of the new secure connection details.\n\nRun 'kubectl get "
            "nodes' on the control-plane to see this node join the cluster.\n")
    return 0


def node_not_ready(boot, name):
    """kubeadm's kubelet-start phase (cmd/kubeadm/app/cmd/phases/join/kubelet.go) refuses a name a Ready Node has."""
    try:
        node = boot.get("/api/v1/nodes/" + name)
    except kubeclient.APIError as e:
        if e.code == 404:
            return
        raise KubeadmError("cannot get Node \"%s\": %s" % (name, e), "kubelet-start")
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            raise KubeadmError("a Node with name \"%s\" and status \"Ready\" already exists in the cluster. You must "
                               "delete the existing Node or change the name of this new joining Node" % name,
                               "kubelet-start")


def join_control_plane_prepare(boot, key, name, addr, port, cluster):
    say("[control-plane-prepare] Downloading the certificates in Secret \"kubeadm-certs\" in the \"kube-system\" "
        "Namespace")
    try:
        secret = boot.get("/api/v1/namespaces/kube-system/secrets/kubeadm-certs")
    except kubeclient.APIError as e:
        if e.code == 404:
            raise KubeadmError("error downloading certs: error downloading the secret: Secret \"kubeadm-certs\" was "
                               "not found in the \"kube-system\" Namespace. This Secret might have expired. Please, run "
                               "`kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new "
                               "one", "control-plane-prepare/download-certs")
        raise KubeadmError("error downloading certs: %s" % e, "control-plane-prepare/download-certs")
    for key_name, path in cert_files(cluster).items():
        enc = (secret.get("data") or {}).get(key_name)
        if enc is None:
            continue
        content = decrypt(key, base64.b64decode(enc)).decode()
        host.write(path, content, 0o600 if path.endswith(".key") else 0o644)
    algo = cluster.get("encryptionAlgorithm") or "RSA-2048"
    say("[certs] Using certificateDir folder \"%s\"" % PKI)
    node_certs(name, addr, cluster, algo)
    ep = cluster["controlPlaneEndpoint"]
    if ":" not in ep:
        ep += ":6443"
    kubeconfigs_cp(name, "https://" + ep, "https://%s:%d" % (addr, port), algo)
    say("[control-plane] Using manifest folder \"%s\"" % MANIFESTS)
    version = cluster.get("kubernetesVersion") or kubeadm_version()
    write_manifest("kube-apiserver", apiserver_manifest(addr, port, cluster, version))
    write_manifest("kube-controller-manager", component_manifest(
        "kube-controller-manager", cluster, version, "/etc/kubernetes/controller-manager.conf"))
    write_manifest("kube-scheduler", component_manifest("kube-scheduler", cluster, version,
                                                        "/etc/kubernetes/scheduler.conf"))


def kubeconfigs_cp(name, server_ep, local_ep, algo):
    say("[kubeconfig] Generating kubeconfig files")
    for f, server, cn, orgs in (("admin.conf", server_ep, "kubernetes-admin", ["kubeadm:cluster-admins"]),
                                ("controller-manager.conf", local_ep, "system:kube-controller-manager", []),
                                ("scheduler.conf", local_ep, "system:kube-scheduler", [])):
        say("[kubeconfig] Writing \"%s\" kubeconfig file" % f)
        pki.write_kubeconfig("/etc/kubernetes/" + f, server, cn, orgs, algo)


def etcd_client(endpoints):
    return etcd.Client(endpoints, host.path(PKI + "/etcd/ca.crt"), host.path(PKI + "/apiserver-etcd-client.crt"),
                       host.path(PKI + "/apiserver-etcd-client.key"))


def etcd_endpoints(client):
    pods = client.get("/api/v1/namespaces/kube-system/pods?labelSelector=component%3Detcd%2Ctier%3Dcontrol-plane")
    eps = []
    for p in pods.get("items") or []:
        url = (p["metadata"].get("annotations") or {}).get("kubeadm.kubernetes.io/etcd.advertise-client-urls")
        if url:
            eps.append(url)
    return eps


# The last etcd error kubeadm prints when MemberAddAsLearner keeps failing until
# its EtcdAPICall timeout (go.etcd.io/etcd/api/v3/v3rpc/rpctypes/error.go):
# the newest member not connected long enough (ErrGRPCUnhealthy), or another
# member's learner still in the cluster (ErrGRPCTooManyLearners).
JOIN_FAULTS = {
    "etcd-unhealthy": "etcdserver: unhealthy cluster",
    "etcd-too-many-learners": "etcdserver: too many learner members in cluster",
}


def join_fault():
    """The etcd error of a test's kubeadm-fault.json for this join (its count
    goes down by one), or None."""
    fault = host.load_state("kubeadm-fault.json", {})
    if fault.get("join") not in JOIN_FAULTS or fault.get("count", 1) < 1:
        return None
    fault["count"] = fault.get("count", 1) - 1
    host.save_state("kubeadm-fault.json", fault)
    return JOIN_FAULTS[fault["join"]]


# kubeadm's timeouts (apis/kubeadm/timeoututils.go SetDefaultTimeouts, constants.go); the
# configuration's `timeouts` replace them (SetActiveTimeouts) for the whole command
TIMEOUT_DEFAULTS = {"controlPlaneComponentHealthCheck": 240, "kubeletHealthCheck": 240, "kubernetesAPICall": 60,
                    "etcdAPICall": 120, "tlsBootstrap": 300, "discovery": 300}
ACTIVE_TIMEOUTS = {}
KUBERNETES_API_CALL_RETRY_INTERVAL = 0.5   # constants.KubernetesAPICallRetryInterval
ETCD_API_CALL_RETRY_INTERVAL = 0.5         # constants.EtcdAPICallRetryInterval
ETCD_CALL_TIMEOUT = 2                      # etcdTimeout (util/etcd/etcd.go), one etcd request
ETCD_HEALTHY_CHECK_INTERVAL = 5            # etcdHealthyCheckInterval (phases/etcd/local.go)
ETCD_HEALTHY_CHECK_RETRIES = 8             # etcdHealthyCheckRetries


def set_active_timeouts(cfg):
    ACTIVE_TIMEOUTS.clear()
    ACTIVE_TIMEOUTS.update(cfg.get("timeouts") or {})


def active_timeout(which):
    return duration_seconds(ACTIVE_TIMEOUTS.get(which), TIMEOUT_DEFAULTS[which])


def poll(interval, timeout, condition):
    """wait.PollUntilContextTimeout(immediate): condition() now and every interval until it
    is true (True) or the timeout has passed (False)."""
    deadline = time.time() + timeout
    while True:
        if condition():
            return True
        remaining = deadline - time.time()
        if remaining < interval:
            # the context ends before the next tick
            time.sleep(max(remaining, 0))
            return False
        time.sleep(interval)


def aggregate(errs):
    """utilerrors.NewAggregate(errs).Error(): none, the one message, or "[a, b]" (duplicates once)."""
    msgs = []
    for e in errs:
        if e not in msgs:
            msgs.append(e)
    if not msgs:
        return None
    return msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"


def feature_gate(cluster, name, since, on_from, locked_from):
    """A kubeadm feature gate at this kubeadm's minor (features.go): absent before `since`,
    off by default until `on_from`, locked on from `locked_from`; in between, the cluster's
    ClusterConfiguration featureGates decide (checkFeatureState, phases/join/data.go)."""
    m = minor(kubeadm_version())
    if m >= locked_from:
        return True
    if m < since:
        return False
    return (cluster.get("featureGates") or {}).get(name, m >= on_from) is True


def etcd_learner_mode(cluster):
    """EtcdLearnerMode: alpha (off) in 1.27 and 1.28, beta (on) from 1.29, GA locked on in
    1.32, the gate gone (always on) from 1.33."""
    return feature_gate(cluster, "EtcdLearnerMode", (1, 27), (1, 29), (1, 32))


def wait_all_control_plane_components(cluster):
    """WaitForAllControlPlaneComponents: none before 1.30, alpha (off) in 1.30 to 1.32, beta
    (on) in 1.33, GA locked on in 1.34, the gate gone (always on) from 1.35. Off, init waits
    for the API server alone ([api-check])."""
    return feature_gate(cluster, "WaitForAllControlPlaneComponents", (1, 30), (1, 33), (1, 34))


class EtcdPhaseError(Exception):
    pass


def etcd_pod_endpoints(client):
    """getRawEtcdEndpointsFromPodAnnotation (util/etcd/etcd.go): the etcd Pods' advertise-client-urls
    annotations, retried until every etcd Pod has one (KubernetesAPICall timeout)."""
    found, last = [], [None]

    def once():
        try:
            pods = client.get("/api/v1/namespaces/kube-system/pods?labelSelector=component%3Detcd%2C"
                              "tier%3Dcontrol-plane").get("items") or []
        except kubeclient.APIError as e:
            last[0] = str(e)
            return False
        last[0] = None
        found[:] = [u for u in ((p["metadata"].get("annotations") or {}).get(
            "kubeadm.kubernetes.io/etcd.advertise-client-urls") for p in pods) if u]
        return bool(found) and len(found) == len(pods)
    if not poll(KUBERNETES_API_CALL_RETRY_INTERVAL, active_timeout("kubernetesAPICall"), once):
        raise EtcdPhaseError("could not retrieve the list of etcd endpoints: %s"
                             % (last[0] or "context deadline exceeded"))
    return found


def etcd_from_cluster(client):
    """NewFromCluster (util/etcd/etcd.go): endpoints from the etcd Pods, then synced with the
    member list (the client URLs of the started voting members, as clientv3's Sync)."""
    ec = EtcdCluster(etcd_pod_endpoints(client))
    ec.sync()
    return ec


class EtcdCluster:
    """kubeadm's etcd client (cmd/kubeadm/app/util/etcd/etcd.go), with the healthcheck-client
    certificate as NewFromCluster's; every call retried every EtcdAPICallRetryInterval for the
    EtcdAPICall timeout, the last etcd error returned as kubeadm prints it."""

    def __init__(self, endpoints):
        self.endpoints = list(endpoints)

    def client(self, endpoints=None):
        cert = PKI + "/etcd/healthcheck-client"
        if not host.exists(cert + ".crt"):
            cert = PKI + "/apiserver-etcd-client"
        return etcd.Client(endpoints or self.endpoints, host.path(PKI + "/etcd/ca.crt"), host.path(cert + ".crt"),
                           host.path(cert + ".key"), timeout=ETCD_CALL_TIMEOUT)

    def retry(self, call):
        """call() -> result or None to go on polling; EtcdError -> its message kept as the last error."""
        out, last = [None], [None]

        def once():
            try:
                out[0] = call(last)
            except etcd.EtcdError as e:
                last[0] = e.detail
                return False
            return out[0] is not None
        if not poll(ETCD_API_CALL_RETRY_INTERVAL, active_timeout("etcdAPICall"), once):
            raise EtcdPhaseError(last[0] or "context deadline exceeded")
        return out[0]

    def sync(self):
        try:
            members = self.retry(lambda last: self.client().member_list())
        except EtcdPhaseError as e:
            raise EtcdPhaseError("error syncing endpoints with etcd: %s" % e)
        eps = [u for m in members if m.get("name") and not m.get("isLearner") for u in m.get("clientURLs") or []]
        if eps:
            self.endpoints = eps

    def add_endpoint(self, peer_url):
        ep = "https://%s:2379" % peer_url.split("://", 1)[-1].rsplit(":", 1)[0]
        if ep not in self.endpoints:
            self.endpoints.append(ep)

    def add_member(self, name, peer, learner):
        """addMember: nothing added when the peer URL is already a member; "Peer URLs already
        exists" is taken as added. Returns (name, peer URL) pairs for --initial-cluster."""
        cli = self.client()

        def once(last):
            members = cli.member_list()
            if any((m.get("peerURLs") or [""])[0] == peer for m in members):
                return members
            try:
                return cli.member_add(peer, learner).get("members") or []
            except etcd.EtcdError as e:
                if e.detail != "etcdserver: Peer URLs already exists":
                    raise
            return cli.member_list()
        members = self.retry(once)
        out = []
        for m in members:
            url = (m.get("peerURLs") or [""])[0]
            out.append((name, url) if url == peer else (m.get("name") or "%x" % int(m["ID"]), url))
        if not learner:
            self.add_endpoint(peer)
        return out

    def member_id(self, peer):
        """GetMemberID: listMembers stops at its first error."""
        try:
            members = self.client().member_list()
        except etcd.EtcdError as e:
            raise EtcdPhaseError(e.detail)
        for m in members:
            if (m.get("peerURLs") or [""])[0] == peer:
                return int(m["ID"])
        raise EtcdPhaseError("no member id found for peer URL")

    def member_promote(self, member_id):
        """MemberPromote: waits for the learner to start (a member not started has no name),
        then promotes it, retrying while etcd refuses a learner not yet in sync."""
        hex_id = "%x" % member_id
        state = {}

        def started(last):
            try:
                members = self.client().member_list()
            except etcd.EtcdError as e:
                raise etcd.EtcdError(str(e), "failed to get member %s status: %s" % (hex_id, e.detail))
            m = next((m for m in members if int(m["ID"]) == member_id), None)
            if m is None:
                raise etcd.EtcdError("", "failed to get member %s status: member %s not found" % (hex_id, hex_id))
            state["learner"] = bool(m.get("isLearner"))
            if state["learner"] and not m.get("name"):
                raise etcd.EtcdError("", "the etcd member %s is not started" % hex_id)
            return True
        self.retry(started)
        if not state["learner"]:
            return
        cli = self.client()

        def promote(last):
            members = cli.member_list()
            m = next((m for m in members if int(m["ID"]) == member_id), None)
            if m is not None and not m.get("isLearner"):
                return members
            return cli.member_promote(member_id).get("members") or []
        for m in self.retry(promote):
            if int(m["ID"]) == member_id:
                self.add_endpoint((m.get("peerURLs") or [""])[0])

    def cluster_status(self):
        """getClusterStatus: each endpoint's Status (retried); a member that answers with errors
        (no leader, an alarm) is unhealthy. Returns (a majority healthy, aggregated errors)."""
        errs, healthy = [], 0
        for ep in self.endpoints:
            try:
                st = self.retry(lambda last, ep=ep: self.client().status(ep))
            except EtcdPhaseError as e:
                errs.append("the status of member %s is not available: %s" % (ep, e))
                continue
            if st.get("errors"):
                errs.append("member %s is not healthy: %s" % (ep, ",".join(st["errors"])))
                continue
            healthy += 1
        return healthy > len(self.endpoints) // 2, aggregate(errs)

    def check_cluster_health(self):
        ok, err = self.cluster_status()
        if not ok and err:
            raise EtcdPhaseError("etcd cluster is not healthy: " + err)

    def wait_for_cluster_available(self, retries, interval):
        for i in range(retries):
            if i:
                time.sleep(interval)
            if self.cluster_status()[0]:
                return
        raise EtcdPhaseError("timeout waiting for etcd cluster to be available")


def check_etcd(cluster):
    """The hidden check-etcd phase (phases/join/checketcd.go, CheckLocalEtcdClusterStatus in
    phases/etcd/local.go): before a control plane joins, a majority of the stacked etcd's
    members must answer their status without errors."""
    if etcd_external(cluster):
        say("[check-etcd] Skipping etcd check in external mode")
        return
    say("[check-etcd] Checking that the etcd cluster is healthy")
    try:
        etcd_from_cluster(admin_client()).check_cluster_health()
    except EtcdPhaseError as e:
        raise KubeadmError(str(e), "check-etcd")


# WaitForControlPlaneComponents (util/apiclient/wait.go, getControlPlaneComponents): the
# flags read from each manifest's command, their defaults, the endpoint checked
CONTROL_PLANE_CHECKS = (("kube-apiserver", ("advertise-address", "secure-port"), None, "6443", "livez"),
                        ("kube-controller-manager", ("bind-address", "secure-port"), "127.0.0.1", "10257", "healthz"),
                        ("kube-scheduler", ("bind-address", "secure-port"), "127.0.0.1", "10259", "livez"))


def read_control_plane_pods():
    """ReadMultipleStaticPodsFromDisk (util/staticpod/utils.go) for the three components."""
    pods, errs = {}, []
    for comp in CONTROL_PLANE_CHECKS:
        p = "%s/%s.yaml" % (MANIFESTS, comp[0])
        text = host.read(p)
        if text is None:
            errs.append("failed to read manifest for \"%s\": open %s: no such file or directory" % (p, p))
            continue
        try:
            pod = yaml.safe_load(text)
        except yaml.YAMLError as e:
            errs.append("failed to unmarshal manifest for \"%s\": %s" % (p, e))
            continue
        if not isinstance(pod, dict) or pod.get("kind") != "Pod":
            errs.append("failed to parse Pod object defined in \"%s\"" % p)
            continue
        pods[comp[0]] = pod
    return pods, aggregate(errs)


def component_flags(pod, name, args):
    """getControlPlaneComponentAddressAndPort: the values of args in the command of the
    container whose command starts with the component's name."""
    values = [""] * len(args)
    containers = ((pod or {}).get("spec") or {}).get("containers") or []
    ctr = next((c for c in containers if c.get("command") and c["command"][0] == name), None)
    if ctr is None:
        return values, "the Pod has no container command starting with \"%s\"" % name
    for line in ctr["command"]:
        line = str(line).strip()
        for i, arg in enumerate(args):
            if not line.startswith("--" + arg) and not line.startswith("-" + arg):
                continue
            _, sep, value = line.partition("=")
            if not sep:
                _, _, value = line.partition(" ")
            values[i] = value
    return values, None


def probe_component(name, url, hostport, api):
    """One check: the API server's through the admin credentials (client-go), the others by a
    plain HTTPS GET without verification. Returns None when the answer is 200."""
    h, _, port = hostport.rpartition(":")
    h = h.strip("[]")
    if name == "kube-apiserver":
        try:
            api.request("GET", "/" + url.rsplit("/", 1)[1])
            return None
        except kubeclient.APIError as e:
            if e.code:
                return "%s check failed at %s: an error on the server (\"%s\") has prevented the request from " \
                       "succeeding" % (name, url, str(e.body if isinstance(e.body, str) else e).strip())
            reason = str(e).split(": ", 1)[-1]
            return "%s check failed at %s: Get \"%s\": %s" % (name, url, url, go_dial_error(hostport, reason))
    # the hosts share the machine's network: a host's loopback is its own address
    target = host.address() if h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "") else h
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(target, int(port), context=ctx, timeout=5)
    try:
        conn.request("GET", "/" + url.rsplit("/", 1)[1])
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as e:
        return "%s check failed at %s: Get \"%s\": %s" % (name, url, url, go_dial_error(hostport, e))
    finally:
        conn.close()
    if status != 200:
        return "%s check failed at %s with status: %d" % (name, url, status)
    return None


def go_dial_error(hostport, e):
    text = str(e)
    if isinstance(e, ConnectionRefusedError) or "Connection refused" in text:
        return "dial tcp %s: connect: connection refused" % hostport
    if isinstance(e, (socket.timeout, TimeoutError)) or "timed out" in text:
        return "dial tcp %s: i/o timeout" % hostport
    return text


def control_plane_check(api_addr, api_port, timeout, cri_socket, join):
    """The wait-control-plane phase with WaitForAllControlPlaneComponents (phases/init/
    waitcontrolplane.go, phases/join/waitcontrolplane.go, WaitForControlPlaneComponents in
    util/apiclient/wait.go): each component's health endpoint, read from its manifest,
    polled every KubernetesAPICallRetryInterval until ControlPlaneComponentHealthCheck."""
    pods, err = read_control_plane_pods()
    if err and join:
        # the join phase returns ReadMultipleStaticPodsFromDisk's error as it is
        raise KubeadmError(err, "wait-control-plane")
    if not err:
        say("[control-plane-check] Waiting for healthy control plane components. This can take up to %s"
            % fmt_duration(timeout))
        comps, errs = [], []
        for name, args, default_addr, default_port, endpoint in CONTROL_PLANE_CHECKS:
            (address, port), e = component_flags(pods.get(name), name, args)
            if e:
                errs.append(e)
            address = address or default_addr or api_addr
            port = port or default_port
            hp = "[%s]:%s" % (address, port) if ":" in address else "%s:%s" % (address, port)
            comps.append((name, hp, "https://%s/%s" % (hp, endpoint)))
        if errs:
            err = "could not parse the address and port of all control plane components: " + aggregate(errs)
    if not err:
        api = kubeclient.Client.from_kubeconfig("/etc/kubernetes/admin.conf", timeout=10)
        # WaitControlPlaneClient (join) and init's bootstrap client: admin.conf's credentials
        # against this node's own API server
        api.server, api.hostname, api.port = "https://%s:%d" % (api_addr, api_port), api_addr, api_port
        lock, failures = threading.Lock(), []

        def check(name, hp, url):
            start, last = time.time(), [None]

            def once():
                last[0] = probe_component(name, url, hp, api)
                return last[0] is None
            healthy = poll(KUBERNETES_API_CALL_RETRY_INTERVAL, timeout, once)
            with lock:
                say("[control-plane-check] %s is %s after %s" % (name, "healthy" if healthy else "not healthy",
                                                                  fmt_duration(time.time() - start)))
                if not healthy:
                    failures.append(last[0])
        threads = []
        for name, hp, url in comps:
            say("[control-plane-check] Checking %s at %s" % (name, url))
            t = threading.Thread(target=check, args=(name, hp, url), daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        err = aggregate(failures)
    if err:
        # PrintControlPlaneErrorHelpScreen
        say("\nA control plane component may have crashed or exited when started by the container runtime.\n"
            "To troubleshoot, list all containers using your preferred container runtimes CLI.\n"
            "Here is one example how you may list all running Kubernetes containers by using crictl:\n"
            "\t- 'crictl --runtime-endpoint %s ps -a | grep kube | grep -v pause'\n"
            "\tOnce you have found the failing container, you can inspect its logs with:\n"
            "\t- 'crictl --runtime-endpoint %s logs CONTAINERID'\n" % (cri_socket, cri_socket))
        raise KubeadmError("failed while waiting for the control plane to start: " + err, "wait-control-plane")


def kubelet_local_mode(cluster):
    """Whether this kubeadm's join runs the etcd-join and kubelet-wait-bootstrap phases
    (ControlPlaneKubeletLocalMode). cmd/kubeadm/app/features/features.go: none before
    v1.31, alpha (off) in v1.31.14 and v1.32.13, beta (on) in v1.33.6 and v1.34.2, GA
    locked on in v1.35.4, the gate gone (always on) in v1.36.3 and v1.37.2. Judged, like
    checkFeatureState (phases/join/data.go), from the cluster's ClusterConfiguration."""
    return feature_gate(cluster, "ControlPlaneKubeletLocalMode", (1, 31), (1, 33), (1, 35))


def kubelet_start(boot, ca, server, token, kc, node_reg, name, addr, jc, local_mode):
    """kubelet-start (runKubeletStartJoinPhase, phases/join/kubelet.go). Without the local
    mode it also waits for the TLS bootstrap, and its deferred remove takes
    bootstrap-kubelet.conf away however the phase ends; with it, that file stays for
    kubelet-wait-bootstrap."""
    try:
        host.write("/etc/kubernetes/bootstrap-kubelet.conf", (
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority: %s/ca.crt\n    server: %s\n  name: "
            "kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: tls-bootstrap-token-user\n"
            "  name: tls-bootstrap-token-user@kubernetes\ncurrent-context: tls-bootstrap-token-user@kubernetes\n"
            "kind: Config\npreferences: {}\nusers:\n- name: tls-bootstrap-token-user\n  user:\n    token: %s\n")
            % (PKI, server, token), 0o600)
        if not host.exists(PKI + "/ca.crt"):
            host.write(PKI + "/ca.crt", ca)
        node_not_ready(boot, name)
        start_kubelet(kc, node_reg, name, addr)
        if not local_mode:
            kubelet_wait_bootstrap(addr, jc, "kubelet-start")
    finally:
        if not local_mode:
            host.remove("/etc/kubernetes/bootstrap-kubelet.conf")


def kubelet_wait_bootstrap(addr, jc, phase):
    """runKubeletWaitBootstrapPhase (phases/join/kubelet.go): the kubelet healthy, then its
    kubelet.conf written; bootstrap-kubelet.conf removed either way (a defer)."""
    try:
        wait_kubelet(addr, 240, phase)
        say("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap")
        deadline = time.time() + duration_seconds((jc.get("timeouts") or {}).get("tlsBootstrap"), 300)
        while not host.exists("/etc/kubernetes/kubelet.conf"):
            if time.time() > deadline:
                raise KubeadmError("failed while waiting for TLS bootstrap: context deadline exceeded", phase)
            time.sleep(0.3)
    finally:
        host.remove("/etc/kubernetes/bootstrap-kubelet.conf")


def join_etcd(name, addr, cluster, phase):
    """runEtcdPhase (phases/join/controlplanejoin.go), as the etcd-join phase or the etcd
    subphase of control-plane-join (see kubelet_local_mode)."""
    if etcd_external(cluster):
        say("[control-plane-join] Using external etcd - no local stacked instance added")
        return
    fault = join_fault()
    if fault:
        raise KubeadmError("error creating local etcd static pod manifest file: " + fault, phase)
    join_local_etcd(admin_client(), name, addr, cluster, phase)


def join_local_etcd(client, name, addr, cluster, phase):
    """CreateStackedEtcdStaticPodManifestFile (phases/etcd/local.go): this node's stacked
    member added (as a learner with EtcdLearnerMode), its manifest written, the learner
    promoted once started and in sync, then the cluster awaited (WaitForClusterAvailable)."""
    peer = "https://%s:2380" % addr
    learner = etcd_learner_mode(cluster)
    try:
        ec = etcd_from_cluster(client)
        members = ec.add_member(name, peer, learner)
        say("[etcd] Announced new etcd member joining to the existing etcd cluster")
        say("[etcd] Creating static Pod manifest for \"etcd\"")
        initial = ",".join("%s=%s" % m for m in members)
        host.write(MANIFESTS + "/etcd.yaml", yaml.safe_dump(
            etcd_manifest(name, addr, cluster, initial, "existing"), default_flow_style=False), 0o600)
        if learner:
            ec.member_promote(ec.member_id(peer))
        say("[etcd] Waiting for the new etcd member to join the cluster. This can take up to %s"
            % fmt_duration(ETCD_HEALTHY_CHECK_INTERVAL * ETCD_HEALTHY_CHECK_RETRIES))
        ec.wait_for_cluster_available(ETCD_HEALTHY_CHECK_RETRIES, ETCD_HEALTHY_CHECK_INTERVAL)
    except EtcdPhaseError as e:
        raise KubeadmError("error creating local etcd static pod manifest file: %s" % e, phase)


# ---------------- reset ----------------
def cmd_reset(argv):
    flags, _ = parse_flags(argv, dict(COMMON, **{"force": "bool", "ignore-preflight-errors": "list",
                                                 "cri-socket": "str", "cert-dir": "str", "kubeconfig": "str",
                                                 "skip-phases": "list", "cleanup-tmp-dir": "bool", "dry-run": "bool",
                                                 "config": "str"}))
    check_mix(flags)
    if flags.get("config"):
        load_config(flags["config"])
    say("W%s kubeadm] [reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be "
        "reverted." % time.strftime("%m%d %H:%M:%S"))
    if not flags.get("force"):
        sys.stdout.write("[reset] Are you sure you want to proceed? [y/N]: ")
        sys.stdout.flush()
        ans = sys.stdin.readline().strip().lower()
        if ans not in ("y", "yes"):
            raise KubeadmError("aborted reset operation", "preflight")
    say("[preflight] Running pre-flight checks")
    manifest = host.read(MANIFESTS + "/etcd.yaml")
    if manifest:
        remove_etcd_member(yaml.safe_load(manifest))
    else:
        say("[reset] No etcd config found. Assuming external etcd")
        say("[reset] Please, manually reset etcd to prevent further issues")
    say("[reset] Stopping the kubelet service")
    subprocess.run(["systemctl", "stop", "kubelet"], capture_output=True)
    say("[reset] Unmounting mounted directories in \"/var/lib/kubelet\"")
    for c in containers.all_containers():
        containers.remove(c)
    data_dir = "/var/lib/etcd"
    if manifest:
        for a in yaml.safe_load(manifest)["spec"]["containers"][0]["command"]:
            if a.startswith("--data-dir="):
                data_dir = a.split("=", 1)[1]
    dirs = [MANIFESTS, "/var/lib/kubelet", PKI] + ([data_dir] if manifest else [])
    say("[reset] Deleting contents of directories: [%s]" % " ".join(dirs))
    for d in dirs:
        full = host.path(d)
        if os.path.isdir(full):
            for e in os.listdir(full):
                p = os.path.join(full, e)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    files = ["/etc/kubernetes/" + f for f in ("admin.conf", "super-admin.conf", "kubelet.conf",
                                               "bootstrap-kubelet.conf", "controller-manager.conf",
                                               "scheduler.conf")]
    say("[reset] Deleting files: [%s]" % " ".join(files))
    for f in files:
        host.remove(f)
    say("\nThe reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d\n\nThe reset "
        "process does not reset or clean up iptables rules or IPVS tables.\n")
    return 0


def remove_etcd_member(pod):
    args = dict(a[2:].split("=", 1) for a in pod["spec"]["containers"][0]["command"][1:] if "=" in a)
    peer = args.get("initial-advertise-peer-urls")
    client_url = args.get("advertise-client-urls")
    try:
        ec = etcd_client([client_url])
        members = ec.member_list()
        mine = [m for m in members if peer in (m.get("peerURLs") or [])]
        if not mine:
            return
        if len(members) == 1:
            say("[reset] Removing the last etcd member is not supported; the cluster data is deleted with the data "
                "directory")
            return
        # As kubeadm's RemoveMember (cmd/kubeadm/app/util/etcd/etcd.go, v1.37.2): its client's
        # endpoints are synced with the membership, and each attempt first lists the members
        # and takes a member already gone as removed. The removed member stops serving when
        # the removal commits, so an answer lost with it must not fail the reset. Attempts
        # repeat with backoff: a member that just rejoined is not yet "active" for the
        # leader, which refuses the removal as unhealthy meanwhile.
        ec = etcd_client([u for m in members for u in (m.get("clientURLs") or [])] or [client_url])
        delay, deadline = 0.05, time.time() + 25
        while True:
            try:
                if not any(m["ID"] == mine[0]["ID"] for m in ec.member_list()):
                    break
                ec.member_remove(mine[0]["ID"])
                break
            except etcd.EtcdError:
                if time.time() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 3)
        say("[reset] Removed member %s from the etcd cluster" % (mine[0].get("name") or mine[0]["ID"]))
    except etcd.EtcdError as e:
        sys.stderr.write("W%s kubeadm] [reset] Failed to remove etcd member: %s\n.Please manually remove this etcd "
                         "member using etcdctl\n" % (time.strftime("%m%d %H:%M:%S"), e))


# ---------------- token ----------------
def cmd_token(argv):
    if not argv:
        raise KubeadmError("missing subcommand; \"token\" is not meant to be run on its own")
    sub = argv[0]
    flags, pos = parse_flags(argv[1:], dict(COMMON, **{"print-join-command": "bool", "ttl": "str",
                                                       "description": "str", "kubeconfig": "str", "config": "str",
                                                       "usages": "list", "groups": "list", "certificate-key": "str",
                                                       "dry-run": "bool", "output": "str"}))
    if sub == "generate":
        say(new_token())
        return 0
    if sub == "create":
        check_mix(flags)
    client = kubeclient.Client.from_kubeconfig(flags.get("kubeconfig") or "/etc/kubernetes/admin.conf")
    if sub == "create":
        token = pos[0] if pos else new_token()
        if not re.match(r"^[a-z0-9]{6}\.[a-z0-9]{16}$", token):
            raise KubeadmError("the bootstrap token \"%s\" was not of the form \"^([a-z0-9]{6})\\.([a-z0-9]{16})$\""
                               % token)
        try:
            client.create("/api/v1/namespaces/kube-system/secrets", token_secret(
                token, flags.get("ttl") or "24h", flags.get("description"),
                tuple(flags.get("usages") or ("signing", "authentication")),
                tuple(flags.get("groups") or ("system:bootstrappers:kubeadm:default-node-token",))))
        except kubeclient.APIError as e:
            raise KubeadmError("failed to create or update bootstrap token with name bootstrap-token-%s: %s"
                               % (token.split(".")[0], e))
        if flags.get("print-join-command"):
            # as kubeadm does: the server of the kubeconfig it was given, not cluster-info's
            cmd = join_command(client.server.split("://", 1)[1], token, flags.get("certificate-key"))
            say(cmd.replace(" \\\n\t", " ") + " ")
        else:
            say(token)
        return 0
    if sub == "list":
        secrets_ = client.get("/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io"
                              "%2Ftoken")
        say("TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION")
        for s in secrets_.get("items") or []:
            d = {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
            usages = ",".join(sorted(k[len("usage-bootstrap-"):] for k, v in d.items()
                                     if k.startswith("usage-bootstrap-") and v == "true"))
            say("%s.%s   %-11s %-22s %-24s %s" % (d.get("token-id"), d.get("token-secret"), "-",
                                                   d.get("expiration", "<forever>"), usages, d.get("description",
                                                                                                    "<none>")))
        return 0
    if sub == "delete":
        for t in pos:
            tid = t.split(".")[0]
            client.request("DELETE", "/api/v1/namespaces/kube-system/secrets/bootstrap-token-" + tid)
            say("bootstrap token \"%s\" deleted" % tid)
        return 0
    raise KubeadmError("unknown command \"%s\" for \"kubeadm token\"" % sub)


# ---------------- config / version / certs ----------------
def cmd_config(argv):
    if argv and argv[0] == "validate":
        flags, _ = parse_flags(argv[1:], dict(COMMON, **{"config": "str", "allow-experimental-api": "bool",
                                                         "allow-deprecated-api": "bool"}))
        if not flags.get("config"):
            raise KubeadmError("the --config flag is mandatory")
        load_config(flags["config"], strict=True, allow_experimental=flags.get("allow-experimental-api"))
        say("ok")
        return 0
    if argv and argv[0] == "images" and len(argv) > 1:
        flags, _ = parse_flags(argv[2:], dict(COMMON, **{"config": "str", "kubernetes-version": "str",
                                                         "cri-socket": "str", "image-repository": "str"}))
        by_kind = load_config(flags["config"]) if flags.get("config") else {}
        cluster = by_kind.get("ClusterConfiguration") or {}
        if "kubernetes-version" in flags:
            cluster["kubernetesVersion"] = flags["kubernetes-version"]
        v = resolve_version(cluster)
        repo = flags.get("image-repository") or cluster.get("imageRepository") or "registry.k8s.io"
        images = ["%s/%s:%s" % (repo, c, v) for c in ("kube-apiserver", "kube-controller-manager",
                                                      "kube-scheduler", "kube-proxy")]
        pins = image_pins()
        images += [dns_image(dict(cluster, imageRepository=repo)), "%s/pause:%s" % (repo, pins["pause"]),
                   "%s/etcd:%s" % (repo, pins["etcd"])]
        if argv[1] == "pull":
            cri = flags.get("cri-socket") or "unix:///var/run/containerd/containerd.sock"
            if not containers.runtime_up(cri):
                raise KubeadmError("failed to create new CRI runtime service: validate service connection: validate "
                                   "CRI v1 runtime API for endpoint \"%s\": rpc error: code = Unavailable" % cri)
            for i in images:
                say("[config/images] Pulled " + i)
        else:
            for i in images:
                say(i)
        return 0
    raise KubeadmError("the emulator supports 'kubeadm config validate' and 'kubeadm config images list|pull'")


def cmd_version(argv):
    flags, _ = parse_flags(argv, dict(COMMON, output="str"))
    v = kubeadm_version()
    ma, mi = minor(v)
    info = {"major": str(ma), "minor": str(mi), "gitVersion": v, "gitCommit": "0" * 40, "gitTreeState": "clean",
            "buildDate": "2024-10-22T20:33:16Z", "goVersion": "go1.22.8", "compiler": "gc", "platform": "linux/amd64"}
    out = flags.get("output")
    if out == "short":
        say(v)
    elif out == "json":
        say(json.dumps({"clientVersion": info}, indent=2))
    elif out == "yaml":
        say(yaml.safe_dump({"clientVersion": info}, default_flow_style=False).rstrip())
    elif out:
        raise KubeadmError("invalid output format: %s" % out)
    else:
        say("kubeadm version: &version.Info{Major:\"%s\", Minor:\"%s\", GitVersion:\"%s\", GitCommit:\"%s\", "
            "GitTreeState:\"clean\", BuildDate:\"%s\", GoVersion:\"go1.22.8\", Compiler:\"gc\", "
            "Platform:\"linux/amd64\"}" % (ma, mi, v, info["gitCommit"], info["buildDate"]))
    return 0


def cmd_upgrade(argv, journal):
    # imported here: kubeadm_upgrade builds on this module
    from . import kubeadm_upgrade
    return kubeadm_upgrade.main(argv, journal)


def cmd_certs(argv):
    if argv and argv[0] == "certificate-key":
        say(secrets.token_hex(32))
        return 0
    raise KubeadmError("the emulator supports only 'kubeadm certs certificate-key'")


COMMANDS = {"init": cmd_init, "join": cmd_join, "reset": cmd_reset, "token": cmd_token, "config": cmd_config,
            "version": cmd_version, "certs": cmd_certs}


def main(journal, argv):
    pkgdb.require_installed("kubeadm", "kubeadm")
    if not argv:
        raise KubeadmError("Usage:\n  kubeadm [command]")
    if argv[0] == "upgrade":
        return cmd_upgrade(argv[1:], journal)
    cmd = COMMANDS.get(argv[0])
    if cmd is None:
        raise KubeadmError("unknown command \"%s\" for \"kubeadm\"" % argv[0])
    if argv[0] in ("init", "join", "reset") or argv[:2] == ["token", "create"]:
        journal.changed = True
    return cmd(argv[1:])
