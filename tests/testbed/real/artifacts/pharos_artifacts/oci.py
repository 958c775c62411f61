"""OCI images without a container engine: deterministic tar layers, gzip, blobs, manifests, index.

Every tar entry is owned by root with a fixed mtime and every gzip stream has
no name and mtime 0, so the same input files give the same digests.
"""
import gzip
import hashlib
import io
import json
import os
import tarfile

MTIME = 1767225600  # 2026-01-01, the time every file of every image carries
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
# cap_net_bind_service=+ep as `setcap` stores it (struct vfs_cap_data, revision 2)
CAP_NET_BIND_SERVICE = bytes([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])


class Tree:
    """Files of one layer: image path -> entry."""

    def __init__(self):
        self.entries = {}

    def dir(self, path, mode=0o755):
        self.entries[path.strip("/")] = ("dir", mode, None, None)

    def file(self, path, source=None, data=None, mode=0o755, xattrs=None):
        """A file copied from source (a path on the machine) or holding data (bytes)."""
        self.entries[path.strip("/")] = ("file", mode, source if data is None else data, xattrs)

    def symlink(self, path, target):
        self.entries[path.strip("/")] = ("symlink", 0o777, target, None)

    def add_tree(self, root, prefix=""):
        """Everything under a directory on the machine (modes and symlinks kept)."""
        for dirpath, dirs, files in os.walk(root):
            dirs.sort()
            rel = os.path.relpath(dirpath, root)
            for n in dirs + sorted(files):
                full = os.path.join(dirpath, n)
                dest = os.path.normpath(os.path.join(prefix, rel, n)).strip("/")
                st = os.lstat(full)
                if os.path.islink(full):
                    self.symlink(dest, os.readlink(full))
                elif os.path.isdir(full):
                    self.dir(dest, st.st_mode & 0o7777)
                else:
                    self.file(dest, source=full, mode=st.st_mode & 0o7777)

    def write_tar(self, out):
        paths = set(self.entries)
        for p in list(paths):
            parts = p.split("/")
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                if parent not in self.entries:
                    self.entries[parent] = ("dir", 0o755, None, None)
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                kind, mode, payload, xattrs = self.entries[path]
                info = tarfile.TarInfo(path)
                info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, MTIME, 0, 0, "root", "root"
                if xattrs:
                    info.pax_headers = {"SCHILY.xattr." + k: v.decode("latin-1") for k, v in xattrs.items()}
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif kind == "symlink":
                    info.type, info.linkname = tarfile.SYMTYPE, payload
                    tar.addfile(info)
                elif isinstance(payload, bytes):
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
                else:
                    info.size = os.path.getsize(payload)
                    with open(payload, "rb") as f:
                        tar.addfile(info, f)


class _Hashing:
    """A write-only file that hashes and counts what goes through it."""

    def __init__(self, f):
        self.f, self.sha, self.size = f, hashlib.sha256(), 0

    def write(self, b):
        self.sha.update(b)
        self.size += len(b)
        return self.f.write(b)

    def flush(self):
        self.f.flush()


class Store:
    """An OCI image layout (oci-layout, index.json, blobs/sha256/) under a directory."""

    def __init__(self, root, compresslevel=6):
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        os.makedirs(self.blobs, exist_ok=True)
        self.level = compresslevel
        self.refs = []          # (image name, index descriptor)
        self.layers = {}        # tree -> (descriptor, diff_id); a tree is its own key (identity)

    def put(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.blobs, digest)
        if not os.path.exists(path):
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def layer(self, tree):
        """(descriptor, diff_id) of a tree's gzip layer, made once per tree."""
        if tree in self.layers:
            return self.layers[tree]
        tmp = os.path.join(self.blobs, "layer.tmp")
        with open(tmp, "wb") as raw:
            zipped = _Hashing(raw)
            with gzip.GzipFile(filename="", mode="wb", fileobj=zipped, mtime=0,
                               compresslevel=self.level) as gz:
                plain = _Hashing(gz)
                tree.write_tar(plain)
        digest = zipped.sha.hexdigest()
        os.rename(tmp, os.path.join(self.blobs, digest))
        result = ({"mediaType": LAYER, "digest": "sha256:" + digest, "size": zipped.size},
                  "sha256:" + plain.sha.hexdigest())
        self.layers[tree] = result
        return result

    def image(self, name, trees, config):
        """Stores an image (linux/amd64) made of trees, bottom first; config is the OCI config's "config"."""
        layers = [self.layer(t) for t in trees]
        cfg = {"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z", "config": config,
               "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
               "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "pharos testbed artifacts"}
                           for _ in layers]}
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": self.put(_json(cfg), CONFIG),
                    "layers": [d for d, _ in layers]}
        mdesc = self.put(_json(manifest), MANIFEST)
        mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [mdesc]}
        idesc = self.put(_json(index), INDEX)
        self.refs.append((name, idesc))
        return idesc

    def finish(self):
        """Writes oci-layout and index.json naming every image (containerd's annotation: the full name)."""
        with open(os.path.join(self.root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion": "1.0.0"}\n')
        manifests = [dict(desc, annotations={"io.containerd.image.name": name,
                                             "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]})
                     for name, desc in sorted(self.refs)]
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(_json({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}))


def _json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
