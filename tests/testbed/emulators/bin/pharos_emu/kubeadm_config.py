"""kubeadm configuration files: decoding and validation like kubeadm's.

Types are the Go field types of kubeadm.k8s.io/v1beta3 and v1beta4 plus the
component configs kubeadm accepts in the same file (v1beta4 and the kubelet's
v1beta1 as in Kubernetes 1.37: cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go,
staging/src/k8s.io/kubelet/config/v1beta1/types.go). Which API versions a
kubeadm accepts follows its minor (cmd/kubeadm/app/util/config/common.go,
validateSupportedVersion). Unknown fields are errors for `kubeadm config
validate` only: init and join load with strictErrors=false and print them as
warnings (initconfiguration.go, joinconfiguration.go). Errors use kubeadm's
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
        d["etcd"]["external"]["httpEndpoints"] = LS
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
            "ignorePreflightErrors": LS, "skipPhases": LS, "unmountFlags": LS, "timeouts": TIMEOUTS}
PB = B  # the *bool fields of UpgradeConfiguration
UPGRADE_V4 = {
    "apply": {"kubernetesVersion": S, "allowExperimentalUpgrades": PB, "allowRCUpgrades": PB,
              "certificateRenewal": PB, "dryRun": PB, "etcdUpgrade": PB, "forceUpgrade": PB,
              "ignorePreflightErrors": LS, "patches": PATCHES, "printConfig": PB, "skipPhases": LS,
              "imagePullPolicy": S, "imagePullSerial": PB},
    "diff": {"kubernetesVersion": S, "contextLines": I},
    "node": {"certificateRenewal": PB, "dryRun": PB, "etcdUpgrade": PB, "ignorePreflightErrors": LS,
             "skipPhases": LS, "patches": PATCHES, "imagePullPolicy": S, "imagePullSerial": PB},
    "plan": {"kubernetesVersion": S, "allowExperimentalUpgrades": PB, "allowRCUpgrades": PB, "dryRun": PB,
             "etcdUpgrade": PB, "ignorePreflightErrors": LS, "printConfig": PB},
    "timeouts": TIMEOUTS,
}

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
    "failCgroupV1": B, "userNamespaces": ANY, "defaultPodSysctls": ANY, "imagePullCredentialsVerificationPolicy": S,
    "memoryReservationPolicy": S, "mergeDefaultEvictionSettings": B, "preloadedImagesVerificationAllowlist": LS,
    "singleProcessOOMKill": B, "tlsCurvePreferences": ANY,
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
    ("kubeadm.k8s.io/v1beta4", "UpgradeConfiguration"): UPGRADE_V4,
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): KUBELET_FIELDS,
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"): KUBEPROXY_FIELDS,
}
GO_STRUCT = {"InitConfiguration": "InitConfiguration", "ClusterConfiguration": "ClusterConfiguration",
             "JoinConfiguration": "JoinConfiguration", "ResetConfiguration": "ResetConfiguration",
             "UpgradeConfiguration": "UpgradeConfiguration",
             "KubeletConfiguration": "KubeletConfiguration", "KubeProxyConfiguration": "KubeProxyConfiguration"}
OLD_VERSIONS = {"kubeadm.k8s.io/v1alpha1": "v1.11", "kubeadm.k8s.io/v1alpha2": "v1.12",
                "kubeadm.k8s.io/v1alpha3": "v1.14", "kubeadm.k8s.io/v1beta1": "v1.15",
                "kubeadm.k8s.io/v1beta2": "v1.22"}
# The kubeadm minor the emulator judges for when the caller names none (the newest it models).
LATEST = (1, 37)
MIGRATE = ("'kubeadm config migrate --old-config old-config-file --new-config new-config-file', which will write "
           "the new, similar spec using a newer API version.")
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
    """kubeadmutil.SplitConfigDocuments (cmd/kubeadm/app/util/marshal.go)."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise ConfigError("error converting YAML to JSON: yaml: %s" % str(e).replace("\n", " "))
    out, kinds, twice = [], set(), []
    for d in docs:
        if not isinstance(d, dict):
            raise ConfigError("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go "
                              "value of type map[string]interface {}" % _json_type(d))
        api_version, kind = str(d.get("apiVersion") or ""), str(d.get("kind") or "")
        group, _, version = api_version.rpartition("/")
        if not group or not version or not kind:
            raise ConfigError("invalid configuration for GroupVersionKind {Group:%s Version:%s Kind:%s}: kind and "
                              "apiVersion is mandatory information that must be specified" % (group, version, kind))
        if kind in kinds:
            twice.append('invalid configuration: kind "%s" is specified twice in YAML file' % kind)
            continue
        kinds.add(kind)
        out.append(d)
    if twice:
        raise ConfigError(_aggregate(twice))
    return out


def _aggregate(errs):
    """utilerrors.NewAggregate(...).Error()."""
    return errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"


def minor_of(version):
    """(major, minor) of "v1.37.2" / "1.37", LATEST when None."""
    if not version:
        return LATEST
    parts = str(version).lstrip("v").split(".")
    return int(parts[0]), int(parts[1])


def _kubeadm_versions(m):
    """The kubeadm.k8s.io versions a kubeadm of minor m decodes: {version: state}."""
    known = {}
    if m < (1, 37):
        known["kubeadm.k8s.io/v1beta3"] = "deprecated" if m >= (1, 31) else "ok"
    if m >= (1, 31):
        known["kubeadm.k8s.io/v1beta4"] = "ok"
    if m >= (1, 37):
        known["kubeadm.k8s.io/v1"] = "experimental"
    return known


def _supported(api_version, kind, m, allow_experimental, warnings):
    """validateSupportedVersion (cmd/kubeadm/app/util/config/common.go)."""
    old = dict(OLD_VERSIONS)
    if m >= (1, 37):
        old["kubeadm.k8s.io/v1beta3"] = "v1.36"
    if api_version in old:
        raise ConfigError('your configuration file uses an old API spec: "%s" (kind: "%s"). Please use kubeadm %s '
                          "instead and run %s" % (api_version, kind, old[api_version], MIGRATE))
    state = _kubeadm_versions(m).get(api_version)
    if state == "deprecated":
        warnings.append('your configuration file uses a deprecated API spec: "%s" (kind: "%s"). Please use %s'
                        % (api_version, kind, MIGRATE))
    if state == "experimental":
        if not allow_experimental:
            raise ConfigError('experimental API spec: "%s" (kind: "%s") is not allowed. You can use the '
                              "--allow-experimental-api flag if the command supports it." % (api_version, kind))
        raise ConfigError("the emulator does not model %s" % api_version)


def validate(text, strict=True, version=None, allow_experimental=False):
    """Returns ({kind: doc}, warnings) or raises ConfigError with kubeadm's message.

    version: the kubeadm's ("v1.37.2"); strict: `kubeadm config validate` (unknown fields
    and kinds are errors) rather than init/join (they are warnings)."""
    m = minor_of(version)
    docs = parse_documents(text)
    by_kind, warnings, unknown_gvks = {}, [], []
    for d in docs:
        api_version, kind = d["apiVersion"], d["kind"]
        group = api_version.rpartition("/")[0]
        _supported(api_version, kind, m, allow_experimental, warnings)
        schema = SCHEMAS.get((api_version, kind))
        if group == KUBEADM_GROUP and api_version not in _kubeadm_versions(m):
            schema = None
        if schema is None:
            gvk = _gvk(api_version, kind)
            if group == KUBEADM_GROUP or group in ("kubelet.config.k8s.io", "kubeproxy.config.k8s.io"):
                if strict:
                    unknown_gvks.append(gvk)
                else:
                    warnings.append("unknown configuration %s" % gvk)
            if group != KUBEADM_GROUP and group not in ("kubelet.config.k8s.io", "kubeproxy.config.k8s.io") \
                    or not strict:
                warnings.append("[config] WARNING: Ignored configuration document with GroupVersionKind %s/%s, "
                                "Kind=%s" % (group, api_version.rpartition("/")[2], kind))
            continue
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
    if unknown_gvks:
        raise ConfigError("unknown configuration APIs: []schema.GroupVersionKind{%s}" % ", ".join(unknown_gvks))
    if "InitConfiguration" in by_kind and "JoinConfiguration" in by_kind:
        raise ConfigError("invalid configuration: kinds [InitConfiguration JoinConfiguration] are mutually exclusive")
    check_values(by_kind)
    return by_kind, warnings


# ---------------- values (cmd/kubeadm/app/apis/kubeadm/validation/validation.go) ----------------
DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = re.compile(r"^%s(\.%s)*$" % (DNS1123_LABEL, DNS1123_LABEL))
WILDCARD_DNS1123 = re.compile(r"^\*\.%s(\.%s)*$" % (DNS1123_LABEL, DNS1123_LABEL))
# distribution/reference's ReferenceRegexp, which ValidateImageRepository matches "REPO/name:tag" against
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = r"(?:%s(?:\.%s)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?" % (_DOMAIN_COMPONENT, _DOMAIN_COMPONENT)
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
IMAGE_REFERENCE = re.compile(r"^(?:%s/)?%s(?:/%s)*(?::[\w][\w.-]{0,127})?$" % (_DOMAIN, _PATH_COMPONENT,
                                                                                _PATH_COMPONENT))


def _invalid(path, value, detail):
    """field.Invalid(...).Error() for a string value."""
    return '%s: Invalid value: "%s": %s' % (path, value, detail)


def _dns1123_subdomain(value):
    """validation.IsDNS1123Subdomain's messages."""
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not DNS1123_SUBDOMAIN.match(value):
        errs.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errs


def _hex_error(key):
    """encoding/hex.DecodeString's error for key, or None."""
    table = "0123456789abcdefABCDEF"
    for c in key[:len(key) - len(key) % 2]:
        if c not in table:
            return "encoding/hex: invalid byte: U+%04X '%s'" % (ord(c), c)
    if len(key) % 2:
        if key[-1] not in table:
            return "encoding/hex: invalid byte: U+%04X '%s'" % (ord(key[-1]), key[-1])
        return "encoding/hex: odd length hex string"
    return None


def certificate_key_errors(key, path):
    """ValidateCertificateKey: a hex-encoded AES-256 key (constants.CertificateKeySize = 32)."""
    if not key:
        return []
    bad = _hex_error(key)
    if bad:
        return [_invalid(path, key, "certificate key decoding error: " + bad)]
    if len(key) // 2 != 32:
        return [_invalid(path, key, "invalid certificate key size %d, the key must be an AES key of size 32"
                         % (len(key) // 2))]
    return []


def _args(component):
    """extraArgs as (name, value) pairs, v1beta3 map or v1beta4 list."""
    ea = (component or {}).get("extraArgs") or []
    if isinstance(ea, dict):
        return [(k, str(v)) for k, v in ea.items()]
    return [(a.get("name") or "", str(a.get("value") or "")) for a in ea]


def _extra_args_errors(component, path, key="extraArgs"):
    return ["%s.%s: Invalid value: \"index %d\": argument has no name" % (path, key, i)
            for i, (name, _) in enumerate(_args({"extraArgs": (component or {}).get(key)})) if not name]


def _subnet_errors(value, min_addrs, path):
    """ValidateIPNetFromString."""
    nets = []
    for cidr in value.split(","):
        try:
            nets.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            return [_invalid(path, value, "couldn't parse subnet")], []
    errs = []
    if len(nets) > 2 or (len(nets) == 2 and nets[0].version == nets[1].version):
        errs.append(_invalid(path, value, "expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for "
                                          "dual-stack networking"))
    for n in nets:
        if n.num_addresses < min_addrs:
            errs.append(_invalid(path, str(n), "subnet with %d address(es) is too small, the minimum is %d"
                                 % (n.num_addresses, min_addrs)))
    return errs, nets


def _networking_errors(cc):
    """ValidateNetworking with constants.MinimumAddressesInServiceSubnet (10),
    MaximumBitsForServiceSubnet (20), MinimumAddressesInPodSubnet (14), PodSubnetNodeMaskMaxDiff (16)."""
    net = cc.get("networking") or {}
    errs = []
    domain = net.get("dnsDomain") or "cluster.local"
    errs += [_invalid("networking.dnsDomain", domain, e) for e in _dns1123_subdomain(domain)]
    if net.get("serviceSubnet"):
        bad, nets = _subnet_errors(net["serviceSubnet"], 10, "networking.serviceSubnet")
        errs += bad
        for n in nets:
            if n.max_prefixlen - n.prefixlen > 20:
                errs.append(_invalid("networking.serviceSubnet", str(n), "specified service subnet is too large; "
                                     "for %d-bit addresses, the mask must be >= %d"
                                     % (n.max_prefixlen, n.max_prefixlen - 20)))
    if net.get("podSubnet"):
        bad, nets = _subnet_errors(net["podSubnet"], 14, "networking.podSubnet")
        errs += bad
        cm = dict(_args(cc.get("controllerManager")))
        if cm.get("allocate-node-cidrs") != "false":
            for n in nets:
                flag = "node-cidr-mask-size-ipv6" if n.version == 6 else "node-cidr-mask-size-ipv4"
                node_mask = int(cm[flag]) if cm.get(flag) else (64 if n.version == 6 else 24)
                if n.prefixlen > node_mask:
                    errs.append(_invalid("networking.podSubnet", str(n), "the size of pod subnet with mask %d is "
                                         "smaller than the size of node subnet with mask %d"
                                         % (n.prefixlen, node_mask)))
                elif node_mask - n.prefixlen > 16:
                    errs.append(_invalid("networking.podSubnet", str(n), "pod subnet mask (%d) and node-mask (%d) "
                                         "difference is greater than 16" % (n.prefixlen, node_mask)))
    return errs


def _host_port_errors(endpoint, path):
    """ValidateHostPort: kubeadmutil.ParseHostPort's host[:port]."""
    if not endpoint:
        return []
    host, port = endpoint, None
    m = re.match(r"^\[([^\]]*)\](?::(.*))?$", endpoint)
    if m:
        host, port = m.group(1), m.group(2)
    elif endpoint.count(":") == 1:
        host, port = endpoint.split(":")
    ok = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        ok = not _dns1123_subdomain(host)
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        ok = False
    return [] if ok else [_invalid(path, endpoint, "endpoint is not valid")]


def _etcd_errors(cc):
    etcd = cc.get("etcd") or {}
    errs = []
    local, ext = etcd.get("local"), etcd.get("external")
    if local is not None and ext is not None:
        return ['etcd: Invalid value: "": .Etcd.Local and .Etcd.External are mutually exclusive']
    if local:
        data_dir = local.get("dataDir") or "/var/lib/etcd"
        if not data_dir.startswith("/"):
            errs.append(_invalid("etcd.local.dataDir", data_dir, "path is not absolute"))
        errs += _extra_args_errors(local, "etcd.local")
    if ext:
        ca, cert, key = ext.get("caFile") or "", ext.get("certFile") or "", ext.get("keyFile") or ""
        https = bool(ca or cert or key)
        if bool(cert) != bool(key):
            errs.append('etcd.external: Invalid value: "": either both or none of .Etcd.External.CertFile and '
                        '.Etcd.External.KeyFile must be set')
        if cert and key and not ca:
            errs.append('etcd.external: Invalid value: "": setting .Etcd.External.CertFile and '
                        '.Etcd.External.KeyFile requires .Etcd.External.CAFile')
        eps = ext.get("endpoints") or []
        if not eps:
            errs.append('etcd.external.endpoints: Invalid value: "": at least one endpoint must be specified')
        for url in eps:
            scheme = url.split("://", 1)[0] if "://" in url else ""
            if https and scheme != "https":
                errs.append(_invalid("etcd.external.endpoints", url, "the URL must be using the HTTPS scheme"))
            if not scheme:
                errs.append(_invalid("etcd.external.endpoints", url, "the URL without scheme is not allowed"))
        for f, v in (("caFile", ca), ("certFile", cert), ("keyFile", key)):
            if v and not v.startswith("/"):
                errs.append(_invalid("etcd.external." + f, v, "path is not absolute"))
    return errs


def _cluster_errors(cc):
    """ValidateClusterConfiguration, the parts a configuration file decides."""
    errs = _networking_errors(cc)
    api = cc.get("apiServer") or {}
    for san in api.get("certSANs") or []:
        low = san.lower()  # SetClusterDynamicDefaults lowercases the SANs first
        try:
            ipaddress.ip_address(low)
        except ValueError:
            if _dns1123_subdomain(low) and not WILDCARD_DNS1123.match(low):
                errs.append(_invalid("apiServer.certSANs", low, "altname is not a valid IP address, DNS label or "
                                     "a DNS label with subdomain wildcards"))
    for comp in ("apiServer", "controllerManager", "scheduler"):
        errs += _extra_args_errors(cc.get(comp), comp)
    certs = cc.get("certificatesDir") or "/etc/kubernetes/pki"
    if not certs.startswith("/"):
        errs.append(_invalid("certificatesDir", certs, "path is not absolute"))
    errs += _host_port_errors(cc.get("controlPlaneEndpoint"), "controlPlaneEndpoint")
    repo = cc.get("imageRepository") or "registry.k8s.io"
    if not IMAGE_REFERENCE.match("%s/name:tag" % repo):
        errs.append(_invalid("imageRepository", repo, "invalid image repository format"))
    errs += _etcd_errors(cc)
    algo = cc.get("encryptionAlgorithm")
    known = ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096"]
    if algo is not None and algo not in known:
        errs.append(_invalid("encryptionAlgorithm", algo, 'Invalid encryption algorithm "%s". Must be one of [%s]'
                             % (algo, " ".join(known))))
    v = cc.get("kubernetesVersion")
    if v and not re.match(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", v) and v not in ("stable", "latest"):
        errs.append('kubernetesVersion: Invalid value: "%s"' % v)
    return errs


def _node_registration_errors(nr):
    """ValidateNodeRegistrationOptions (the name is defaulted from the hostname when empty)."""
    errs = []
    name = nr.get("name")
    if name:
        errs += [_invalid("nodeRegistration.name", name, e) for e in _dns1123_subdomain(name)]
    socket = nr.get("criSocket")
    if socket and "://" in socket and not socket.startswith("unix://"):
        errs.append(_invalid("nodeRegistration.criSocket", socket, 'only URL scheme "unix" is supported, got "%s"'
                             % socket.split("://", 1)[0]))
    errs += _extra_args_errors(nr, "nodeRegistration", "kubeletExtraArgs")
    if nr.get("imagePullPolicy") not in (None, "", "Always", "IfNotPresent", "Never"):
        errs.append(_invalid("nodeRegistration.imagePullPolicy", nr["imagePullPolicy"], "invalid pull policy"))
    return errs


def _api_endpoint_errors(ep, path):
    addr = ep.get("advertiseAddress")
    if addr:
        try:
            ipaddress.ip_address(addr)
        except ValueError:
            # SetAPIEndpointDynamicDefaults refuses it before validation
            return ['couldn\'t use "%s" as "apiserver-advertise-address", must be ipv4 or ipv6 address' % addr]
    port = ep.get("bindPort")
    if port is not None and not 0 < port < 65536:
        return ['%s.bindPort: Invalid value: %d: port number is not valid' % (path, port)]
    return []


def _token_errors(token, path):
    if token and not re.match(r"^[a-z0-9]{6}\.[a-z0-9]{16}$", token):
        return [_invalid(path, token, "the bootstrap token is invalid")]
    return []


def _join_errors(jc):
    """ValidateJoinConfiguration."""
    disc = jc.get("discovery") or {}
    bt, f = disc.get("bootstrapToken"), disc.get("file")
    errs = []
    if bt is None and f is None:
        errs.append('discovery: Invalid value: "": bootstrapToken or file must be set')
    if bt is not None and f is not None:
        errs.append('discovery: Invalid value: "": bootstrapToken and file cannot both be set')
    if bt is not None:
        if not bt.get("apiServerEndpoint"):
            errs.append("discovery.bootstrapToken: Required value: APIServerEndpoint is not set")
        if not bt.get("caCertHashes") and not bt.get("unsafeSkipCAVerification"):
            errs.append('discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery '
                        "without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm "
                        "config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue")
        errs += _token_errors(bt.get("token") or "", "discovery.bootstrapToken.token") if bt.get("token") else [
            'discovery.bootstrapToken.token: Invalid value: "": the bootstrap token is invalid']
        ep = bt.get("apiServerEndpoint") or ""
        if ep and not re.match(r"^(\[[^\]]+\]|[^:\[\]]+):\d*$", ep):
            errs.append(_invalid("discovery.bootstrapToken.apiServerEndpoint", ep, "address %s: missing port in "
                                 "address" % ep))
        tls = disc.get("tlsBootstrapToken") or bt.get("token") or ""
        errs += _token_errors(tls, "discovery.tlsBootstrapToken")
    errs += _node_registration_errors(jc.get("nodeRegistration") or {})
    cp = jc.get("controlPlane")
    if cp is not None:
        errs += _api_endpoint_errors(cp.get("localAPIEndpoint") or {}, "controlPlane.localAPIEndpoint")
        errs += certificate_key_errors(cp.get("certificateKey"), "controlPlane.certificateKey")
    ca = jc.get("caCertPath") or "/etc/kubernetes/pki/ca.crt"
    if not ca.startswith("/") or not ca.endswith(".crt"):
        errs.append(_invalid("caCertPath", ca, "the ca certificate path must be an absolute path"))
    return errs


def check_values(by_kind):
    """What kubeadm's dynamic defaulting and validation refuse in a loaded file."""
    errs = []
    if "JoinConfiguration" in by_kind:
        errs += _join_errors(by_kind["JoinConfiguration"])
    if "InitConfiguration" in by_kind or "ClusterConfiguration" in by_kind:
        init = by_kind.get("InitConfiguration") or {}
        errs += _api_endpoint_errors(init.get("localAPIEndpoint") or {}, "localAPIEndpoint")
        errs += _node_registration_errors(init.get("nodeRegistration") or {})
        for i, bt in enumerate(init.get("bootstrapTokens") or []):
            errs += _token_errors(bt.get("token"), "bootstrapTokens[%d].token" % i)
        errs += _cluster_errors(by_kind.get("ClusterConfiguration") or {})
        errs += certificate_key_errors(init.get("certificateKey"), "certificateKey")
    kp = by_kind.get("KubeProxyConfiguration") or {}
    if kp.get("mode") not in (None, "", "iptables", "ipvs", "nftables"):
        errs.append('KubeProxyConfiguration.Mode: Unsupported value: "%s": supported values: "iptables", "ipvs", '
                    '"nftables"' % kp["mode"])
    kc = by_kind.get("KubeletConfiguration") or {}
    if kc.get("cgroupDriver") not in (None, "", "systemd", "cgroupfs"):
        errs.append('kubelet: cgroupDriver: Unsupported value: "%s"' % kc["cgroupDriver"])
    if errs:
        raise ConfigError(_aggregate(errs))
