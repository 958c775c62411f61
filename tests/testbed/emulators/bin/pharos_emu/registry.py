"""Container registries of the mirror: the OCI distribution API for manifests only.

The registries the manifests and kubeadm name answer `GET/HEAD /v2/<name>/manifests/<ref>`
for the images the testbed knows (an image index for amd64 and arm64, with
Docker-Content-Digest), 404 MANIFEST_UNKNOWN for any other tag and 404
NAME_UNKNOWN for any other repository, so a test can check that every image a
cluster references exists. Docker Hub and GHCR ask for an anonymous bearer
token first, as the real ones do. No blobs: nothing is pulled or run.

In real mode (the mirror's --real) a Store of built images answers instead,
with their blobs: GET/HEAD /v2/<name>/blobs/<digest>, 404 BLOB_UNKNOWN for a
digest the repository does not reference.
"""
import hashlib
import json
import re

from . import catalog
from .filebody import FileBody

REGISTRIES = ["registry.k8s.io", "registry-1.docker.io", "docker.io", "auth.docker.io", "ghcr.io", "quay.io"]

# kubeadm's etcd, CoreDNS and pause tags over the minors the package catalog carries.
ETCD = sorted({p["etcd"] for p in catalog.KUBEADM_IMAGES.values()})
COREDNS = sorted({p["coredns"] for p in catalog.KUBEADM_IMAGES.values()})
PAUSE = sorted({p["pause"] for p in catalog.KUBEADM_IMAGES.values()})


def _images():
    """{(registry, repository): set of tags}."""
    kube = set()
    for minor, last in catalog.K8S_PATCHES.items():
        kube.update("v%s.%d" % (minor, p) for p in range(last + 1))
    out = {("registry.k8s.io", "kube-" + c): kube
           for c in ("apiserver", "controller-manager", "scheduler", "proxy")}
    out[("registry.k8s.io", "etcd")] = set(ETCD)
    out[("registry.k8s.io", "coredns/coredns")] = set(COREDNS)
    out[("registry.k8s.io", "pause")] = set(PAUSE)
    for c in ("weave-kube", "weave-npc"):
        out[("registry-1.docker.io", "weaveworks/" + c)] = {"2.8.1", "latest"}
        out[("ghcr.io", "weaveworks/" + c)] = {"2.8.1"}
    calico = {"v3.28.2", "v3.29.0", "v3.29.3", "v3.29.4", "v3.30.0"}
    for c in ("cni", "node", "kube-controllers"):
        out[("registry-1.docker.io", "calico/" + c)] = calico
        out[("quay.io", "calico/" + c)] = calico
    out[("registry-1.docker.io", "library/busybox")] = {"1.36", "1.37", "latest"}
    out[("registry-1.docker.io", "library/haproxy")] = {"2.6", "2.8", "3.0", "3.2", "latest"}
    out[("quay.io", "coreos/etcd")] = {"v3.5.15", "v3.5.21"}
    return out


IMAGES = _images()
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TOKEN = "pharos-testbed-anonymous"
NEEDS_TOKEN = {"registry-1.docker.io": ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'),
               "ghcr.io": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"'}


def _index(registry, name, tag):
    manifests = []
    for arch in ("amd64", "arm64"):
        digest = "sha256:" + hashlib.sha256(("%s/%s:%s/%s" % (registry, name, tag, arch)).encode()).hexdigest()
        manifests.append({"mediaType": MANIFEST, "digest": digest, "size": 1024,
                          "platform": {"architecture": arch, "os": "linux"}})
    return json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}, sort_keys=True).encode()


def _error(status, code, message):
    return status, "application/json", json.dumps({"errors": [{"code": code, "message": message}]}).encode(), {}


def route(hostname, path, headers, store=None):
    """(status, content type, body, extra headers) for a registry request; store: real mode's images."""
    if hostname in ("auth.docker.io",) or (hostname == "ghcr.io" and path == "/token"):
        if path != "/token":
            return _error(404, "NOT_FOUND", "not found")
        return 200, "application/json", json.dumps({"token": TOKEN, "access_token": TOKEN,
                                                    "expires_in": 300}).encode(), {}
    # docker.io is Docker Hub's name; its API lives on registry-1.docker.io
    registry = "registry-1.docker.io" if hostname == "docker.io" else hostname
    if registry in NEEDS_TOKEN and headers.get("Authorization") != "Bearer " + TOKEN:
        status, ctype, body, _ = _error(401, "UNAUTHORIZED", "authentication required")
        return status, ctype, body, {"WWW-Authenticate": NEEDS_TOKEN[registry],
                                     "Docker-Distribution-API-Version": "registry/2.0"}
    if path in ("/v2", "/v2/"):
        return 200, "application/json", b"{}", {"Docker-Distribution-API-Version": "registry/2.0"}
    if store is not None:
        return _real(store, registry, path)
    m = re.match(r"^/v2/(.+)/manifests/([^/]+)$", path)
    if not m:
        return _error(404, "NOT_FOUND", "not found")
    name, ref = m.group(1), m.group(2)
    tags = IMAGES.get((registry, name))
    if tags is None:
        return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
    body = None
    if ref.startswith("sha256:"):
        for tag in tags:
            b = _index(registry, name, tag)
            if "sha256:" + hashlib.sha256(b).hexdigest() == ref:
                body = b
    elif ref in tags:
        body = _index(registry, name, ref)
    if body is None:
        return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
    return 200, INDEX, body, {"Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                              "Docker-Distribution-API-Version": "registry/2.0"}


def _real(store, registry, path):
    m = re.match(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$", path)
    if not m:
        return _error(404, "NOT_FOUND", "not found")
    name, kind, ref = m.groups()
    if not store.knows(registry, name):
        return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
    api = {"Docker-Distribution-API-Version": "registry/2.0"}
    if kind == "manifests":
        found = store.manifest(registry, name, ref)
        if found is None:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        digest, media_type = found
        with open(store.path(digest), "rb") as f:
            body = f.read()
        return 200, media_type, body, dict(api, **{"Docker-Content-Digest": digest})
    blob = store.blob(registry, name, ref)
    if blob is None:
        return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")
    return 200, "application/octet-stream", FileBody(blob), dict(api, **{"Docker-Content-Digest": ref})
