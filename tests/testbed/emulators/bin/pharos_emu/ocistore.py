"""The registries' content in real mode: an OCI image layout built by tests/testbed/real/artifacts.

index.json names each image (io.containerd.image.name, e.g.
registry.k8s.io/pause:3.10.2); a repository serves its tags, and by digest
only the manifests and blobs its images reference, as a real registry does.
"""
import json
import os

# Docker Hub's API host for the names images carry
API_HOST = {"docker.io": "registry-1.docker.io"}


class Store:
    def __init__(self, root):
        self.root = root
        self.tags = {}      # (registry, repository) -> {tag: digest}
        self.refs = {}      # (registry, repository) -> set of digests it references
        self.media = {}     # digest -> media type, for manifests and indexes
        with open(os.path.join(root, "index.json")) as f:
            index = json.load(f)
        for desc in index["manifests"]:
            name = desc["annotations"]["io.containerd.image.name"]
            host, _, rest = name.partition("/")
            repo, _, tag = rest.rpartition(":")
            key = (API_HOST.get(host, host), repo)
            self.tags.setdefault(key, {})[tag] = desc["digest"]
            self._walk(key, desc)

    def _walk(self, key, desc):
        digest = desc["digest"]
        self.refs.setdefault(key, set()).add(digest)
        if desc["mediaType"].endswith("index.v1+json") or desc["mediaType"].endswith("manifest.v1+json"):
            self.media[digest] = desc["mediaType"]
            with open(self.path(digest)) as f:
                doc = json.load(f)
            for child in doc.get("manifests", []) + doc.get("layers", []) + ([doc["config"]] if "config" in doc else []):
                self._walk(key, child)

    def path(self, digest):
        return os.path.join(self.root, "blobs", "sha256", digest.split(":", 1)[1])

    def knows(self, registry, repo):
        return (registry, repo) in self.tags

    def manifest(self, registry, repo, ref):
        """(digest, media type) or None."""
        digest = ref if ref.startswith("sha256:") else self.tags.get((registry, repo), {}).get(ref)
        if digest is None or digest not in self.refs.get((registry, repo), ()) or digest not in self.media:
            return None
        return digest, self.media[digest]

    def blob(self, registry, repo, digest):
        """The blob's file path or None."""
        if digest not in self.refs.get((registry, repo), ()):
            return None
        return self.path(digest)
