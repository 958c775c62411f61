"""Label and field selectors as the Kubernetes API parses them."""
import re


class SelectorError(Exception):
    pass


_SET = re.compile(r"^\s*(!?)([A-Za-z0-9._/-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*$")


def _split(expr):
    parts, depth, cur = [], 0, ""
    for ch in expr:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def parse_labels(expr):
    reqs = []
    for part in _split(expr or ""):
        m = _SET.match(part)
        if not m:
            raise SelectorError("unable to parse requirement: %r" % part.strip())
        neg, key, setop, values, op, value = m.groups()
        if setop:
            reqs.append((key, setop, [v.strip() for v in values.split(",") if v.strip()]))
        elif op:
            if neg:
                raise SelectorError("unable to parse requirement: %r" % part.strip())
            reqs.append((key, "!=" if op == "!=" else "=", [value]))
        else:
            reqs.append((key, "!" if neg else "exists", []))
    return reqs


def match_labels(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=" and (not has or v != values[0]):
            return False
        if op == "!=" and has and v == values[0]:
            return False
        if op == "in" and (not has or v not in values):
            return False
        if op == "notin" and has and v in values:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
    return True


# Field labels each resource supports (besides metadata.name and metadata.namespace).
FIELDS = {
    "pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "nodes": {"spec.unschedulable"},
    "events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
               "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
               "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "secrets": {"type"},
    "namespaces": {"status.phase"},
    "replicationcontrollers": {"status.replicas"},
    "jobs": {"status.successful"},
    "certificatesigningrequests": {"spec.signerName"},
}


def parse_fields(expr, plural):
    reqs = []
    allowed = FIELDS.get(plural, set()) | {"metadata.name", "metadata.namespace"}
    for part in _split(expr or ""):
        m = re.match(r"^\s*([A-Za-z0-9._]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (expr, part))
        key, op, value = m.groups()
        if key not in allowed:
            raise SelectorError('field label not supported: %s' % key)
        reqs.append((key, op != "!=", value))
    return reqs


def _field_value(obj, key):
    cur = obj
    for p in key.split("."):
        cur = cur.get(p) if isinstance(cur, dict) else None
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def match_fields(reqs, obj):
    for key, eq, value in reqs:
        if (_field_value(obj, key) == value) != eq:
            return False
    return True
