"""Client for etcd's v3 JSON gateway (/v3/kv/*, /v3/cluster/*) over TLS with client certs."""
import base64
import http.client
import json
import ssl
import threading


class EtcdError(Exception):
    """detail: the error as etcd's Go client gives it (etcd's own message, or "context
    deadline exceeded" for an endpoint that did not answer), without the endpoint."""

    def __init__(self, msg, detail=None):
        super().__init__(msg)
        self.detail = detail or msg


def _b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def _unb64(s):
    return base64.b64decode(s) if s else b""


def prefix_end(key):
    b = bytearray(key.encode())
    for i in range(len(b) - 1, -1, -1):
        if b[i] < 0xFF:
            b[i] += 1
            return bytes(b[: i + 1])
    return b"\0"


class Client:
    def __init__(self, endpoints, cafile, certfile, keyfile, timeout=5.0, ctx=None):
        self.endpoints = list(endpoints)
        if ctx is None:
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.load_cert_chain(certfile, keyfile)
            ctx.check_hostname = False
        self.ctx = ctx
        self.timeout = timeout
        # Idle kept-alive connections per endpoint, shared by all threads: the API
        # emulator serves each client connection on a new thread, so connections
        # kept per thread died with it and every request paid a TLS handshake on
        # both sides.
        self.idle = {}
        self.idle_lock = threading.Lock()

    def _connect(self, ep):
        hostport = ep.split("://", 1)[-1].rstrip("/")
        h, _, p = hostport.rpartition(":")
        return http.client.HTTPSConnection(h, int(p), context=self.ctx, timeout=self.timeout)

    def _post(self, ep, path, data):
        """One request on an idle kept-alive connection to ep if there is one (a new one if
        the server closed it meanwhile), else on a new one, kept for the next request."""
        with self.idle_lock:
            pool = self.idle.get(ep)
            conn = pool.pop() if pool else None
        for reused in ((True, False) if conn else (False,)):
            if not reused:
                conn = self._connect(ep)
            try:
                conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
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
                    self.idle.setdefault(ep, []).append(conn)
            return resp, out

    def call(self, path, body):
        data = json.dumps(body).encode()
        last = None
        for ep in self.endpoints:
            try:
                resp, out = self._post(ep, path, data)
            except (OSError, http.client.HTTPException) as e:
                last = EtcdError("%s: %s" % (ep, e), "context deadline exceeded")
                continue
            if resp.status != 200:
                try:
                    msg = json.loads(out).get("error") or json.loads(out).get("message")
                except ValueError:
                    msg = out.decode(errors="replace")
                last = EtcdError("etcd %s: %s" % (ep, msg), msg)
                # a member without quorum answers with an error; another endpoint won't help a write
                raise last
            return json.loads(out or b"{}")
        raise last or EtcdError("no etcd endpoints", "context deadline exceeded")

    # --- kv ---
    def get(self, key):
        r = self.call("/v3/kv/range", {"key": _b64(key)})
        kvs = r.get("kvs") or []
        if not kvs:
            return None, int(r["header"]["revision"])
        kv = kvs[0]
        return (_unb64(kv.get("value")), int(kv["mod_revision"])), int(r["header"]["revision"])

    def range_prefix(self, prefix):
        r = self.call("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))})
        out = []
        for kv in r.get("kvs") or []:
            out.append((_unb64(kv["key"]).decode(), _unb64(kv.get("value")), int(kv["mod_revision"])))
        return out, int(r["header"]["revision"])

    def create(self, key, value):
        """Puts key only if absent; returns the new revision or None if it existed."""
        r = self.call("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        })
        if not r.get("succeeded"):
            return None
        return int(r["header"]["revision"])

    def update(self, key, value, mod_revision):
        """Puts key only if its mod revision is unchanged; returns new revision or None."""
        r = self.call("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "MOD", "result": "EQUAL", "mod_revision": str(mod_revision)}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        })
        if not r.get("succeeded"):
            return None
        return int(r["header"]["revision"])

    def delete(self, key, mod_revision=None):
        body = {"compare": [], "success": [{"request_delete_range": {"key": _b64(key)}}]}
        if mod_revision is not None:
            body["compare"].append({"key": _b64(key), "target": "MOD", "result": "EQUAL",
                                    "mod_revision": str(mod_revision)})
        r = self.call("/v3/kv/txn", body)
        if not r.get("succeeded"):
            return None
        return int(r["header"]["revision"])

    # --- cluster ---
    def member_list(self):
        return self.call("/v3/cluster/member/list", {}).get("members") or []

    def member_add(self, peer_url, learner=False):
        """MemberAdd, or MemberAddAsLearner (etcd 3.4: a learner neither votes nor counts
        for quorum; one learner at most, "etcdserver: too many learner members in cluster")."""
        body = {"peerURLs": [peer_url]}
        if learner:
            body["isLearner"] = True
        return self.call("/v3/cluster/member/add", body)

    def member_promote(self, member_id):
        """MemberPromote: refused with "etcdserver: can only promote a learner member which
        is in sync with leader" until the learner has caught up with the leader's log."""
        return self.call("/v3/cluster/member/promote", {"ID": str(member_id)})

    def status(self, endpoint):
        """Maintenance Status of one endpoint (its "errors": no leader, active alarms)."""
        return Client([endpoint], None, None, None, self.timeout, self.ctx).call("/v3/maintenance/status", {})

    def member_remove(self, member_id):
        return self.call("/v3/cluster/member/remove", {"ID": str(member_id)})
