"""Kubernetes' protobuf request bodies (Content-Type
application/vnd.kubernetes.protobuf), decoded to the JSON object the API
server would have read from the same request in JSON.

The wire format, as k8s.io/apimachinery/pkg/runtime/serializer/protobuf
writes it: the 4 bytes "k8s\\0", then a runtime.Unknown message (1 typeMeta
{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType) whose raw
is the object's message. Field names and types come from the modules'
generated.proto files (k8s_proto_schema.json, written by
tests/testbed/emulators/proto/gen_schema.py); a few messages have a JSON form of
their own (Time, Quantity, IntOrString, RawExtension...), as their Go types'
MarshalJSON gives it.
"""
import base64
import datetime
import json
import os
import struct

MAGIC = b"k8s\x00"
META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_schema = None


class ProtoError(Exception):
    pass


def schema():
    global _schema
    if _schema is None:
        with open(os.path.join(os.path.dirname(__file__), "k8s_proto_schema.json")) as f:
            _schema = json.load(f)
    return _schema


def varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ProtoError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def fields(buf):
    """(number, wire type, value) of each field: an int, or bytes for length-delimited."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ProtoError("unsupported wire type %d" % wire)
        if i > len(buf):
            raise ProtoError("truncated field %d" % num)
        yield num, wire, value


def signed(v, bits):
    return v - (1 << 64) if v >= 1 << 63 else v if bits == 64 else (v & 0xFFFFFFFF) - (
        1 << 32 if v & 0x80000000 else 0)


def scalar(t, wire, v):
    if t == "string":
        return bytes(v).decode()
    if t == "bytes":
        return base64.b64encode(bytes(v)).decode()
    if t == "bool":
        return bool(v)
    if t in ("int32", "int64"):
        return signed(v, 32 if t == "int32" else 64)
    if t in ("uint32", "uint64"):
        return v
    if t == "double":
        return struct.unpack("<d", v)[0]
    if t == "float":
        return struct.unpack("<f", v)[0]
    if t == "fixed64":
        return struct.unpack("<Q", v)[0]
    raise ProtoError("unknown scalar type %s" % t)


def rfc3339(msg, micro):
    sec, nanos = msg.get("seconds", 0), msg.get("nanos", 0)
    if not sec and not nanos:
        return None
    t = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".%06d" % (nanos // 1000) if micro else "") + "Z"


def special(name, msg):
    """The JSON form of the messages whose Go type marshals itself."""
    if name == META + "Time":
        return rfc3339(msg, False)
    if name == META + "MicroTime":
        return rfc3339(msg, True)
    if name == META + "Duration":
        return "%dns" % msg.get("duration", 0)
    if name == "k8s.io.apimachinery.pkg.api.resource.Quantity":
        return msg.get("string", "")
    if name == "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
        return msg.get("strVal", "") if msg.get("type") == 1 else msg.get("intVal", 0)
    if name in ("k8s.io.apimachinery.pkg.runtime.RawExtension", META + "FieldsV1"):
        raw = base64.b64decode(msg.get("raw") or msg.get("Raw") or "")
        return json.loads(raw) if raw else None
    if name == "k8s.io.apimachinery.pkg.apis.apiextensions.v1.JSON":
        raw = base64.b64decode(msg.get("raw", ""))
        return json.loads(raw) if raw else None
    return msg


def value_of(t, wire, v):
    if t in schema():
        if wire != 2:
            raise ProtoError("%s sent with wire type %d" % (t, wire))
        return message(t, v)
    return scalar(t, wire, v)


def message(name, buf):
    table = schema().get(name)
    if table is None:
        raise ProtoError("no protobuf message %s" % name)
    out = {}
    for num, wire, v in fields(buf):
        f = table.get(str(num))
        if f is None:
            raise ProtoError("%s has no field %d" % (name, num))
        fname, t, label, omit_zero = f
        if label.startswith("map:"):
            entry = dict((n, (w, x)) for n, w, x in fields(v))
            k = scalar(label[4:], *entry[1]) if 1 in entry else ""
            out.setdefault(fname, {})[k] = value_of(t, *entry[2]) if 2 in entry else (
                "" if t == "string" else None)
        elif label == "repeated":
            if wire == 2 and t not in ("string", "bytes") and t not in schema():
                # a packed list of numbers
                items, j = [], 0
                while j < len(v):
                    x, j = varint(v, j)
                    items.append(scalar(t, 0, x))
                out.setdefault(fname, []).extend(items)
            else:
                out.setdefault(fname, []).append(value_of(t, wire, v))
        else:
            x = value_of(t, wire, v)
            if x or not omit_zero:
                out[fname] = x
    return special(name, {k: x for k, x in out.items() if x is not None})


def package_of(api_version):
    """k8s.io/api keeps group G's version V in package G's first label, core for ""."""
    group, _, version = api_version.rpartition("/")
    return "k8s.io.api.%s.%s" % ((group.split(".")[0] if group else "core"), version)


def decode(body):
    """The object of a protobuf request body, as the JSON decoder would give it."""
    if not body.startswith(MAGIC):
        raise ProtoError("no k8s protobuf prefix")
    unknown = dict((n, v) for n, _, v in fields(body[len(MAGIC):]))
    tm = dict((n, bytes(v).decode()) for n, _, v in fields(unknown.get(1, b"")))
    api_version, kind = tm.get(1, ""), tm.get(2, "")
    if unknown.get(3):
        raise ProtoError("content encoding %s is not supported" % bytes(unknown[3]).decode())
    name = (META if kind in ("DeleteOptions", "Status") else package_of(api_version) + ".") + kind
    obj = message(name, unknown.get(2, b""))
    obj = dict(obj, apiVersion=api_version, kind=kind) if isinstance(obj, dict) else obj
    return obj
