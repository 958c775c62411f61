"""The built-in resource types the API emulator serves (a subset of Kubernetes 1.3x)."""

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

# Resources the API server keeps under another name than their plural
# (k8s.io/kubernetes pkg/kubeapiserver/default_storage_factory_builder.go,
# SpecialDefaultResourcePrefixes): what `etcdctl get --prefix /registry/minions` finds.
SPECIAL_PREFIXES = {("", "replicationcontrollers"): "controllers", ("", "endpoints"): "services/endpoints",
                    ("", "nodes"): "minions", ("", "services"): "services/specs",
                    ("extensions", "ingresses"): "ingress", ("networking.k8s.io", "ingresses"): "ingress"}


class Resource:
    def __init__(self, group, version, plural, kind, namespaced, short=(), status=False,
                 singular=None, categories=()):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short = list(short)
        self.status = status
        self.singular = singular or kind.lower()
        self.categories = list(categories)

    @property
    def api_version(self):
        return self.group + "/" + self.version if self.group else self.version

    def etcd_prefix(self):
        # Kubernetes' own layout: core and most groups by plural, CRDs by group/plural
        special = SPECIAL_PREFIXES.get((self.group, self.plural))
        if special:
            return "/registry/%s/" % special
        if self.group in BUILTIN_GROUPS or self.group == "":
            return "/registry/%s/" % self.plural
        return "/registry/%s/%s/" % (self.group, self.plural)


_R = Resource
BUILTIN = [
    _R("", "v1", "namespaces", "Namespace", False, ["ns"], status=True),
    _R("", "v1", "nodes", "Node", False, ["no"], status=True),
    _R("", "v1", "pods", "Pod", True, ["po"], status=True, categories=["all"]),
    _R("", "v1", "services", "Service", True, ["svc"], status=True, categories=["all"]),
    _R("", "v1", "endpoints", "Endpoints", True, ["ep"]),
    _R("", "v1", "configmaps", "ConfigMap", True, ["cm"]),
    _R("", "v1", "secrets", "Secret", True),
    _R("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"]),
    _R("", "v1", "events", "Event", True, ["ev"]),
    _R("", "v1", "persistentvolumes", "PersistentVolume", False, ["pv"], status=True),
    _R("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"], status=True),
    _R("", "v1", "limitranges", "LimitRange", True, ["limits"]),
    _R("", "v1", "resourcequotas", "ResourceQuota", True, ["quota"], status=True),
    _R("", "v1", "replicationcontrollers", "ReplicationController", True, ["rc"], status=True),
    _R("apps", "v1", "deployments", "Deployment", True, ["deploy"], status=True, categories=["all"]),
    _R("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], status=True, categories=["all"]),
    _R("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], status=True, categories=["all"]),
    _R("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"], status=True, categories=["all"]),
    _R("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    _R("batch", "v1", "jobs", "Job", True, status=True, categories=["all"]),
    _R("batch", "v1", "cronjobs", "CronJob", True, ["cj"], status=True, categories=["all"]),
    _R("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], status=True),
    _R("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _R("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _R("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _R("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _R("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
       ["crd", "crds"], status=True),
    _R("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ["sc"]),
    _R("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ["netpol"]),
    _R("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], status=True),
    _R("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _R("coordination.k8s.io", "v1", "leases", "Lease", True),
    _R("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
       "ValidatingWebhookConfiguration", False),
    _R("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
       "MutatingWebhookConfiguration", False),
    _R("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ["pc"]),
    _R("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", False,
       ["csr"], status=True),
    _R("apiregistration.k8s.io", "v1", "apiservices", "APIService", False, status=True),
    _R("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _R("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False),
]

BUILTIN_GROUPS = sorted({r.group for r in BUILTIN if r.group})


def from_crd(crd):
    """Resources (one per served version) that a CustomResourceDefinition defines."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    out = []
    for v in spec.get("versions", []):
        if not v.get("served", True):
            continue
        r = Resource(spec.get("group", ""), v.get("name"), names.get("plural"), names.get("kind"),
                     spec.get("scope") == "Namespaced", names.get("shortNames") or (),
                     status="status" in (v.get("subresources") or {}),
                     singular=names.get("singular") or names.get("kind", "").lower(),
                     categories=names.get("categories") or ())
        r.storage = v.get("storage", False)
        r.schema = (v.get("schema") or {}).get("openAPIV3Schema")
        out.append(r)
    return out
