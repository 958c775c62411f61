"""Containers of the emulated runtime: static pod processes that outlive the kubelet.

A static pod's container is a real process in its own session, recorded under
/var/lib/pharos-testbed/containers, so stopping the kubelet leaves it running
(as containerd would) and `kubeadm reset` removes it like `crictl rm` does.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import time

from . import host

DIR = "/var/lib/pharos-testbed/containers"
RUNTIME_SOCKET = "/run/containerd/containerd.sock"


def _file(cid):
    return DIR + "/" + cid + ".json"


def all_containers():
    out = []
    d = host.path(DIR)
    if not os.path.isdir(d):
        return out
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            try:
                with open(os.path.join(d, f)) as fh:
                    out.append(json.load(fh))
            except (OSError, ValueError):
                continue
    return out


def alive(c):
    pid = c.get("pid")
    if pid is None:
        return c.get("state") == "running"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def image_command(image, command, k8s_version):
    """What a static pod's image runs here: the real etcd, the API or HAProxy emulator, or nothing."""
    name = image.rsplit("/", 1)[-1].split(":")[0]
    if name == "etcd":
        return ["/usr/bin/etcd"] + command[1:]
    if name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        return [os.path.join(host.BIN_DIR, "pharos-testbed-" + name[5:])] + command[1:]
    if name == "haproxy":
        return [os.path.join(host.BIN_DIR, "pharos-testbed-haproxy")] + command[1:]
    return None


def mounted(pod, container, args):
    """Paths in args as the container sees them -> host paths, through its hostPath mounts."""
    volumes = {v.get("name"): (v.get("hostPath") or {}).get("path") for v in pod.get("spec", {}).get("volumes") or []}
    mounts = sorted(((m.get("mountPath", ""), volumes.get(m.get("name"))) for m in container.get("volumeMounts") or []
                     if volumes.get(m.get("name"))), key=lambda m: -len(m[0]))

    def one(p):
        for inside, outside in mounts:
            if p == inside or p.startswith(inside.rstrip("/") + "/"):
                return outside + p[len(inside):]
        return p
    out = []
    for a in args:
        m = re.match(r"^(--[\w-]+=)(/.*)$", a)
        out.append(m.group(1) + one(m.group(2)) if m else one(a) if a.startswith("/") else a)
    return out


def host_args(args):
    """Absolute paths (alone or in flags) are host paths; give the process machine paths."""
    if not host.root():
        return args
    out = []
    for a in args:
        m = re.match(r"^(--[\w-]+=)(/.*)$", a)
        out.append(m.group(1) + host.path(m.group(2)) if m else host.path(a) if a.startswith("/") else a)
    return out


def start(cid, pod, container, k8s_version):
    spec_hash = hashlib.sha256(json.dumps(pod, sort_keys=True).encode()).hexdigest()[:16]
    cmd = (container.get("command") or []) + (container.get("args") or [])
    argv = image_command(container.get("image", ""), cmd, k8s_version)
    rec = {"id": cid, "pod": pod["metadata"]["name"], "namespace": pod["metadata"].get("namespace", "default"),
           "name": container.get("name"), "image": container.get("image"), "hash": spec_hash,
           "created": time.time(), "pid": None, "state": "running"}
    if argv:
        argv = [argv[0]] + host_args(mounted(pod, container, argv[1:]))
        logdir = host.path("/var/log/pods/%s_%s" % (rec["namespace"], rec["pod"]))
        os.makedirs(logdir, exist_ok=True)
        log = open(os.path.join(logdir, "%s.log" % rec["name"]), "ab")
        env = dict(os.environ, PHAROS_TESTBED_K8S_VERSION=k8s_version)
        env.pop("PHAROS_TESTBED_READY_FILE", None)
        for e in container.get("env") or []:
            if "value" in e:
                env[e["name"]] = e["value"]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                             close_fds=True, env=env)
        log.close()
        rec["pid"] = p.pid
    host.write(_file(cid), json.dumps(rec))
    return rec


def remove(c, timeout=10):
    pid = c.get("pid")
    if pid:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + timeout
        while time.time() < deadline and alive(c):
            time.sleep(0.05)
        if alive(c):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    host.remove(_file(c["id"]))


def _socket_path(endpoint):
    """unix:///var/run/x.sock -> /run/x.sock (/var/run is a link to /run)."""
    path = endpoint.split("://", 1)[-1]
    return "/run/" + path[len("/var/run/"):] if path.startswith("/var/run/") else path


def _state_name(endpoint):
    return "cri/" + re.sub(r"[^A-Za-z0-9.]+", "_", _socket_path(endpoint).strip("/")) + ".json"


def announce(endpoint, name, cgroup_driver):
    """A runtime daemon records what it serves on its socket (the kubelet compares cgroup drivers)."""
    host.save_state(_state_name(endpoint), {"name": name, "cgroup_driver": cgroup_driver})


def runtime_info(endpoint):
    return host.load_state(_state_name(endpoint), {})


def serve(listener, stop, answer=b"ok\n"):
    """Answers every connection until stop() is true: what a CRI client's first call sees."""
    import socket
    listener.settimeout(0.2)
    while not stop():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        try:
            conn.sendall(answer)
        except OSError:
            pass
        conn.close()


def listen_unix(path, inherited=False):
    """The daemon's socket: fd 3 from systemd's socket activation, or a new one bound at path."""
    import socket
    if inherited:
        return socket.socket(fileno=3)
    full = host.path(path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if os.path.lexists(full):
        os.unlink(full)
    s = socket.socket(socket.AF_UNIX)
    s.bind(full)
    s.listen(64)
    return s


def answer(endpoint, timeout=15):
    """The first bytes the daemon behind a unix socket answers, or None when nothing serves it.

    A socket unit's holder accepts only once it has started its service, so the wait covers activation."""
    import socket
    path = endpoint.split("://", 1)[-1]
    for p in dict.fromkeys((path, _socket_path(path))):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(host.path(p))
            return s.recv(64)
        except OSError:
            continue
        finally:
            s.close()
    return None


def runtime_up(endpoint):
    """True when a CRI runtime answers on the endpoint (containerd with its CRI plugin, CRI-O, cri-dockerd)."""
    return answer(endpoint) == b"ok\n"
