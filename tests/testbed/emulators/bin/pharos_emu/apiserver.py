"""Kubernetes API emulator: kube-apiserver flags in, objects kept in the real etcd.

One instance runs per master (started by the kubelet emulator from the
kube-apiserver static pod manifest). Every instance reads and writes the same
etcd cluster, so all masters serve one cluster and etcd quorum loss shows as
API errors.

Every mutating request (POST, PUT, PATCH, DELETE) is appended to the host's
/var/log/pharos-testbed/api-audit.jsonl (one JSON object per line: time,
method, verb-less path, user, status code, user agent), so tests can count
the API writes a command made.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import http.server
import ipaddress
import json
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

import yaml

from . import etcd as etcdmod
from . import patch as patchmod
from . import resources
from . import k8s_proto
from . import labelsel

SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]
ADMIN_GROUPS = {"system:masters", "kubeadm:cluster-admins"}


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class APIError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.details = details or {}

    def status(self):
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": str(self), "reason": self.reason, "details": self.details, "code": self.code}


def qualified(res):
    return res.plural + ("." + res.group if res.group else "")


def not_found(res, name):
    return APIError(404, "NotFound", '%s "%s" not found' % (qualified(res), name),
                    {"name": name, "group": res.group, "kind": res.plural})


def conflict(res, name):
    return APIError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    "please apply your changes to the latest version and try again" % (qualified(res), name),
                    {"name": name, "group": res.group, "kind": res.plural})


def _patch_sets_rv(ctype, body):
    """Whether a patch body sets metadata.resourceVersion (an optimistic lock)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    if ctype == "application/json-patch+json":
        return any(isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion"
                   and op.get("op") in ("add", "replace") for op in (doc if isinstance(doc, list) else []))
    md = doc.get("metadata") if isinstance(doc, dict) else None
    return isinstance(md, dict) and md.get("resourceVersion") is not None


def invalid(res, name, causes):
    msg = '%s "%s" is invalid: %s' % (res.kind, name, ", ".join(causes))
    return APIError(422, "Invalid", msg, {"name": name, "group": res.group, "kind": res.kind,
                                          "causes": [{"message": c} for c in causes]})


class Store:
    """Objects in etcd under Kubernetes' key layout, resourceVersion = etcd mod revision."""

    def __init__(self, client):
        self.etcd = client

    @staticmethod
    def key(res, ns, name):
        if res.namespaced:
            return "%s%s/%s" % (res.etcd_prefix(), ns, name)
        return res.etcd_prefix() + name

    @staticmethod
    def decode(value, rev):
        obj = json.loads(value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(rev)
        return obj

    def get(self, res, ns, name):
        try:
            hit, _ = self.etcd.get(self.key(res, ns, name))
        except etcdmod.EtcdError as e:
            raise APIError(500, "InternalError", str(e))
        if hit is None:
            raise not_found(res, name)
        return self.decode(*hit)

    def list(self, res, ns):
        prefix = res.etcd_prefix() + (ns + "/" if res.namespaced and ns else "")
        try:
            kvs, rev = self.etcd.range_prefix(prefix)
        except etcdmod.EtcdError as e:
            raise APIError(500, "InternalError", str(e))
        items = []
        for key, value, mod in kvs:
            rest = key[len(res.etcd_prefix()):]
            if (res.namespaced and rest.count("/") != 1) or (not res.namespaced and "/" in rest):
                continue
            items.append(self.decode(value, mod))
        return items, rev

    def _encode(self, obj):
        obj = json.loads(json.dumps(obj))
        obj["metadata"].pop("resourceVersion", None)
        return json.dumps(obj, sort_keys=True)

    def create(self, res, obj):
        md = obj["metadata"]
        try:
            rev = self.etcd.create(self.key(res, md.get("namespace"), md["name"]), self._encode(obj))
        except etcdmod.EtcdError as e:
            raise APIError(500, "InternalError", str(e))
        if rev is None:
            raise APIError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(res), md["name"]),
                           {"name": md["name"], "group": res.group, "kind": res.plural})
        md["resourceVersion"] = str(rev)
        return obj

    def update(self, res, obj, expected_rv):
        md = obj["metadata"]
        try:
            rev = self.etcd.update(self.key(res, md.get("namespace"), md["name"]), self._encode(obj),
                                   int(expected_rv))
        except etcdmod.EtcdError as e:
            raise APIError(500, "InternalError", str(e))
        if rev is None:
            raise conflict(res, md["name"])
        md["resourceVersion"] = str(rev)
        return obj

    def delete(self, res, obj):
        md = obj["metadata"]
        try:
            rev = self.etcd.delete(self.key(res, md.get("namespace"), md["name"]), int(md["resourceVersion"]))
        except etcdmod.EtcdError as e:
            raise APIError(500, "InternalError", str(e))
        if rev is None:
            raise conflict(res, md["name"])
        return rev


AUDIT_LOG = "/var/log/pharos-testbed/api-audit.jsonl"
# Tests inject API failures through this file (tests/faults): {"code": 500|503|504,
# "delay": seconds before answering, "user": only this client, "path": only paths
# starting so, "count": answers left, absent = until the file goes}.
FAULT_FILE = "/var/lib/pharos-testbed/apiserver-fault.json"


def injected_error(code):
    """The Status a kube-apiserver answers with for these codes, as
    k8s.io/apimachinery/pkg/api/errors builds them: NewInternalError (etcd
    failing under a request), NewServiceUnavailable, and the NewTimeoutError
    of the apiserver's request timeout filter."""
    if code == 500:
        cause = "etcdserver: request timed out"
        return APIError(500, "InternalError", "Internal error occurred: %s" % cause,
                        {"causes": [{"message": cause}]})
    if code == 504:
        return APIError(504, "Timeout", "Timeout: request did not complete within requested timeout - "
                        "context deadline exceeded", {})
    return APIError(503, "ServiceUnavailable", "the server is currently unable to handle the request", {})
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def audit_path(cert_file):
    """The audit log of the host whose certificate the server uses: paths arrive
    as machine paths, so the host's root is what precedes /etc/kubernetes."""
    root = cert_file.split("/etc/kubernetes/", 1)[0] if "/etc/kubernetes/" in cert_file else ""
    return root + AUDIT_LOG


class API:
    def __init__(self, opts):
        self.opts = opts
        endpoints = opts["etcd-servers"].split(",")
        self.store = Store(etcdmod.Client(endpoints, opts["etcd-cafile"], opts["etcd-certfile"],
                                          opts["etcd-keyfile"]))
        self.version = opts.get("version", "v1.31.0")
        self.address = opts.get("advertise-address", "127.0.0.1")
        self.port = int(opts.get("secure-port", "6443"))
        self.audit_path = audit_path(opts["tls-cert-file"])
        self.audit_lock = threading.Lock()
        self.fault_path = self.audit_path[:-len(AUDIT_LOG)] + FAULT_FILE
        self.fault_lock = threading.Lock()
        # set once kube-system and kube-public exist: the real server's rbac/bootstrap-roles
        # post-start hook creates them (tryEnsureNamespace) and /healthz fails until it is done
        self.bootstrapped = threading.Event()
        # CRDs change rarely; a master sees another master's new CRD within a second, as with informers
        self.crd_cache = None

    def take_fault(self, user, path):
        """The injected fault this request gets, or None; a counted fault
        spends one answer."""
        with self.fault_lock:
            try:
                with open(self.fault_path) as f:
                    fault = json.load(f)
            except (OSError, ValueError):
                return None
            if fault.get("user") not in (None, user) or not path.startswith(fault.get("path", "")):
                return None
            count = fault.get("count")
            if count is not None:
                if count <= 0:
                    return None
                fault["count"] = count - 1
                with open(self.fault_path, "w") as f:
                    json.dump(fault, f)
            return fault

    # ---------- type registry ----------
    def all_resources(self):
        out = list(resources.BUILTIN)
        crd_res = self.resource_by("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        cache = self.crd_cache
        if cache is not None and time.time() - cache[0] < 1.0:
            crds = cache[1]
        else:
            try:
                crds, _ = self.store.list(crd_res, None)
            except APIError:
                crds = []
            self.crd_cache = (time.time(), crds)
        for crd in crds:
            if any(c.get("type") == "Established" and c.get("status") == "True"
                   for c in crd.get("status", {}).get("conditions", [])):
                out.extend(resources.from_crd(crd))
        return out

    @staticmethod
    def resource_by(group, version, plural):
        for r in resources.BUILTIN:
            if r.group == group and r.version == version and r.plural == plural:
                return r
        return None

    def find(self, group, version, plural):
        for r in self.all_resources():
            if r.group == group and r.version == version and r.plural == plural:
                return r
        return None

    # ---------- discovery ----------
    def resource_list(self, group, version):
        rs = [r for r in self.all_resources() if r.group == group and r.version == version]
        if not rs:
            return None
        lst = []
        for r in rs:
            entry = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                     "kind": r.kind, "verbs": resources.ALL_VERBS,
                     "storageVersionHash": base64.b64encode(hashlib.sha256(
                         (r.api_version + r.kind).encode()).digest()[:8]).decode()}
            if r.short:
                entry["shortNames"] = r.short
            if r.categories:
                entry["categories"] = r.categories
            lst.append(entry)
            if r.status:
                lst.append({"name": r.plural + "/status", "singularName": "", "namespaced": r.namespaced,
                            "kind": r.kind, "verbs": ["get", "patch", "update"]})
            if r.plural == "pods":
                lst.append({"name": "pods/binding", "singularName": "", "namespaced": True, "kind": "Binding",
                            "verbs": ["create"]})
                lst.append({"name": "pods/eviction", "singularName": "", "namespaced": True,
                            "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": (group + "/" if group else "") + version,
                "resources": lst}

    def group_list(self):
        groups = {}
        for r in self.all_resources():
            if not r.group:
                continue
            g = groups.setdefault(r.group, [])
            if r.version not in g:
                g.append(r.version)
        out = []
        for name, versions in groups.items():
            vs = [{"groupVersion": name + "/" + v, "version": v} for v in versions]
            out.append({"name": name, "versions": vs, "preferredVersion": vs[0]})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}

    def openapi_v3(self, gv_path):
        """OpenAPI v3: per group-version documents whose PATCH operations declare fieldValidation,
        so kubectl leaves field validation to the server (as with a real API server)."""
        gvs = {}
        for r in self.all_resources():
            gvs.setdefault(("api/" if not r.group else "apis/%s/" % r.group) + r.version, []).append(r)
        if not gv_path:
            return {"paths": {p: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (
                p, hashlib.sha256(json.dumps([x.plural for x in rs]).encode()).hexdigest()[:16].upper())}
                for p, rs in gvs.items()}}
        rs = gvs.get(gv_path)
        if rs is None:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        paths = {}
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in ("dryRun", "fieldManager", "fieldValidation", "force")]
        for r in rs:
            base = "/" + gv_path + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.plural
            gvk = {"group": r.group, "version": r.version, "kind": r.kind}
            op = {"x-kubernetes-group-version-kind": gvk, "parameters": params,
                  "responses": {"200": {"description": "OK"}}}
            paths[base + "/{name}"] = {"get": dict(op, parameters=[]), "put": op, "patch": op, "delete": op}
            paths[base] = {"post": op, "get": dict(op, parameters=[])}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.version}, "paths": paths,
                "components": {"schemas": {}}}

    # ---------- object lifecycle ----------
    def namespace_must_exist(self, ns):
        nsres = self.resource_by("", "v1", "namespaces")
        try:
            obj = self.store.get(nsres, None, ns)
        except APIError as e:
            if e.code == 404:
                raise APIError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            raise
        return obj

    def prepare_new(self, res, obj, ns):
        if not isinstance(obj, dict):
            raise APIError(400, "BadRequest", "the body of the request was in an unknown format")
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if kind != res.kind or api_version != res.api_version:
            raise APIError(400, "BadRequest", "the API version in the data (%s) does not match the expected "
                           "API version (%s)" % (api_version, res.api_version)
                           if api_version != res.api_version else
                           "the kind in the data (%s) does not match the expected kind (%s)" % (kind, res.kind))
        md = obj.setdefault("metadata", {})
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
            else:
                raise invalid(res, "", ["metadata.name: Required value: name or generateName is required"])
        if res.namespaced:
            if md.get("namespace") and ns and md["namespace"] != ns:
                raise APIError(400, "BadRequest", "the namespace of the provided object does not match the "
                               "namespace sent on the request")
            md["namespace"] = ns or md.get("namespace") or "default"
            nsobj = self.namespace_must_exist(md["namespace"])
            if nsobj.get("status", {}).get("phase") == "Terminating":
                raise APIError(403, "Forbidden", '%s "%s" is forbidden: unable to create new content in namespace '
                               "%s because it is being terminated" % (qualified(res), md["name"], md["namespace"]))
        else:
            md.pop("namespace", None)
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now()
        md.pop("deletionTimestamp", None)
        md.pop("resourceVersion", None)
        if "spec" in obj or res.kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"):
            md["generation"] = 1
        self.defaults(res, obj)
        self.validate(res, obj)
        return obj

    def defaults(self, res, obj):
        md = obj["metadata"]
        if res.kind == "Namespace":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
        elif res.kind == "Pod":
            spec = obj.setdefault("spec", {})
            spec.setdefault("restartPolicy", "Always")
            spec.setdefault("schedulerName", "default-scheduler")
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("terminationGracePeriodSeconds", 30)
            self.container_defaults(spec)
            obj.setdefault("status", {}).setdefault("phase", "Pending")
        elif res.kind in ("Deployment", "ReplicaSet", "StatefulSet"):
            spec = obj.setdefault("spec", {})
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
            if res.kind == "Deployment":
                spec.setdefault("progressDeadlineSeconds", 600)
                # apps/v1 SetDefaults_Deployment: kubectl sends "strategy": {}
                strategy = spec.get("strategy") or {}
                strategy.setdefault("type", "RollingUpdate")
                if strategy["type"] == "RollingUpdate":
                    ru = strategy.setdefault("rollingUpdate", {})
                    ru.setdefault("maxSurge", "25%")
                    ru.setdefault("maxUnavailable", "25%")
                spec["strategy"] = strategy
            self.pod_template_defaults(spec)
        elif res.kind == "DaemonSet":
            spec = obj.setdefault("spec", {})
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
            self.pod_template_defaults(spec)
        elif res.kind == "Service":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
        elif res.kind == "CustomResourceDefinition":
            names = obj.get("spec", {}).get("names", {})
            accepted = dict(names)
            accepted.setdefault("singular", names.get("kind", "").lower())
            accepted.setdefault("listKind", names.get("kind", "") + "List")
            t = now()
            obj["status"] = {
                "acceptedNames": accepted,
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": t},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted", "lastTransitionTime": t},
                ],
                "storedVersions": [v["name"] for v in obj.get("spec", {}).get("versions", []) if v.get("storage")],
            }
        elif res.kind == "CertificateSigningRequest":
            obj.setdefault("status", {})

    @staticmethod
    def pod_template_defaults(spec):
        tspec = spec.setdefault("template", {}).setdefault("spec", {})
        tspec.setdefault("restartPolicy", "Always")
        tspec.setdefault("dnsPolicy", "ClusterFirst")
        tspec.setdefault("schedulerName", "default-scheduler")
        tspec.setdefault("terminationGracePeriodSeconds", 30)
        API.container_defaults(tspec)

    @staticmethod
    def container_defaults(pod_spec):
        """core/v1 SetDefaults_Container and SetDefaults_ContainerPort."""
        for c in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or []):
            image = c.get("image") or ""
            tag = image.rsplit("/", 1)[-1]
            latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
            c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            for port in c.get("ports") or []:
                port.setdefault("protocol", "TCP")

    def validate(self, res, obj):
        name = obj["metadata"]["name"]
        schema = getattr(res, "schema", None)
        if schema:
            unknown = []
            for k in list(obj):
                if k not in ("apiVersion", "kind", "metadata"):
                    sub = (schema.get("properties") or {}).get(k)
                    if sub is None and not schema.get("x-kubernetes-preserve-unknown-fields"):
                        unknown.append(k)
                        del obj[k]
                    elif sub is not None:
                        obj[k] = prune(obj[k], sub, k, unknown)
            if unknown and getattr(REQUEST, "field_validation", "") == "Strict":
                raise APIError(400, "BadRequest", '%s in version "%s" cannot be handled as a %s: strict decoding '
                               "error: %s" % (res.kind, res.version, res.kind,
                                              ", ".join('unknown field "%s"' % u for u in unknown)))
        if res.kind == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            names = spec.get("names") or {}
            causes = []
            if not spec.get("group"):
                causes.append("spec.group: Required value")
            if not names.get("plural"):
                causes.append("spec.names.plural: Required value")
            if not names.get("kind"):
                causes.append("spec.names.kind: Required value")
            if spec.get("scope") not in ("Namespaced", "Cluster"):
                causes.append('spec.scope: Unsupported value: "%s": supported values: "Cluster", "Namespaced"'
                              % spec.get("scope", ""))
            versions = spec.get("versions") or []
            if not versions:
                causes.append("spec.versions: Invalid value: null: must have exactly one version marked as storage version")
            elif sum(1 for v in versions if v.get("storage")) != 1:
                causes.append("spec.versions: Invalid value: must have exactly one version marked as storage version")
            for i, v in enumerate(versions):
                if not (v.get("schema") or {}).get("openAPIV3Schema"):
                    causes.append("spec.versions[%d].schema.openAPIV3Schema: Required value: schemas are "
                                  "required" % i)
            if names.get("plural") and spec.get("group") and name != "%s.%s" % (names["plural"], spec["group"]):
                causes.append('metadata.name: Invalid value: "%s": must be spec.names.plural+"."+spec.group' % name)
            if causes:
                raise invalid(res, name, causes)
        if res.kind == "Pod":
            containers = obj.get("spec", {}).get("containers") or []
            if not containers:
                raise invalid(res, name, ["spec.containers: Required value"])
            for i, c in enumerate(containers):
                if not c.get("image"):
                    raise invalid(res, name, ["spec.containers[%d].image: Required value" % i])
        if res.kind == "Secret" and "stringData" in obj:
            # like the real API server: stringData is merged into data (base64) and never stored
            data = obj.get("data") or {}
            for k, v in (obj.pop("stringData") or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
        if res.kind == "Secret":
            for k, v in (obj.get("data") or {}).items():
                try:
                    base64.b64decode(v, validate=True)
                except (ValueError, TypeError):
                    raise APIError(400, "BadRequest", "illegal base64 data in data[%s]" % k)
        if res.kind == "ConfigMap" or res.kind == "Secret":
            pass

    def create(self, res, ns, obj, dry_run=False):
        obj = self.prepare_new(res, obj, ns)
        if dry_run:
            return obj
        if res.kind == "CustomResourceDefinition":
            self.crd_cache = None
        return self.store.create(res, obj)

    def carry_over(self, res, old, new, subresource):
        """Fields the API server keeps from the stored object on update."""
        md, omd = new.setdefault("metadata", {}), old["metadata"]
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "generation", "namespace"):
            if k in omd:
                md[k] = omd[k]
            else:
                md.pop(k, None)
        md["name"] = omd["name"]
        if subresource == "status":
            keep = dict(old)
            keep["status"] = new.get("status", {})
            return keep
        if res.status and "status" in old:
            new["status"] = old["status"]
        elif res.status:
            new.pop("status", None)
        changed_spec = any(new.get(k) != old.get(k) for k in set(new) | set(old)
                           if k not in ("metadata", "status", "kind", "apiVersion"))
        if changed_spec and "generation" in omd:
            md["generation"] = omd["generation"] + 1
        return new

    def update(self, res, ns, name, obj, subresource=None, dry_run=False):
        if not isinstance(obj, dict):
            raise APIError(400, "BadRequest", "the body of the request was in an unknown format")
        md = obj.setdefault("metadata", {})
        if md.get("name") and md["name"] != name:
            raise APIError(400, "BadRequest", "the name of the object (%s) does not match the name on the "
                           "URL (%s)" % (md["name"], name))
        if obj.get("kind") != res.kind or obj.get("apiVersion") != res.api_version:
            raise APIError(400, "BadRequest", "the kind or API version in the data does not match %s %s"
                           % (res.api_version, res.kind))
        old = self.store.get(res, ns, name)
        rv = md.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise conflict(res, name)
        new = self.carry_over(res, old, obj, subresource)
        self.validate(res, new)
        if dry_run:
            return new
        return self.finish_write(res, old, new)

    def finish_write(self, res, old, new):
        md = new["metadata"]
        if res.kind == "CustomResourceDefinition":
            self.crd_cache = None
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            self.store.delete(res, old)
            return new
        return self.store.update(res, new, old["metadata"]["resourceVersion"])

    def patch(self, res, ns, name, ctype, body, subresource=None, dry_run=False):
        # The real API server applies the patch to the object it just read, inside
        # the storage's GuaranteedUpdate, which reads again and retries when etcd's
        # transaction finds the object changed meanwhile (apiserver v0.37.2
        # pkg/storage/etcd3/store.go:617). The patched object carries the current
        # resourceVersion then, so only a patch that sets one itself can conflict
        # (registry/generic/registry/store.go's Update). 50 kubelets updating their
        # Nodes made 5 tries too few.
        for _ in range(200):
            old = self.store.get(res, ns, name)
            try:
                if ctype == "application/merge-patch+json":
                    new = patchmod.merge_patch(old, json.loads(body))
                elif ctype == "application/strategic-merge-patch+json":
                    if res.group not in resources.BUILTIN_GROUPS and res.group != "":
                        raise APIError(415, "UnsupportedMediaType",
                                       "strategic merge patch is not supported for custom resources")
                    new = patchmod.strategic_merge(old, json.loads(body))
                elif ctype == "application/json-patch+json":
                    new = patchmod.json_patch(old, json.loads(body))
                else:
                    raise APIError(415, "UnsupportedMediaType",
                                   '415: Unsupported Media Type: the body of the request was in an unknown '
                                   'format - accepted media types include: application/json-patch+json, '
                                   'application/merge-patch+json, application/strategic-merge-patch+json')
            except ValueError as e:
                raise APIError(400, "BadRequest", "error decoding patch: %s" % e)
            except patchmod.PatchError as e:
                raise APIError(422, "Invalid", str(e))
            rv = new.get("metadata", {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            # the patch pinned the version it was made against
            rv = rv if _patch_sets_rv(ctype, body) else None
            new = self.carry_over(res, old, new, subresource)
            new["kind"], new["apiVersion"] = res.kind, res.api_version
            self.validate(res, new)
            if dry_run:
                return new
            try:
                return self.finish_write(res, old, new)
            except APIError as e:
                if e.code != 409 or rv:
                    raise
        raise conflict(res, name)

    def delete(self, res, ns, name, options=None, dry_run=False):
        options = options or {}
        obj = self.store.get(res, ns, name)
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != obj["metadata"].get("uid"):
            raise APIError(409, "Conflict", "Precondition failed: UID in precondition: %s, UID in object meta: %s"
                           % (pre["uid"], obj["metadata"].get("uid")))
        if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
            raise conflict(res, name)
        if dry_run:
            return obj
        md = obj["metadata"]
        if res.kind == "Namespace" and name in SYSTEM_NAMESPACES:
            raise APIError(403, "Forbidden", 'namespaces "%s" is forbidden: this namespace may not be deleted' % name)
        if res.kind in ("Namespace", "CustomResourceDefinition"):
            # both are finalized asynchronously, as the namespace and CRD controllers do
            if not md.get("deletionTimestamp"):
                md["deletionTimestamp"] = now()
                if res.kind == "Namespace":
                    obj.setdefault("status", {})["phase"] = "Terminating"
                else:
                    obj.setdefault("status", {}).setdefault("conditions", []).append(
                        {"type": "Terminating", "status": "True", "reason": "InstanceDeletionInProgress",
                         "lastTransitionTime": now()})
                obj = self.store.update(res, obj, md["resourceVersion"])
            timer = threading.Timer(0.5, self.finalize, (res, name))
            timer.daemon = True
            timer.start()
            return obj
        if md.get("finalizers"):
            if not md.get("deletionTimestamp"):
                md["deletionTimestamp"] = now()
                md["deletionGracePeriodSeconds"] = 0
                return self.store.update(res, obj, md["resourceVersion"])
            return obj
        self.store.delete(res, obj)
        return obj

    def finalize(self, res, name):
        """Deletes what a terminating namespace or CRD still holds, then the object itself."""
        for _ in range(20):
            try:
                obj = self.store.get(res, None, name)
            except APIError:
                return
            try:
                if res.kind == "Namespace":
                    for r in self.all_resources():
                        if r.namespaced:
                            for item in self.store.list(r, name)[0]:
                                self.store.delete(r, item)
                else:
                    for r in resources.from_crd(obj):
                        for item in self.store.list(r, None)[0]:
                            self.store.delete(r, item)
                self.store.delete(res, self.store.get(res, None, name))
                self.crd_cache = None
                return
            except APIError:
                time.sleep(0.2)

    def finalize_pending(self):
        for plural, group in (("namespaces", ""), ("customresourcedefinitions", "apiextensions.k8s.io")):
            res = self.resource_by(group, "v1", plural)
            for obj in self.store.list(res, None)[0]:
                if obj["metadata"].get("deletionTimestamp"):
                    self.finalize(res, obj["metadata"]["name"])

    # ---------- eviction ----------
    def evict(self, ns, name, body):
        pods = self.resource_by("", "v1", "pods")
        pod = self.store.get(pods, ns, name)
        if not isinstance(body, dict) or body.get("kind") != "Eviction":
            raise APIError(400, "BadRequest", "the body of the request was in an unknown format")
        pdbs = self.resource_by("policy", "v1", "poddisruptionbudgets")
        items, _ = self.store.list(pdbs, ns)
        all_pods, _ = self.store.list(pods, ns)
        labels = pod["metadata"].get("labels") or {}
        for pdb in items:
            sel = (pdb.get("spec") or {}).get("selector") or {}
            if not self.match_label_selector(sel, labels):
                continue
            matching = [p for p in all_pods if self.match_label_selector(sel, p["metadata"].get("labels") or {})]
            healthy = len([p for p in matching if p.get("status", {}).get("phase") == "Running"])
            spec = pdb.get("spec") or {}
            if "minAvailable" in spec:
                need = self.int_or_percent(spec["minAvailable"], len(matching), up=True)
                allowed = healthy - need
            elif "maxUnavailable" in spec:
                allowed = self.int_or_percent(spec["maxUnavailable"], len(matching), up=False) - \
                    (len(matching) - healthy)
            else:
                allowed = healthy
            if allowed < 1:
                raise APIError(429, "TooManyRequests",
                               "Cannot evict pod as it would violate the pod's disruption budget.",
                               {"causes": [{"reason": "DisruptionBudget",
                                            "message": "The disruption budget %s needs %s healthy pods and has "
                                                       "%d currently" % (pdb["metadata"]["name"],
                                                                         spec.get("minAvailable", "?"), healthy)}]})
        self.delete(pods, ns, name, body.get("deleteOptions"))
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def bind(self, ns, name, body):
        """The pods/binding subresource the scheduler uses: sets spec.nodeName once."""
        pods = self.resource_by("", "v1", "pods")
        target = ((body or {}).get("target") or {}).get("name")
        if not target:
            raise invalid(pods, name, ["target.name: Required value"])
        pod = self.store.get(pods, ns, name)
        if pod.get("spec", {}).get("nodeName"):
            raise APIError(409, "Conflict", 'Operation cannot be fulfilled on pods/binding "%s": pod %s is already '
                           "assigned to node \"%s\"" % (name, name, pod["spec"]["nodeName"]))
        pod["spec"]["nodeName"] = target
        conds = [c for c in pod.get("status", {}).get("conditions") or [] if c.get("type") != "PodScheduled"]
        pod.setdefault("status", {})["conditions"] = conds + [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now()}]
        self.store.update(pods, pod, pod["metadata"]["resourceVersion"])
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    @staticmethod
    def int_or_percent(v, total, up):
        if isinstance(v, str) and v.endswith("%"):
            x = int(v[:-1]) * total / 100.0
            return int(-(-x // 1)) if up else int(x)
        return int(v)

    @staticmethod
    def match_label_selector(sel, labels):
        for k, v in (sel.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in sel.get("matchExpressions") or []:
            op, key, vals = e.get("operator"), e.get("key"), e.get("values") or []
            if op == "In" and labels.get(key) not in vals:
                return False
            if op == "NotIn" and key in labels and labels[key] in vals:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return bool(sel.get("matchLabels") or sel.get("matchExpressions"))

    # ---------- certificates (the controller-manager's CSR signer and approver) ----------
    def sign_csr(self, obj):
        """Approves and signs kubelet client CSRs like kube-controller-manager does."""
        from . import pki
        spec = obj.get("spec") or {}
        if spec.get("signerName") != "kubernetes.io/kube-apiserver-client-kubelet":
            return obj
        pem = base64.b64decode(spec.get("request", "")).decode()
        ca = self.opts.get("cluster-signing-ca-base")
        if not ca:
            return obj
        cert = pki.sign_csr(pem, ca, ("clientAuth",))
        obj["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "AutoApproved",
                                         "message": "Auto approving kubelet client certificate after "
                                                    "SubjectAccessReview.", "lastUpdateTime": now()}],
                         "certificate": base64.b64encode(cert.encode()).decode()}
        return obj

    # ---------- bootstrap tokens ----------
    def bootstrap_tokens(self):
        secrets = self.resource_by("", "v1", "secrets")
        items, _ = self.store.list(secrets, "kube-system")
        out = {}
        for s in items:
            if s.get("type") != "bootstrap.kubernetes.io/token":
                continue
            data = {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
            exp = data.get("expiration")
            if exp and exp < now():
                continue
            tid = data.get("token-id")
            if tid and s["metadata"]["name"] == "bootstrap-token-" + tid:
                out[tid] = data
        return out

    def sign_cluster_info(self, cm):
        """The bootstrap signer controller: JWS signatures of cluster-info per token."""
        kubeconfig = (cm.get("data") or {}).get("kubeconfig")
        if kubeconfig is None:
            return cm
        ann = {k: v for k, v in (cm.get("data") or {}).items() if not k.startswith("jws-kubeconfig-")}
        for tid, data in self.bootstrap_tokens().items():
            if data.get("usage-bootstrap-signing") != "true":
                continue
            ann["jws-kubeconfig-" + tid] = jws_detached(kubeconfig, tid, data.get("token-secret", ""))
        cm["data"] = ann
        return cm


REQUEST = threading.local()


def prune(value, schema, path, unknown):
    """Structural pruning of custom resources: fields the CRD schema does not declare are dropped."""
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return value
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and isinstance(extra, dict):
            return {k: prune(v, extra, path + "." + k, unknown) for k, v in value.items()}
        if props is None and extra in (None, False) and schema.get("type") != "object":
            return value
        out = {}
        for k, v in value.items():
            if k in (props or {}):
                out[k] = prune(v, props[k], path + "." + k, unknown)
            elif extra is True or isinstance(extra, dict):
                out[k] = v
            else:
                unknown.append(path + "." + k)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [prune(v, schema["items"], path + "[%d]" % i, unknown) for i, v in enumerate(value)]
    return value


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jws_detached(payload, token_id, secret):
    header = b64url(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    signing = header + "." + b64url(payload.encode())
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return header + ".." + b64url(sig)


def age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if s < 120:
        return "%ds" % s
    if s < 7200:
        return "%dm" % (s // 60)
    return "%dh" % (s // 3600)


def node_roles(o):
    """Roles as upstream's findNodeRoles reads them: node-role.kubernetes.io/<role>
    label keys and the value of kubernetes.io/role, sorted and unique."""
    roles = set()
    for k, v in (o["metadata"].get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/") and len(k) > len("node-role.kubernetes.io/"):
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return ",".join(sorted(roles)) or "<none>"


def node_address(o, kind):
    for a in o.get("status", {}).get("addresses") or []:
        if a.get("type") == kind:
            return a.get("address", "")
    return "<none>"


def node_info(o, key):
    return o.get("status", {}).get("nodeInfo", {}).get(key) or "<unknown>"


AGE_COLUMN = ("Age", 0, "CreationTimestamp is a timestamp representing the server time when this object was "
              "created.", lambda o: age(o["metadata"].get("creationTimestamp")))

# Columns after Name, as k8s.io/kubernetes pkg/printers/internalversion/printers.go
# defines them (name, priority, description, cell). The API server prints with
# Wide set, so priority-1 columns are always sent and kubectl shows them at -o wide.
TABLE_COLUMNS = {
    "Node": [
        ("Status", 0, "The status of the node", lambda o: node_status(o)),
        ("Roles", 0, "The roles of the node", node_roles),
        AGE_COLUMN,
        ("Version", 0, "Kubelet Version reported by the node.",
         lambda o: o.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", "")),
        ("Internal-IP", 1, "List of addresses reachable to the node.", lambda o: node_address(o, "InternalIP")),
        ("External-IP", 1, "List of addresses reachable to the node.", lambda o: node_address(o, "ExternalIP")),
        ("OS-Image", 1, "OS Image reported by the node from /etc/os-release.", lambda o: node_info(o, "osImage")),
        ("Kernel-Version", 1, "Kernel Version reported by the node from 'uname -r'.",
         lambda o: node_info(o, "kernelVersion")),
        ("Container-Runtime", 1, "ContainerRuntime Version reported by the node through runtime remote API.",
         lambda o: node_info(o, "containerRuntimeVersion")),
    ],
    # The emulator's own pod columns: upstream's Ready, Restarts, IP ... are not emulated.
    "Pod": [
        ("Status", 0, "The aggregate status of the containers in this pod.",
         lambda o: "Terminating" if o["metadata"].get("deletionTimestamp") else o.get("status", {}).get("phase", "")),
        ("Node", 0, "Specifies the node the pod is scheduled on.",
         lambda o: o.get("spec", {}).get("nodeName", "<none>")),
        AGE_COLUMN,
    ],
    "Namespace": [
        ("Status", 0, "The status of the namespace", lambda o: o.get("status", {}).get("phase", "")),
        AGE_COLUMN,
    ],
}


def table(res, items, rv):
    """Server-side printing (meta.k8s.io Table) for kubectl get."""
    extra = TABLE_COLUMNS.get(res.kind, [AGE_COLUMN])
    cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}]
    cols += [{"name": name, "type": "string", "format": "", "description": desc, "priority": prio}
             for name, prio, desc, _ in extra]
    rows = []
    for o in items:
        cells = [o["metadata"]["name"]] + [cell(o) for _, _, _, cell in extra]
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                 "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(rv)},
            "columnDefinitions": cols, "rows": rows}


def node_status(o):
    ready = "Unknown"
    for c in o.get("status", {}).get("conditions") or []:
        if c.get("type") == "Ready":
            ready = "Ready" if c.get("status") == "True" else "NotReady"
    if o.get("spec", {}).get("unschedulable"):
        ready += ",SchedulingDisabled"
    return ready


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pharos-testbed-apiserver"
    # Go's net/http buffers a response in 4 KiB (server.go: the connection's bufio
    # writer, newBufioWriterSize(..., 4<<10)) and flushes it when the handler returns, so
    # a small response leaves in one write. Unbuffered, the headers and the body went as
    # two writes, and an SSH server forwarding them (a tunnel to the API) sent two
    # packets, the second held by Nagle's algorithm until the first was acknowledged.
    # handle_one_request flushes after every request; a watch flushes its own chunks.
    wbufsize = 4096

    def log_message(self, fmt, *args):
        if os.environ.get("PHAROS_TESTBED_APISERVER_LOG"):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # ----- plumbing -----
    def send_json(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.raw_body

    def parsed_body(self):
        raw = self.body()
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            # kubectl's typed clients (create deployment, create pdb...) send protobuf
            try:
                return k8s_proto.decode(raw)
            except (k8s_proto.ProtoError, ValueError) as e:
                raise APIError(400, "BadRequest", "the body of the request was in an unknown format: %s" % e)
        try:
            return yaml.safe_load(raw) if raw else None
        except yaml.YAMLError as e:
            raise APIError(400, "BadRequest", "the body of the request was in an unknown format: %s" % e)

    def user(self):
        cert = self.connection.getpeercert()
        if cert:
            cn, orgs = None, []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        orgs.append(v)
            return cn, set(orgs) | {"system:authenticated"}
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[7:].strip()
            tid, _, secret = token.partition(".")
            data = self.server.api.bootstrap_tokens().get(tid)
            if not data or not hmac.compare_digest(data.get("token-secret", ""), secret) or \
                    data.get("usage-bootstrap-authentication") != "true":
                raise APIError(401, "Unauthorized", "Unauthorized")
            groups = {"system:bootstrappers", "system:authenticated"}
            groups |= {g for g in data.get("auth-extra-groups", "").split(",") if g}
            return "system:bootstrap:" + tid, groups
        return "system:anonymous", {"system:unauthenticated"}

    def authorize(self, user, groups, verb, res, ns, name):
        if groups & ADMIN_GROUPS or "system:nodes" in groups:
            return
        if user.startswith("system:kube-") or user == "kube-apiserver-kubelet-client":
            return
        allowed = False
        plural = res.plural if res else None
        if verb == "get" and plural == "configmaps" and (ns, name) == ("kube-public", "cluster-info"):
            allowed = True
        elif "system:bootstrappers" in groups:
            allowed = (verb == "get" and plural == "configmaps" and ns == "kube-system"
                       and name in ("kubeadm-config", "kubelet-config")) or \
                      (verb == "get" and plural == "secrets" and ns == "kube-system" and name == "kubeadm-certs") or \
                      (verb in ("get", "list") and plural == "nodes") or \
                      (verb in ("create", "get") and plural == "certificatesigningrequests")
        if not allowed:
            what = qualified(res) if res else "resource"
            raise APIError(403, "Forbidden", '%s "%s" is forbidden: User "%s" cannot %s resource "%s" in API group '
                           '"%s"%s' % (what, name or "", user, verb, plural, res.group if res else "",
                                       ' in the namespace "%s"' % ns if ns else " at the cluster scope"))

    def read_chunked(self):
        """A chunked request body (kubectl sends some requests that way)."""
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def send_response(self, code, message=None):
        self.status_code = code
        super().send_response(code, message)

    def handle_any(self):
        self.status_code = None
        self.audit_user = None
        try:
            return self.handle_request()
        finally:
            if self.command in MUTATING:
                self.audit()

    def audit(self):
        api = self.server.api
        line = json.dumps({"time": time.time(), "method": self.command, "path": self.path,
                           "user": self.audit_user, "code": self.status_code,
                           "userAgent": self.headers.get("User-Agent", "")}, sort_keys=True) + "\n"
        try:
            with api.audit_lock:
                os.makedirs(os.path.dirname(api.audit_path), exist_ok=True)
                with open(api.audit_path, "a") as f:
                    f.write(line)
        except OSError as e:
            sys.stderr.write("apiserver: cannot write the audit log %s: %s\n" % (api.audit_path, e))

    def handle_request(self):
        api = self.server.api
        # read the body first so an early error never leaves it in the connection
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.raw_body = self.read_chunked()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            self.raw_body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = [p for p in url.path.split("/") if p]
        try:
            user, groups = self.user()
            self.audit_user = user
            fault = api.take_fault(user, url.path)
            if fault:
                time.sleep(float(fault.get("delay", 0)))
                raise injected_error(int(fault.get("code", 503)))
            if url.path in ("/healthz", "/livez", "/readyz") or url.path.startswith(("/healthz/", "/livez/", "/readyz/")):
                try:
                    api.store.etcd.get("/registry/health")
                except etcdmod.EtcdError as e:
                    return self.send_text(500, "[-]etcd failed: %s\nhealthz check failed\n" % e)
                if not api.bootstrapped.is_set():
                    return self.send_text(500, "[-]poststarthook/rbac/bootstrap-roles failed: not finished\n"
                                          "%s check failed\n" % parts[0])
                return self.send_text(200, "ok")
            if url.path == "/version":
                v = api.version.lstrip("v").split(".")
                return self.send_json(200, {"major": v[0], "minor": v[1], "gitVersion": api.version,
                                            "gitCommit": "0" * 40, "gitTreeState": "clean",
                                            "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.0",
                                            "compiler": "gc", "platform": "linux/amd64"})
            if "system:unauthenticated" in groups and not (
                    self.command == "GET" and url.path == "/api/v1/namespaces/kube-public/configmaps/cluster-info"):
                raise APIError(401, "Unauthorized", "Unauthorized")
            if not parts:
                return self.send_json(200, {"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez",
                                                      "/readyz", "/version"]})
            if parts == ["api"]:
                return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                            "serverAddressByClientCIDRs": [
                                                {"clientCIDR": "0.0.0.0/0",
                                                 "serverAddress": "%s:%d" % (api.address, api.port)}]})
            if parts == ["apis"]:
                return self.send_json(200, api.group_list())
            if parts == ["openapi", "v2"]:
                # an empty protobuf Document: no schemas, so kubectl skips client-side schema checks
                self.send_response(200)
                self.send_header("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if parts[:2] == ["openapi", "v3"]:
                return self.send_json(200, api.openapi_v3("/".join(parts[2:])))
            if parts[0] == "api" and len(parts) >= 2:
                group, version, rest = "", parts[1], parts[2:]
            elif parts[0] == "apis" and len(parts) >= 2:
                if len(parts) == 2:
                    g = [x for x in api.group_list()["groups"] if x["name"] == parts[1]]
                    if not g:
                        raise APIError(404, "NotFound", "the server could not find the requested resource")
                    return self.send_json(200, dict(g[0], kind="APIGroup", apiVersion="v1"))
                group, version, rest = parts[1], parts[2], parts[3:]
            else:
                raise APIError(404, "NotFound", "the server could not find the requested resource")
            if not rest:
                lst = api.resource_list(group, version)
                if lst is None:
                    raise APIError(404, "NotFound", "the server could not find the requested resource")
                return self.send_json(200, lst)
            return self.resource_request(api, group, version, rest, q, user, groups)
        except APIError as e:
            return self.send_json(e.code, e.status())
        except (ssl.SSLError, ConnectionError):
            return None

    def resource_request(self, api, group, version, rest, q, user, groups):
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
            if rest[0] in ("status", "finalize") and len(rest) == 1:
                rest = ["namespaces", ns, rest[0]]
                ns = None
        res = api.find(group, version, rest[0])
        if res is None or len(rest) > 3:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        if ns is not None and not res.namespaced:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and not ((sub == "status" and res.status) or (sub in ("eviction", "binding") and res.kind == "Pod")
                        or (sub == "finalize" and res.kind == "Namespace")):
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        dry = q.get("dryRun") == "All"
        REQUEST.field_validation = q.get("fieldValidation", "")
        m = self.command
        verb = {"GET": "get" if name else ("watch" if q.get("watch") in ("1", "true") else "list"),
                "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}.get(m)
        if verb is None:
            raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        self.authorize(user, groups, verb, res, ns, name)
        if m == "GET" and name:
            obj = api.store.get(res, ns, name)
            if res.kind == "ConfigMap" and (ns, name) == ("kube-public", "cluster-info"):
                obj = api.sign_cluster_info(obj)
            return self.send_json(200, obj)
        if m == "GET":
            return self.list_or_watch(api, res, ns, q)
        if m == "POST" and sub == "eviction":
            return self.send_json(201, api.evict(ns, name, self.parsed_body()))
        if m == "POST" and sub == "binding":
            return self.send_json(201, api.bind(ns, name, self.parsed_body()))
        if m == "POST" and not name:
            obj = api.create(res, ns, self.parsed_body(), dry)
            if res.kind == "CertificateSigningRequest" and not dry:
                signed = api.sign_csr(json.loads(json.dumps(obj)))
                if signed.get("status", {}).get("certificate"):
                    obj = api.store.update(res, signed, obj["metadata"]["resourceVersion"])
            return self.send_json(201, obj)
        if m == "PUT" and name:
            return self.send_json(200, api.update(res, ns, name, self.parsed_body(),
                                                  "status" if sub in ("status", "finalize") else None, dry))
        if m == "PATCH" and name:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            return self.send_json(200, api.patch(res, ns, name, ctype, self.body(), sub, dry))
        if m == "DELETE" and name:
            opts = self.parsed_body() or {}
            if q.get("propagationPolicy"):
                opts["propagationPolicy"] = q["propagationPolicy"]
            return self.send_json(200, api.delete(res, ns, name, opts, dry))
        if m == "DELETE":
            items, rv, _, _ = self.selected(api, res, ns, q)
            for item in items:
                api.delete(res, item["metadata"].get("namespace"), item["metadata"]["name"], {}, dry)
            return self.send_json(200, {"kind": res.kind + "List", "apiVersion": res.api_version,
                                        "metadata": {"resourceVersion": str(rv)}, "items": items})
        raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def selected(self, api, res, ns, q):
        try:
            lsel = labelsel.parse_labels(q.get("labelSelector", ""))
            fsel = labelsel.parse_fields(q.get("fieldSelector", ""), res.plural)
        except labelsel.SelectorError as e:
            raise APIError(400, "BadRequest", str(e))
        items, rv = api.store.list(res, ns)
        items = [o for o in items if labelsel.match_labels(lsel, o["metadata"].get("labels"))
                 and labelsel.match_fields(fsel, o)]
        return items, rv, lsel, fsel

    def list_or_watch(self, api, res, ns, q):
        items, rv, lsel, fsel = self.selected(api, res, ns, q)
        if q.get("watch") in ("1", "true"):
            return self.watch(api, res, ns, q, items, rv, lsel, fsel)
        accept = self.headers.get("Accept", "")
        if "as=Table" in accept:
            return self.send_json(200, table(res, items, rv))
        for o in items:
            o.setdefault("kind", res.kind)
            o.setdefault("apiVersion", res.api_version)
        return self.send_json(200, {"kind": res.kind + "List", "apiVersion": res.api_version,
                                    "metadata": {"resourceVersion": str(rv)}, "items": items})

    def watch(self, api, res, ns, q, items, rv, lsel, fsel):
        """Streams watch events from an etcd watch on the resource's key prefix."""
        start = q.get("resourceVersion")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # the apiserver's watch handler flushes its headers at once (a client waits for them)
        self.wfile.flush()

        def emit(kind, obj):
            data = json.dumps({"type": kind, "object": obj}).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        if not start or start == "0":
            for o in items:
                emit("ADDED", o)
            from_rev = rv + 1
        else:
            from_rev = int(start) + 1
        deadline = time.time() + float(q.get("timeoutSeconds") or 300)
        prefix = res.etcd_prefix() + (ns + "/" if res.namespaced and ns else "")
        try:
            for etype, obj in etcd_watch(api.store.etcd, prefix, from_rev, deadline):
                if not (labelsel.match_labels(lsel, obj["metadata"].get("labels"))
                        and labelsel.match_fields(fsel, obj)):
                    continue
                emit(etype, obj)
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, ssl.SSLError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def etcd_watch(client, prefix, from_rev, deadline):
    """Yields (type, object) from etcd's streaming /v3/watch until the deadline.

    A reader thread does blocking reads of the stream (a read timeout would leave the chunked
    response in an undefined state); closing the connection at the end releases it."""
    import queue
    ep = client.endpoints[0].split("://", 1)[-1]
    h, _, p = ep.rpartition(":")
    conn = http.client.HTTPSConnection(h, int(p), context=client.ctx, timeout=10)
    body = json.dumps({"create_request": {"key": etcdmod._b64(prefix),
                                          "range_end": etcdmod._b64(etcdmod.prefix_end(prefix)),
                                          "start_revision": str(from_rev), "prev_kv": True}})
    conn.request("POST", "/v3/watch", body=body)
    resp = conn.getresponse()
    conn.sock.settimeout(None)
    events = queue.Queue()

    def reader():
        try:
            while True:
                line = resp.readline()
                if not line:
                    break
                events.put(json.loads(line))
        except (OSError, ValueError, http.client.HTTPException):
            pass
        events.put(None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                return
            try:
                msg = events.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if msg is None:
                return
            for ev in (msg.get("result") or {}).get("events") or []:
                kv = ev.get("kv") or {}
                if ev.get("type") == "DELETE":
                    prev = ev.get("prev_kv")
                    if prev:
                        yield "DELETED", Store.decode(etcdmod._unb64(prev["value"]), int(kv["mod_revision"]))
                else:
                    obj = Store.decode(etcdmod._unb64(kv["value"]), int(kv["mod_revision"]))
                    yield ("ADDED" if kv.get("create_revision") == kv.get("mod_revision") else "MODIFIED"), obj
    finally:
        try:
            conn.sock.shutdown(2)
        except OSError:
            pass
        conn.close()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        # Go turns Nagle's algorithm off on every TCP connection it accepts (net: TCPConn's
        # SetNoDelay, "the default is true"), so the real kube-apiserver's writes leave at
        # once. Left on here, a response body written after its headers waited for the
        # client's delayed ACK (about 40 ms on Linux) on every kept-alive connection.
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


def parse_flags(argv):
    opts = {}
    for a in argv:
        if not a.startswith("--"):
            raise SystemExit("kube-apiserver: unexpected argument %r" % a)
        k, _, v = a[2:].partition("=")
        opts[k] = v
    for req in ("etcd-servers", "etcd-cafile", "etcd-certfile", "etcd-keyfile", "tls-cert-file",
                "tls-private-key-file", "client-ca-file"):
        if req not in opts:
            raise SystemExit("kube-apiserver: --%s is required" % req)
    return opts


def ensure_system_namespaces(api):
    nsres = api.resource_by("", "v1", "namespaces")
    while True:
        try:
            for ns in SYSTEM_NAMESPACES:
                try:
                    api.create(nsres, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
                except APIError as e:
                    if e.code != 409:
                        raise
            api.finalize_pending()
            api.bootstrapped.set()
            return
        except APIError:
            time.sleep(0.5)



# The Service "kubernetes" in "default" and its endpoints, as every kube-apiserver keeps them
# (pkg/controlplane/instance.go: the bootstrap-controller post-start hook runs
# controller/kubernetesservice/controller.go with the lease endpoint reconciler,
# reconcilers/lease.go, the default of --endpoint-reconciler-type). Every EndpointInterval
# (DefaultEndpointReconcilerInterval, 10s) the server creates the Service if it is missing,
# renews its own lease, its advertise address under /masterleases/ in etcd with the TTL
# DefaultEndpointReconcilerTTL (15s), and makes the Endpoints and EndpointSlice "kubernetes"
# list the addresses with a live lease (reconcilers/endpointsadapter.go): a server that stops
# renewing drops out once its lease expires and another server reconciles.
MASTER_LEASES = "/registry/masterleases/"
ENDPOINT_INTERVAL = 10
LEASE_TTL = 15
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


class KubernetesService:
    def __init__(self, api):
        self.api = api
        self.etcd = api.store.etcd
        # the first address of the (first) --service-cluster-ip-range, 10.0.0.0/24 by default
        # (pkg/kubeapiserver/options/options.go DefaultServiceIPCIDR;
        # pkg/controlplane/apiserver/options/options.go ServiceIPRange: GetIndexedIP(range, 1))
        cidr = (api.opts.get("service-cluster-ip-range") or "10.0.0.0/24").split(",")[0]
        self.service_ip = str(ipaddress.ip_network(cidr.strip(), strict=False).network_address + 1)
        self.ports = [{"name": "https", "port": api.port, "protocol": "TCP"}]
        # the reconciler's reconcilingLock and stopReconcilingCalled
        self.lock = threading.Lock()
        self.stopping = False

    def run(self):
        # Start: a lease of this address left by a server that did not stop cleanly is removed
        # first; Run: reconciling begins once the server is ready (/readyz).
        self.api.bootstrapped.wait()
        try:
            self.etcd.delete(MASTER_LEASES + self.api.address)
        except etcdmod.EtcdError:
            pass
        while True:
            try:
                self.sync()
            except (APIError, etcdmod.EtcdError) as e:
                sys.stderr.write("E kubernetesservice] unable to sync kubernetes service: %s\n" % e)
            time.sleep(ENDPOINT_INTERVAL)

    def sync(self):
        """UpdateKubernetesService: the Service, then this server's lease and the endpoints."""
        self.ensure_service()
        with self.lock:
            if self.stopping:
                return
            self.renew_lease()
            self.reconcile()

    def stop(self):
        """Stop, the stop-kubernetes-service-controller pre-shutdown hook of a server told to
        terminate: its lease removed and the endpoints reconciled without it, to none if it
        was the last."""
        self.stopping = True
        with self.lock:
            self.etcd.delete(MASTER_LEASES + self.api.address)
            self.reconcile()

    def ensure_service(self):
        """CreateOrUpdateMasterServiceIfNeeded: created when missing, left alone otherwise. The
        clusterIPs, ipFamilies and internalTrafficPolicy are what the Service registry's
        allocation and SetDefaults_Service (pkg/apis/core/v1/defaults.go) add on create."""
        res = self.api.resource_by("", "v1", "services")
        try:
            self.api.store.get(res, "default", "kubernetes")
            return
        except APIError as e:
            if e.code != 404:
                raise
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "kubernetes", "namespace": "default",
                            "labels": {"component": "apiserver", "provider": "kubernetes"}},
               "spec": {"type": "ClusterIP", "sessionAffinity": "None", "ipFamilyPolicy": "SingleStack",
                        "clusterIP": self.service_ip, "clusterIPs": [self.service_ip],
                        "ipFamilies": ["IPv6" if ":" in self.service_ip else "IPv4"],
                        "internalTrafficPolicy": "Cluster",
                        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": self.api.port}]},
               "status": {"loadBalancer": {}}}
        try:
            self.api.create(res, "default", svc)
        except APIError as e:
            if e.code != 409:
                raise

    def renew_lease(self):
        """storageLeases.UpdateLease: an Endpoints object naming this address, kept with a TTL."""
        lease = self.etcd.call("/v3/lease/grant", {"TTL": LEASE_TTL})
        value = json.dumps({"kind": "Endpoints", "apiVersion": "v1", "metadata": {},
                            "subsets": [{"addresses": [{"ip": self.api.address}]}]})
        self.etcd.call("/v3/kv/put", {"key": etcdmod._b64(MASTER_LEASES + self.api.address),
                                      "value": etcdmod._b64(value), "lease": lease["ID"]})

    def lease_ips(self):
        ips = []
        for _, value, _ in self.etcd.range_prefix(MASTER_LEASES)[0]:
            subsets = json.loads(value).get("subsets") or []
            addrs = subsets[0].get("addresses") or [] if subsets else []
            if addrs and addrs[0].get("ip"):
                ips.append(addrs[0]["ip"])
        return ips

    def reconcile(self):
        """leaseEndpointReconciler.doReconcile with reconcilePorts false, as the periodic sync runs it."""
        res = self.api.resource_by("", "v1", "endpoints")
        try:
            ep, create = self.api.store.get(res, "default", "kubernetes"), False
        except APIError as e:
            if e.code != 404:
                raise
            if self.stopping:
                return
            ep, create = {"apiVersion": "v1", "kind": "Endpoints",
                          "metadata": {"name": "kubernetes", "namespace": "default"}}, True
        ips = self.lease_ips()
        if not ips and not self.stopping:
            raise APIError(500, "InternalError", "no API server IP addresses were listed in storage, refusing "
                           "to erase all endpoints for the kubernetes Service")
        labels = ep["metadata"].setdefault("labels", {})
        mirror_changed = labels.get(SKIP_MIRROR) != "true"
        labels[SKIP_MIRROR] = "true"
        subsets = ep.get("subsets") or []
        format_ok = len(subsets) == 1
        ips_ok = format_ok and sorted(a.get("ip") for a in subsets[0].get("addresses") or []) == sorted(ips)
        if not mirror_changed and ips_ok:
            return self.ensure_slice(ep)
        if not format_ok:
            ep["subsets"] = [{"ports": self.ports}]
        # RepackSubsets (pkg/api/v1/endpoints/util.go) keeps the addresses sorted, and drops
        # a subset left without any
        ep["subsets"][0]["addresses"] = [{"ip": ip} for ip in sorted(ips)]
        if not ips:
            del ep["subsets"]
        try:
            ep = self.api.create(res, "default", ep) if create else self.api.update(res, "default", "kubernetes", ep)
        except APIError as e:
            if not (create and e.code == 409):
                raise
        self.ensure_slice(ep)

    def ensure_slice(self, ep):
        """EnsureEndpointSliceFromEndpoints: the EndpointSlice of the same name, written when it differs."""
        res = self.api.resource_by("discovery.k8s.io", "v1", "endpointslices")
        subset = (ep.get("subsets") or [{}])[0]
        addrs = subset.get("addresses") or []
        family = "IPv6" if addrs and all(":" in a["ip"] for a in addrs) else "IPv4"
        want = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": family,
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"kubernetes.io/service-name": "kubernetes"}},
                "endpoints": [{"addresses": [a["ip"]], "conditions": {"ready": True}} for a in addrs
                              if (":" in a["ip"]) == (family == "IPv6")],
                "ports": subset.get("ports") or []}
        try:
            cur = self.api.store.get(res, "default", "kubernetes")
        except APIError as e:
            if e.code != 404:
                raise
            try:
                self.api.create(res, "default", want)
            except APIError as e2:
                if e2.code != 409:
                    raise
            return
        if cur.get("addressType") != family:
            self.api.store.delete(res, cur)
            self.api.create(res, "default", want)
        elif (cur.get("endpoints") or []) != want["endpoints"] or (cur.get("ports") or []) != want["ports"] or \
                cur["metadata"].get("labels") != want["metadata"]["labels"]:
            want["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
            self.api.update(res, "default", "kubernetes", want)


def reload_serving_cert(ctx, cert, key):
    """kube-apiserver serves a changed certificate and key without a restart (apiserver's
    dynamiccertificates: a watch on both files, and a check every minute); a pair that does not
    load is reported and the old one kept."""
    def stamp():
        try:
            return tuple((os.stat(p).st_ino, os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in (cert, key))
        except OSError:
            return None
    last = stamp()
    while True:
        time.sleep(1)
        now = stamp()
        if now is None or now == last:
            continue
        try:
            ctx.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write('E dynamic_serving_content] "Failed to load cert/key pair" name="serving-cert" '
                             'err="%s"\n' % e)
            continue
        last = now
        sys.stderr.write('I dynamic_serving_content] "Loaded a new cert/key pair" name="serving-cert" '
                         'certName="%s"\n' % cert)


def main(argv):
    # every path arrives as a machine path (the kubelet resolved the host's)
    os.environ["PHAROS_TESTBED_ROOT"] = ""
    opts = parse_flags(argv)
    opts.setdefault("version", os.environ.get("PHAROS_TESTBED_K8S_VERSION", "v1.31.0"))
    # the CSR signer of kube-controller-manager uses the cluster CA kept beside the client CA
    ca_base = opts["client-ca-file"].rsplit(".", 1)[0]
    if os.path.exists(ca_base + ".key"):
        opts["cluster-signing-ca-base"] = ca_base
    api = API(opts)
    bind = opts.get("bind-address") or opts.get("advertise-address", "127.0.0.1")
    if bind == "0.0.0.0":
        bind = opts.get("advertise-address", "127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts["tls-cert-file"], opts["tls-private-key-file"])
    ctx.load_verify_locations(opts["client-ca-file"])
    ctx.verify_mode = ssl.CERT_OPTIONAL
    server = Server((bind, api.port), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.api = api
    threading.Thread(target=reload_serving_cert, args=(ctx, opts["tls-cert-file"], opts["tls-private-key-file"]),
                     daemon=True).start()
    threading.Thread(target=ensure_system_namespaces, args=(api,), daemon=True).start()
    kubernetes_service = KubernetesService(api)
    threading.Thread(target=kubernetes_service.run, daemon=True).start()

    def terminate(*_):
        try:
            kubernetes_service.stop()
        except (APIError, etcdmod.EtcdError) as e:
            sys.stderr.write("E kubernetesservice] Unable to remove endpoints from kubernetes service: %s\n" % e)
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
