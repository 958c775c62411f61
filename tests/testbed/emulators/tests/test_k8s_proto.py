"""The API emulator's protobuf decoding against bodies kubectl itself wrote (data/protobuf/README.md)."""
import glob
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import k8s_proto  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "protobuf")


def without_nulls(x):
    """JSON null is "not set", which protobuf says by leaving the field out."""
    if isinstance(x, dict):
        return {k: without_nulls(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [without_nulls(v) for v in x]
    return x


class K8sProtoTest(unittest.TestCase):
    def test_kubectl_bodies_decode_to_kubectl_json(self):
        bodies = sorted(glob.glob(os.path.join(DATA, "*.pb")))
        self.assertEqual(len(bodies), 8)
        for pb in bodies:
            with self.subTest(os.path.basename(pb)):
                with open(pb, "rb") as f:
                    got = k8s_proto.decode(f.read())
                with open(pb[:-3] + ".json") as f:
                    want = without_nulls(json.load(f))
                self.assertEqual(got, want)

    def test_zero_of_a_pointer_stays_and_zero_of_a_plain_field_goes(self):
        with open(os.path.join(DATA, "deployment-zero.pb"), "rb") as f:
            spec = k8s_proto.decode(f.read())["spec"]
        self.assertEqual(spec["replicas"], 0)
        self.assertNotIn("minReadySeconds", spec)

    def test_refusals(self):
        with open(os.path.join(DATA, "secret.pb"), "rb") as f:
            body = f.read()
        for bad, why in ((body[4:], "no k8s protobuf prefix"), (body[:-3], "truncated"),
                         (body.replace(b"Secret", b"Sekret"), "no protobuf message k8s.io.api.core.v1.Sekret")):
            with self.subTest(why):
                with self.assertRaisesRegex(k8s_proto.ProtoError, why):
                    k8s_proto.decode(bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
