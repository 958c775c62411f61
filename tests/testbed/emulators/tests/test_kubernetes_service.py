"""The Service "kubernetes" in "default" and its Endpoints and EndpointSlice, as every
kube-apiserver keeps them (k8s.io/kubernetes v1.37.2 pkg/controlplane/controller/
kubernetesservice/controller.go, pkg/controlplane/reconcilers/lease.go and
endpointsadapter.go): one endpoint per API server whose lease under /masterleases/ lives,
an API server that stops renewing gone once its lease expired. Two emulated API servers
share an in-memory etcd whose leases expire on a clock the test moves."""
import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import apiserver  # noqa: E402
from pharos_emu import etcd as etcdmod  # noqa: E402


class LeasingEtcd:
    """What the API emulator asks of etcd: keys with mod revisions, leases with a TTL."""

    def __init__(self):
        self.kv = {}  # key -> (value, mod revision, lease id)
        self.leases = {}  # lease id -> expiry
        self.rev = 1
        self.now = 0.0
        self.writes = []

    def _live(self):
        for key in [k for k, v in self.kv.items() if v[2] and self.leases[v[2]] <= self.now]:
            del self.kv[key]
        return self.kv

    def _put(self, key, value, lease=None):
        self.rev += 1
        self.kv[key] = (value if isinstance(value, bytes) else value.encode(), self.rev, lease)
        self.writes.append(key)
        return self.rev

    def get(self, key):
        hit = self._live().get(key)
        return ((hit[0], hit[1]) if hit else None), self.rev

    def range_prefix(self, prefix):
        return [(k, v[0], v[1]) for k, v in sorted(self._live().items()) if k.startswith(prefix)], self.rev

    def create(self, key, value):
        return None if key in self._live() else self._put(key, value)

    def update(self, key, value, mod_revision):
        hit = self._live().get(key)
        return self._put(key, value) if hit and hit[1] == mod_revision else None

    def delete(self, key, mod_revision=None):
        hit = self._live().get(key)
        if hit is None or (mod_revision is not None and hit[1] != mod_revision):
            return None if mod_revision is not None else self.rev
        del self.kv[key]
        self.rev += 1
        return self.rev

    def call(self, path, body):
        if path == "/v3/lease/grant":
            lease = str(len(self.leases) + 1)
            self.leases[lease] = self.now + body["TTL"]
            return {"ID": lease}
        if path == "/v3/kv/put":
            self._put(etcdmod._unb64(body["key"]).decode(), etcdmod._unb64(body["value"]), body.get("lease"))
            return {}
        raise AssertionError("unexpected etcd call " + path)


def api_server(etcd, address):
    opts = {"etcd-servers": "https://127.0.0.1:2379", "etcd-cafile": "", "etcd-certfile": "",
            "etcd-keyfile": "", "tls-cert-file": "/nonexistent/etc/kubernetes/pki/apiserver.crt",
            "advertise-address": address, "secure-port": "6443",
            "service-cluster-ip-range": "10.96.0.0/12"}
    with mock.patch.object(apiserver.etcdmod, "Client", return_value=etcd):
        api = apiserver.API(opts)
    apiserver.ensure_system_namespaces(api)
    return api


class KubernetesServiceTest(unittest.TestCase):
    def setUp(self):
        self.etcd = LeasingEtcd()
        self.a = apiserver.KubernetesService(api_server(self.etcd, "192.0.2.11"))
        self.b = apiserver.KubernetesService(api_server(self.etcd, "192.0.2.2"))

    def get(self, plural, group=""):
        res = self.a.api.resource_by(group, "v1", plural)
        return self.a.api.store.get(res, "default", "kubernetes")

    def endpoint_ips(self):
        ep = self.get("endpoints")
        self.assertEqual(len(ep["subsets"]), 1)
        self.assertEqual(ep["subsets"][0]["ports"], [{"name": "https", "port": 6443, "protocol": "TCP"}])
        eps = self.get("endpointslices", "discovery.k8s.io")
        self.assertEqual([e["addresses"][0] for e in eps["endpoints"]],
                         [a["ip"] for a in ep["subsets"][0]["addresses"]])
        return [a["ip"] for a in ep["subsets"][0]["addresses"]]

    def test_service_and_endpoints_follow_live_leases(self):
        self.a.sync()
        svc = self.get("services")
        self.assertEqual(svc["metadata"]["labels"], {"component": "apiserver", "provider": "kubernetes"})
        self.assertEqual(svc["spec"]["clusterIP"], "10.96.0.1")
        self.assertEqual(svc["spec"]["clusterIPs"], ["10.96.0.1"])
        self.assertEqual(svc["spec"]["type"], "ClusterIP")
        self.assertEqual(svc["spec"]["ipFamilyPolicy"], "SingleStack")
        self.assertEqual(svc["spec"]["sessionAffinity"], "None")
        self.assertEqual(svc["spec"]["ports"], [{"name": "https", "port": 443, "protocol": "TCP",
                                                 "targetPort": 6443}])
        self.assertNotIn("selector", svc["spec"])
        ep = self.get("endpoints")
        self.assertEqual(ep["metadata"]["labels"], {"endpointslice.kubernetes.io/skip-mirror": "true"})
        eps = self.get("endpointslices", "discovery.k8s.io")
        self.assertEqual(eps["addressType"], "IPv4")
        self.assertEqual(eps["metadata"]["labels"], {"kubernetes.io/service-name": "kubernetes"})
        self.assertEqual(eps["ports"], [{"name": "https", "port": 6443, "protocol": "TCP"}])
        self.assertEqual(eps["endpoints"], [{"addresses": ["192.0.2.11"], "conditions": {"ready": True}}])
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11"])

        # the second server's first sync adds it (addresses sorted, as RepackSubsets does)
        self.etcd.now += 5
        self.b.sync()
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11", "192.0.2.2"])

        # nothing changed: only the lease is written
        self.etcd.now += 5
        self.etcd.writes = []
        self.a.sync()
        self.assertEqual(self.etcd.writes, ["/registry/masterleases/192.0.2.11"])

        # b stops renewing: its lease (15s TTL) expires and a's next sync drops it
        self.etcd.now += 11
        self.a.sync()
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11"])

    def test_terminated_server_leaves_at_once(self):
        """A server told to terminate removes its lease and reconciles before it exits (the
        stop-kubernetes-service-controller pre-shutdown hook), down to no endpoint at all."""
        self.a.sync()
        self.b.sync()
        self.b.stop()
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11"])
        self.b.sync()
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11"], "a stopped server renews no more")
        self.a.stop()
        self.assertNotIn("subsets", self.get("endpoints"))
        self.assertEqual(self.get("endpointslices", "discovery.k8s.io")["endpoints"], [])

    def test_deleted_service_comes_back(self):
        self.a.sync()
        res = self.a.api.resource_by("", "v1", "services")
        self.a.api.store.delete(res, self.get("services"))
        self.a.sync()
        self.assertEqual(self.get("services")["spec"]["clusterIP"], "10.96.0.1")

    def test_no_lease_refuses_to_erase(self):
        self.a.sync()
        # with every lease expired the reconciler keeps the endpoints it had
        self.etcd.now += 16
        with self.assertRaises(apiserver.APIError) as e:
            self.a.reconcile()
        self.assertIn("refusing to erase all endpoints for the kubernetes Service", str(e.exception))
        self.assertEqual(self.endpoint_ips(), ["192.0.2.11"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
