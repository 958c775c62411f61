"""JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch for common fields."""
import copy

# Lists merged by key in strategic merge patch: field name -> merge key. This is
# what the Kubernetes Go types declare (patchStrategy=merge) for the fields
# tools actually patch.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "conditions": "type",
    "addresses": "type",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "secrets": "name",
}
# Primitive lists with patchStrategy=merge.
MERGE_PRIMITIVE = {"finalizers"}


class PatchError(Exception):
    pass


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _ptr(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError("invalid JSON pointer %r" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            cur = cur[int(p)]
        elif isinstance(cur, dict):
            cur = cur[p]
        else:
            raise KeyError(p)
    return cur


def json_patch(doc, ops):
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise PatchError("json patch must be a list of operations")
    for op in ops:
        kind = op.get("op")
        parts = _ptr(op.get("path", ""))
        try:
            if kind == "test":
                if _resolve(doc, parts) != op.get("value"):
                    raise PatchError("testing value %s failed" % op.get("path"))
                continue
            if kind in ("move", "copy"):
                src = _ptr(op.get("from", ""))
                val = copy.deepcopy(_resolve(doc, src))
                if kind == "move":
                    parent = _resolve(doc, src[:-1])
                    if isinstance(parent, list):
                        parent.pop(int(src[-1]))
                    else:
                        del parent[src[-1]]
                kind, op = "add", {"value": val}
            parent = _resolve(doc, parts[:-1])
            last = parts[-1] if parts else None
            if kind == "add":
                if isinstance(parent, list):
                    if last == "-":
                        parent.append(copy.deepcopy(op.get("value")))
                    else:
                        parent.insert(int(last), copy.deepcopy(op.get("value")))
                else:
                    parent[last] = copy.deepcopy(op.get("value"))
            elif kind == "remove":
                if isinstance(parent, list):
                    parent.pop(int(last))
                else:
                    del parent[last]
            elif kind == "replace":
                if isinstance(parent, list):
                    parent[int(last)] = copy.deepcopy(op.get("value"))
                else:
                    if last not in parent:
                        raise KeyError(last)
                    parent[last] = copy.deepcopy(op.get("value"))
            else:
                raise PatchError("unexpected op %r" % kind)
        except (KeyError, IndexError, ValueError, TypeError):
            raise PatchError("the server rejected our request due to an error in our request: "
                             "%s operation does not apply: doc is missing path: %s"
                             % (kind, op.get("path")))
    return doc


def strategic_merge(target, patch, field=None):
    """Strategic merge patch for maps and the keyed lists in MERGE_KEYS."""
    if isinstance(patch, dict):
        directive = patch.get("$patch")
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        if directive == "delete":
            return None
        if not isinstance(target, dict):
            target = {}
        out = dict(target)
        for k, v in patch.items():
            if k.startswith("$setElementOrder/") or k == "$retainKeys" or k == "$patch":
                continue
            if k.startswith("$deleteFromPrimitiveList/"):
                name = k.split("/", 1)[1]
                out[name] = [x for x in out.get(name) or [] if x not in v]
                continue
            if v is None:
                out.pop(k, None)
            elif isinstance(v, list):
                out[k] = _merge_list(out.get(k), v, k)
            else:
                merged = strategic_merge(out.get(k), v, k)
                if merged is None:
                    out.pop(k, None)
                else:
                    out[k] = merged
        return out
    return copy.deepcopy(patch)


def _merge_list(target, patch, field):
    key = MERGE_KEYS.get(field)
    if field in MERGE_PRIMITIVE and all(not isinstance(x, dict) for x in patch):
        out = list(target or [])
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    if not key or not all(isinstance(x, dict) for x in patch):
        return [x for x in copy.deepcopy(patch) if not (isinstance(x, dict) and x.get("$patch"))]
    out = [copy.deepcopy(x) for x in (target or [])]
    for item in patch:
        if item.get("$patch") == "replace":
            return [x for x in patch if x.get("$patch") != "replace"]
        k = item.get(key)
        idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == k), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(strategic_merge({}, item))
        else:
            out[idx] = strategic_merge(out[idx], item)
    return out
