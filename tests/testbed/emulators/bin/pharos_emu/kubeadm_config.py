"""kubeadm configuration files: decoding and validation like kubeadm's strict decoder.

Types are the Go field types of kubeadm.k8s.io/v1beta3 and v1beta4 plus the
component configs kubeadm accepts in the same file. Errors use kubeadm's
wording so a test failing here reads like the real failure.
"""
import ipaddress
import re

import yaml

S, I, B, ANY = "string", "int32", "bool", "any"
DUR = "Duration"
MAP = ("map", S)
MAPB = ("map", B)
LS = ("list", S)


def L(t):
    return ("list", t)


TAINT = {"key": S, "value": S, "effect": S, "timeAdded": S}
HOSTPATH = {"name": S, "hostPath": S, "mountPath": S, "readOnly": B, "pathType": S}
API_ENDPOINT = {"advertiseAddress": S, "bindPort": I}
PATCHES = {"directory": S}
BOOTSTRAP_TOKEN = {"token": S, "description": S, "ttl": DUR, "expires": S, "usages": LS, "groups": LS}
ARG = {"name": S, "value": S}
ENV = {"name": S, "value": S, "valueFrom": ANY}


def _node_registration(v4):
    d = {"name": S, "criSocket": S, "taints": L(TAINT), "ignorePreflightErrors": LS, "imagePullPolicy": S,
         "kubeletExtraArgs": L(ARG) if v4 else MAP}
    if v4:
        d["imagePullSerial"] = B
    return d


def _component(v4, api=False):
    d = {"extraArgs": L(ARG) if v4 else MAP, "extraVolumes": L(HOSTPATH)}
    if v4:
        d["extraEnvs"] = L(ENV)
    if api:
        d["certSANs"] = LS
        if not v4:
            d["timeoutForControlPlane"] = DUR
    return d


def _cluster(v4):
    local = {"imageRepository": S, "imageTag": S, "dataDir": S, "extraArgs": L(ARG) if v4 else MAP,
             "serverCertSANs": LS, "peerCertSANs": LS}
    if v4:
        local["extraEnvs"] = L(ENV)
    d = {
        "etcd": {"local": local, "external": {"endpoints": LS, "caFile": S, "certFile": S, "keyFile": S}},
        "networking": {"serviceSubnet": S, "podSubnet": S, "dnsDomain": S},
        "kubernetesVersion": S, "controlPlaneEndpoint": S,
        "apiServer": _component(v4, api=True), "controllerManager": _component(v4),
        "scheduler": _component(v4),
        "dns": {"imageRepository": S, "imageTag": S},
        "certificatesDir": S, "imageRepository": S, "featureGates": MAPB, "clusterName": S,
    }
    if v4:
        d["dns"]["disabled"] = B
        d["proxy"] = {"disabled": B}
        d["encryptionAlgorithm"] = S
        d["certificateValidityPeriod"] = DUR
        d["caCertificateValidityPeriod"] = DUR
    return d


TIMEOUTS = {"controlPlaneComponentHealthCheck": DUR, "kubeletHealthCheck": DUR, "kubernetesAPICall": DUR,
            "etcdAPICall": DUR, "tlsBootstrap": DUR, "discovery": DUR, "upgradeManifests": DUR}


def _init(v4):
    d = {"bootstrapTokens": L(BOOTSTRAP_TOKEN), "nodeRegistration": _node_registration(v4),
         "localAPIEndpoint": API_ENDPOINT, "certificateKey": S, "skipPhases": LS, "patches": PATCHES}
    if v4:
        d["dryRun"] = B
        d["timeouts"] = TIMEOUTS
    return d


def _join(v4):
    d = {"nodeRegistration": _node_registration(v4), "caCertPath": S,
         "discovery": {"bootstrapToken": {"token": S, "apiServerEndpoint": S, "caCertHashes": LS,
                                          "unsafeSkipCAVerification": B},
                       "file": {"kubeConfigPath": S}, "tlsBootstrapToken": S},
         "controlPlane": {"localAPIEndpoint": API_ENDPOINT, "certificateKey": S},
         "skipPhases": LS, "patches": PATCHES}
    if v4:
        d["dryRun"] = B
        d["timeouts"] = TIMEOUTS
    else:
        d["discovery"]["timeout"] = DUR
    return d


RESET_V4 = {"cleanupTmpDir": B, "certificatesDir": S, "criSocket": S, "dryRun": B, "force": B,
            "ignorePreflightErrors": LS, "skipPhases": LS, "unmountFlags": LS}

KUBELET_FIELDS = {
    "enableServer": B, "staticPodPath": S, "podLogsDir": S, "syncFrequency": DUR, "fileCheckFrequency": DUR,
    "httpCheckFrequency": DUR, "staticPodURL": S, "staticPodURLHeader": ANY, "address": S, "port": I,
    "readOnlyPort": I, "tlsCertFile": S, "tlsPrivateKeyFile": S, "tlsCipherSuites": LS, "tlsMinVersion": S,
    "rotateCertificates": B, "serverTLSBootstrap": B, "authentication": ANY, "authorization": ANY,
    "registryPullQPS": I, "registryBurst": I, "eventRecordQPS": I, "eventBurst": I,
    "enableDebuggingHandlers": B, "enableContentionProfiling": B, "healthzPort": I, "healthzBindAddress": S,
    "oomScoreAdj": I, "clusterDomain": S, "clusterDNS": LS, "streamingConnectionIdleTimeout": DUR,
    "nodeStatusUpdateFrequency": DUR, "nodeStatusReportFrequency": DUR, "nodeLeaseDurationSeconds": I,
    "imageMinimumGCAge": DUR, "imageMaximumGCAge": DUR, "imageGCHighThresholdPercent": I,
    "imageGCLowThresholdPercent": I, "volumeStatsAggPeriod": DUR, "kubeletCgroups": S, "systemCgroups": S,
    "cgroupRoot": S, "cgroupsPerQOS": B, "cgroupDriver": S, "cpuManagerPolicy": S,
    "cpuManagerPolicyOptions": MAP, "cpuManagerReconcilePeriod": DUR, "memoryManagerPolicy": S,
    "topologyManagerPolicy": S, "topologyManagerScope": S, "topologyManagerPolicyOptions": MAP,
    "qosReserved": MAP, "runtimeRequestTimeout": DUR, "hairpinMode": S, "maxPods": I, "podCIDR": S,
    "podPidsLimit": I, "resolvConf": S, "runOnce": B, "cpuCFSQuota": B, "cpuCFSQuotaPeriod": DUR,
    "nodeStatusMaxImages": I, "maxOpenFiles": I, "contentType": S, "kubeAPIQPS": I, "kubeAPIBurst": I,
    "serializeImagePulls": B, "maxParallelImagePulls": I, "evictionHard": MAP, "evictionSoft": MAP,
    "evictionSoftGracePeriod": MAP, "evictionPressureTransitionPeriod": DUR, "evictionMaxPodGracePeriod": I,
    "evictionMinimumReclaim": MAP, "podsPerCore": I, "enableControllerAttachDetach": B,
    "protectKernelDefaults": B, "makeIPTablesUtilChains": B, "iptablesMasqueradeBit": I, "iptablesDropBit": I,
    "featureGates": MAPB, "failSwapOn": B, "memorySwap": {"swapBehavior": S}, "containerLogMaxSize": S,
    "containerLogMaxFiles": I, "containerLogMaxWorkers": I, "containerLogMonitorInterval": DUR,
    "configMapAndSecretChangeDetectionStrategy": S, "systemReserved": MAP, "kubeReserved": MAP,
    "reservedSystemCPUs": S, "showHiddenMetricsForVersion": S, "systemReservedCgroup": S,
    "kubeReservedCgroup": S, "enforceNodeAllocatable": LS, "allowedUnsafeSysctls": LS, "volumePluginDir": S,
    "providerID": S, "kernelMemcgNotification": B, "logging": ANY, "enableSystemLogHandler": B,
    "enableSystemLogQuery": B, "shutdownGracePeriod": DUR, "shutdownGracePeriodCriticalPods": DUR,
    "shutdownGracePeriodByPodPriority": ANY, "crashLoopBackOff": ANY, "reservedMemory": ANY,
    "enableProfilingHandler": B, "enableDebugFlagsHandler": B, "seccompDefault": B,
    "memoryThrottlingFactor": ANY, "registerWithTaints": L(TAINT), "registerNode": B, "tracing": ANY,
    "localStorageCapacityIsolation": B, "containerRuntimeEndpoint": S, "imageServiceEndpoint": S,
    "failCgroupV1": B, "userNamespaces": ANY,
}

KUBEPROXY_FIELDS = {
    "featureGates": MAPB, "clientConnection": ANY, "hostnameOverride": S, "bindAddress": S,
    "healthzBindAddress": S, "metricsBindAddress": S, "bindAddressHardFail": B, "enableProfiling": B,
    "showHiddenMetricsForVersion": S, "mode": S, "iptables": ANY, "ipvs": ANY, "nftables": ANY,
    "winkernel": ANY, "detectLocalMode": S, "detectLocal": ANY, "clusterCIDR": S, "nodePortAddresses": LS,
    "oomScoreAdj": I, "conntrack": ANY, "configSyncPeriod": DUR, "portRange": S, "logging": ANY,
    "windowsRunAsService": B,
}

KUBEADM_GROUP = "kubeadm.k8s.io"
SCHEMAS = {
    ("kubeadm.k8s.io/v1beta3", "InitConfiguration"): _init(False),
    ("kubeadm.k8s.io/v1beta3", "ClusterConfiguration"): _cluster(False),
    ("kubeadm.k8s.io/v1beta3", "JoinConfiguration"): _join(False),
    ("kubeadm.k8s.io/v1beta4", "InitConfiguration"): _init(True),
    ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"): _cluster(True),
    ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"): _join(True),
    ("kubeadm.k8s.io/v1beta4", "ResetConfiguration"): RESET_V4,
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): KUBELET_FIELDS,
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"): KUBEPROXY_FIELDS,
}
GO_STRUCT = {"InitConfiguration": "InitConfiguration", "ClusterConfiguration": "ClusterConfiguration",
             "JoinConfiguration": "JoinConfiguration", "ResetConfiguration": "ResetConfiguration",
             "KubeletConfiguration": "KubeletConfiguration", "KubeProxyConfiguration": "KubeProxyConfiguration"}
OLD_VERSIONS = {"kubeadm.k8s.io/v1alpha1": "v1.11", "kubeadm.k8s.io/v1alpha2": "v1.12",
                "kubeadm.k8s.io/v1alpha3": "v1.14", "kubeadm.k8s.io/v1beta1": "v1.15",
                "kubeadm.k8s.io/v1beta2": "v1.22"}
SCHEME = "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"


class ConfigError(Exception):
    pass


def _gvk(api_version, kind):
    group, _, version = api_version.rpartition("/")
    return 'schema.GroupVersionKind{Group:"%s", Version:"%s", Kind:"%s"}' % (group, version, kind)


def _json_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _check(value, schema, path, struct, unknown, wrong):
    if value is None or schema == ANY:
        return
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            wrong.append((path, _json_type(value), "v1beta." + struct))
            return
        for k, v in value.items():
            sub = path + "." + k if path else k
            if k not in schema:
                unknown.append(sub)
                continue
            _check(v, schema[k], sub, k[:1].upper() + k[1:], unknown, wrong)
        return
    if isinstance(schema, tuple):
        kind, elem = schema
        if kind == "list":
            if not isinstance(value, list):
                wrong.append((path, _json_type(value), "[]" + (elem if isinstance(elem, str) else struct)))
                return
            for i, item in enumerate(value):
                _check(item, elem, "%s[%d]" % (path, i), struct, unknown, wrong)
            return
        if not isinstance(value, dict):
            wrong.append((path, _json_type(value), "map[string]" + elem))
            return
        for k, item in value.items():
            _check(item, elem, path + "." + str(k), struct, unknown, wrong)
        return
    ok = {S: isinstance(value, str), DUR: isinstance(value, str),
          I: isinstance(value, int) and not isinstance(value, bool), B: isinstance(value, bool)}[schema]
    if schema == DUR and ok and not re.match(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$", value):
        raise ConfigError('time: invalid duration "%s"' % value)
    if not ok:
        wrong.append((path, _json_type(value), schema if schema != DUR else "v1.Duration"))


def parse_documents(text):
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise ConfigError("error converting YAML to JSON: yaml: %s" % str(e).replace("\n", " "))
    out = []
    for d in docs:
        if not isinstance(d, dict):
            raise ConfigError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go "
                              "value of type map[string]interface {}" % _json_type(d))
        api_version, kind = d.get("apiVersion"), d.get("kind")
        if not kind:
            raise ConfigError("Object 'Kind' is missing in '%s'" % yaml.safe_dump(d, default_flow_style=True).strip())
        if not api_version:
            raise ConfigError("Object 'apiVersion' is missing in '%s'" %
                              yaml.safe_dump(d, default_flow_style=True).strip())
        out.append(d)
    return out


def validate(text, strict=True):
    """Returns ({kind: doc}, warnings) or raises ConfigError with kubeadm's message."""
    docs = parse_documents(text)
    by_kind, warnings = {}, []
    seen = set()
    for d in docs:
        api_version, kind = d["apiVersion"], d["kind"]
        if api_version in OLD_VERSIONS:
            raise ConfigError("your configuration file uses an old API spec: \"%s\". Please use kubeadm %s instead "
                              "and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which "
                              "will write the new, similar spec using a newer API version."
                              % (api_version, OLD_VERSIONS[api_version]))
        group = api_version.rpartition("/")[0]
        schema = SCHEMAS.get((api_version, kind))
        if schema is None:
            if group == KUBEADM_GROUP:
                if not any(av == api_version for av, _ in SCHEMAS):
                    raise ConfigError('unable to decode config: no kind "%s" is registered for version "%s" in '
                                      'scheme "%s"' % (kind, api_version, SCHEME))
                raise ConfigError('no kind "%s" is registered for version "%s" in scheme "%s"'
                                  % (kind, api_version, SCHEME))
            if group in ("kubelet.config.k8s.io", "kubeproxy.config.k8s.io"):
                raise ConfigError('no kind "%s" is registered for version "%s" in scheme '
                                  '"k8s.io/kubernetes/cmd/kubeadm/app/componentconfigs/scheme.go:28"'
                                  % (kind, api_version))
            warnings.append("[config] WARNING: Ignored configuration document with GroupVersionKind %s/%s, Kind=%s"
                            % (group, api_version.rpartition("/")[2], kind))
            continue
        if kind in seen:
            raise ConfigError("duplicate %s found in config" % kind)
        seen.add(kind)
        unknown, wrong = [], []
        body = {k: v for k, v in d.items() if k not in ("apiVersion", "kind")}
        _check(body, schema, "", GO_STRUCT[kind], unknown, wrong)
        if wrong:
            path, got, want = wrong[0]
            field = path.rsplit(".", 1)[-1]
            raise ConfigError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go "
                              "struct field %s.%s of type %s" % (got, GO_STRUCT[kind], path if "." in path else
                                                                 field, want))
        if unknown:
            msg = "error unmarshaling configuration %s: strict decoding error: %s" % (
                _gvk(api_version, kind), ", ".join('unknown field "%s"' % u for u in unknown))
            if strict:
                raise ConfigError(msg)
            warnings.append(msg)
        by_kind[kind] = d
    if "InitConfiguration" in by_kind and "JoinConfiguration" in by_kind:
        raise ConfigError("invalid configuration: kinds [InitConfiguration JoinConfiguration] are mutually exclusive")
    check_values(by_kind)
    return by_kind, warnings


def check_values(by_kind):
    cc = by_kind.get("ClusterConfiguration") or {}
    errs = []
    net = cc.get("networking") or {}
    for f in ("serviceSubnet", "podSubnet"):
        if net.get(f):
            for cidr in net[f].split(","):
                try:
                    ipaddress.ip_network(cidr.strip(), strict=False)
                except ValueError:
                    errs.append('networking.%s: Invalid value: "%s": couldn\'t parse subnet' % (f, net[f]))
    v = cc.get("kubernetesVersion")
    if v and not re.match(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", v) and v not in ("stable", "latest"):
        errs.append('kubernetesVersion: Invalid value: "%s"' % v)
    for kind in ("InitConfiguration", "JoinConfiguration"):
        doc = by_kind.get(kind) or {}
        ep = doc.get("localAPIEndpoint") or (doc.get("controlPlane") or {}).get("localAPIEndpoint") or {}
        if ep.get("advertiseAddress"):
            try:
                ipaddress.ip_address(ep["advertiseAddress"])
            except ValueError:
                errs.append('localAPIEndpoint.advertiseAddress: Invalid value: "%s": couldn\'t use "%s" as '
                            'advertise address' % (ep["advertiseAddress"], ep["advertiseAddress"]))
        for t in (doc.get("nodeRegistration") or {}).get("taints") or []:
            if t.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
                errs.append('nodeRegistration.taints.effect: Unsupported value: "%s": supported values: '
                            '"NoSchedule", "PreferNoSchedule", "NoExecute"' % t.get("effect", ""))
        for bt in doc.get("bootstrapTokens") or []:
            if bt.get("token") and not re.match(r"^[a-z0-9]{6}\.[a-z0-9]{16}$", bt["token"]):
                errs.append('bootstrapTokens[0].token: Invalid value: "...": the bootstrap token is invalid')
    kp = by_kind.get("KubeProxyConfiguration") or {}
    if kp.get("mode") not in (None, "", "iptables", "ipvs", "nftables"):
        errs.append('KubeProxyConfiguration.Mode: Unsupported value: "%s": supported values: "iptables", "ipvs", '
                    '"nftables"' % kp["mode"])
    kc = by_kind.get("KubeletConfiguration") or {}
    if kc.get("cgroupDriver") not in (None, "", "systemd", "cgroupfs"):
        errs.append('kubelet: cgroupDriver: Unsupported value: "%s"' % kc["cgroupDriver"])
    if errs:
        raise ConfigError("\n".join(errs))
