"""The API emulator's PATCH against a writer racing it, as the real server's storage does it:
a patch without resourceVersion is applied again to the object read anew when etcd's
transaction finds the object changed (apiserver pkg/storage/etcd3/store.go GuaranteedUpdate),
so it never fails with a conflict; a patch that pins a resourceVersion does."""
import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import apiserver, resources  # noqa: E402
from pharos_emu.apiserver import APIError  # noqa: E402

NODES = next(r for r in resources.BUILTIN if r.plural == "nodes")


class RacedStore:
    """One Node; another writer (a kubelet's status update) gets in before each of the
    first `races` writes, so the write expected at the old resourceVersion fails."""

    def __init__(self, races):
        self.races = races
        self.obj = {"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": "host-4", "resourceVersion": "10", "uid": "u1"},
                    "spec": {}, "status": {"nodeInfo": {"kubeletVersion": "v1.36.3"}}}
        self.writes = 0

    def get(self, res, ns, name):
        return copy.deepcopy(self.obj)

    def update(self, res, obj, expected_rv):
        if self.races:
            self.races -= 1
            self.obj["metadata"]["resourceVersion"] = str(int(self.obj["metadata"]["resourceVersion"]) + 1)
            self.obj["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
        if expected_rv != self.obj["metadata"]["resourceVersion"]:
            raise apiserver.conflict(NODES, obj["metadata"]["name"])
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(int(expected_rv) + 1)
        self.obj = obj
        self.writes += 1
        return copy.deepcopy(obj)


def api_with(store):
    api = apiserver.API.__new__(apiserver.API)
    api.store = store
    api.crd_cache = None
    api.validate = lambda res, obj: None
    return api


class PatchRaceTest(unittest.TestCase):
    def test_a_patch_without_resource_version_is_applied_again(self):
        for ctype, body in (("application/strategic-merge-patch+json", {"spec": {"unschedulable": True}}),
                            ("application/merge-patch+json", {"spec": {"unschedulable": True}}),
                            ("application/json-patch+json",
                             [{"op": "add", "path": "/spec/unschedulable", "value": True}])):
            store = RacedStore(races=3)
            got = api_with(store).patch(NODES, None, "host-4", ctype, json.dumps(body))
            self.assertTrue(got["spec"]["unschedulable"], ctype)
            self.assertEqual(store.writes, 1, ctype)
            # the other writer's change is kept: the patch went onto the object read again
            self.assertEqual(store.obj["status"]["conditions"][0]["type"], "Ready", ctype)

    def test_a_patch_that_pins_a_resource_version_conflicts(self):
        for ctype, body in (("application/merge-patch+json",
                             {"metadata": {"resourceVersion": "10"}, "spec": {"unschedulable": True}}),
                            ("application/json-patch+json",
                             [{"op": "replace", "path": "/metadata/resourceVersion", "value": "10"},
                              {"op": "add", "path": "/spec/unschedulable", "value": True}])):
            store = RacedStore(races=1)
            with self.assertRaises(APIError) as e:
                api_with(store).patch(NODES, None, "host-4", ctype, json.dumps(body))
            self.assertEqual(e.exception.code, 409, ctype)
            self.assertIn("the object has been modified", str(e.exception), ctype)
            self.assertEqual(store.writes, 0, ctype)


if __name__ == "__main__":
    unittest.main()
