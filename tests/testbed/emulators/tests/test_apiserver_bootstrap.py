"""The API emulator's health follows the real server's rbac/bootstrap-roles post-start hook:
/healthz, /livez and /readyz fail until kube-system and kube-public exist
(component-helpers auth/rbac/reconciliation tryEnsureNamespace), so a client that waited
for health may create objects there at once, as kubeadm init does."""
import os
import sys
import threading
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import apiserver  # noqa: E402
from pharos_emu.apiserver import APIError  # noqa: E402


class FakeEtcd:
    def get(self, key):
        return None


class FakeAPI:
    """Just what the health path and the namespace bootstrap touch."""

    def __init__(self, failures):
        self.failures = failures
        self.created = []
        self.bootstrapped = threading.Event()
        self.store = types.SimpleNamespace(etcd=FakeEtcd())
        self.may_create = threading.Event()

    def take_fault(self, user, path):
        return None

    def resource_by(self, group, version, plural):
        return plural

    def create(self, res, ns, obj):
        self.may_create.wait(10)
        if self.failures:
            self.failures -= 1
            raise APIError(500, "InternalError", "etcdserver: request timed out")
        name = obj["metadata"]["name"]
        if name in self.created:
            raise APIError(409, "AlreadyExists", "namespaces %r already exists" % name)
        self.created.append(name)

    def finalize_pending(self):
        pass


def health(api, path):
    """Runs the emulator's request handler for one anonymous GET and returns (code, body)."""
    h = apiserver.Handler.__new__(apiserver.Handler)
    h.server = types.SimpleNamespace(api=api)
    h.connection = types.SimpleNamespace(getpeercert=lambda: None)
    h.headers = {}
    h.command, h.path = "GET", path
    got = {}

    def send_text(code, text):
        got["code"], got["text"] = code, text
    h.send_text = send_text
    h.handle_request()
    return got["code"], got["text"]


class BootstrapHealthTest(unittest.TestCase):
    def test_health_waits_for_the_system_namespaces(self):
        api = FakeAPI(failures=2)
        t = threading.Thread(target=apiserver.ensure_system_namespaces, args=(api,), daemon=True)
        t.start()
        for path in ("/healthz", "/livez", "/readyz"):
            code, text = health(api, path)
            self.assertEqual(code, 500, path)
            self.assertIn("[-]poststarthook/rbac/bootstrap-roles failed", text)
            self.assertIn("%s check failed" % path[1:], text)
        api.may_create.set()
        t.join(10)
        self.assertFalse(t.is_alive(), "the bootstrap retries transient errors and ends")
        self.assertEqual(api.created, apiserver.SYSTEM_NAMESPACES)
        self.assertEqual(health(api, "/healthz"), (200, "ok"))

    def test_existing_namespaces_count_as_bootstrapped(self):
        api = FakeAPI(failures=0)
        api.created = list(apiserver.SYSTEM_NAMESPACES)
        api.may_create.set()
        apiserver.ensure_system_namespaces(api)
        self.assertTrue(api.bootstrapped.is_set())
        self.assertEqual(health(api, "/readyz"), (200, "ok"))


if __name__ == "__main__":
    unittest.main()
