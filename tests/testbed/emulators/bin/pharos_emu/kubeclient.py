"""Minimal Kubernetes API client used by kubeadm and kubelet emulators (kubeconfig auth)."""
import base64
import http.client
import json
import os
import ssl
import tempfile
import threading

import yaml

from . import host


class APIError(Exception):
    def __init__(self, code, message, body=None):
        super().__init__(message)
        self.code = code
        self.body = body


class Client:
    def __init__(self, server, ca_pem=None, cert_pem=None, key_pem=None, token=None, verify=True, timeout=10):
        self.server = server
        self.token = token
        self.timeout = timeout
        hostport = server.split("://", 1)[1].rstrip("/")
        h, _, p = hostport.rpartition(":")
        self.hostname, self.port = h.strip("[]"), int(p or 443)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        if verify and ca_pem:
            ctx.load_verify_locations(cadata=ca_pem)
            ctx.verify_mode = ssl.CERT_REQUIRED
        else:
            ctx.verify_mode = ssl.CERT_NONE
        if cert_pem and key_pem:
            with tempfile.TemporaryDirectory() as d:
                with open(d + "/c", "w") as f:
                    f.write(cert_pem)
                with open(d + "/k", "w") as f:
                    f.write(key_pem)
                ctx.load_cert_chain(d + "/c", d + "/k")
        self.ctx = ctx
        # one kept-alive connection: the kubelet and the controllers ask every second,
        # and a TLS handshake per request was most of their and the API server's idle CPU
        self.idle = None
        self.idle_lock = threading.Lock()

    @classmethod
    def from_kubeconfig(cls, hostpath, timeout=10):
        text = host.read(hostpath)
        if text is None:
            raise APIError(0, "open %s: no such file or directory" % hostpath)
        cfg = yaml.safe_load(text)
        ctxname = cfg.get("current-context")
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctxname)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])

        def data(d, key):
            if d.get(key + "-data"):
                return base64.b64decode(d[key + "-data"]).decode()
            if d.get(key):
                p = d[key]
                if not p.startswith("/"):
                    p = os.path.join(os.path.dirname(hostpath), p)
                return host.read(p)
            return None

        cert = data(user, "client-certificate")
        key = data(user, "client-key")
        return cls(cluster["server"], data(cluster, "certificate-authority"), cert, key,
                   user.get("token"), timeout=timeout)

    def _connect(self):
        # the emulated hosts share the machine's network: a host's loopback is its own address
        name = self.hostname
        if host.in_host() and name in ("127.0.0.1", "localhost", "::1"):
            name = host.address()
        return http.client.HTTPSConnection(name, self.port, context=self.ctx, timeout=self.timeout)

    def _exchange(self, method, path, data, headers):
        """Sends on the idle connection if there is one (a new one if the server closed it
        meanwhile), else on a new one; keeps it for the next request unless told to close."""
        with self.idle_lock:
            conn, self.idle = self.idle, None
        for reused in ((True, False) if conn else (False,)):
            if not reused:
                conn = self._connect()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                out = resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                if reused:
                    continue
                raise
            if resp.will_close:
                conn.close()
            else:
                with self.idle_lock:
                    if self.idle is None:
                        self.idle, conn = conn, None
                if conn is not None:
                    conn.close()
            return resp, out

    def request(self, method, path, body=None, ctype="application/json"):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = ctype
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        try:
            resp, out = self._exchange(method, path, data, headers)
        except (OSError, http.client.HTTPException) as e:
            raise APIError(0, "Get \"%s%s\": %s" % (self.server, path, e))
        try:
            obj = json.loads(out) if out else None
        except ValueError:
            obj = out.decode(errors="replace")
        if resp.status >= 400:
            msg = obj.get("message") if isinstance(obj, dict) else str(obj)
            raise APIError(resp.status, msg, obj)
        return obj

    def get(self, path):
        return self.request("GET", path)

    def create(self, path, obj):
        return self.request("POST", path, obj)

    def apply(self, path, obj):
        """Create, or replace if present (kubeadm's CreateOrUpdate)."""
        try:
            return self.create(path, obj)
        except APIError as e:
            if e.code != 409:
                raise
        name = obj["metadata"]["name"]
        cur = self.get(path + "/" + name)
        obj = dict(obj)
        obj["metadata"] = dict(obj["metadata"], resourceVersion=cur["metadata"]["resourceVersion"])
        return self.request("PUT", path + "/" + name, obj)

    def merge_patch(self, path, patch):
        return self.request("PATCH", path, patch, "application/merge-patch+json")

    def strategic_patch(self, path, patch):
        return self.request("PATCH", path, patch, "application/strategic-merge-patch+json")
