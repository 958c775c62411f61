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
    """What a control-plane image runs here: the real etcd, the API emulator, or nothing."""
    name = image.rsplit("/", 1)[-1].split(":")[0]
    if name == "etcd":
        return ["/usr/bin/etcd"] + command[1:]
    if name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        return [os.path.join(host.BIN_DIR, "pharos-testbed-" + name[5:])] + command[1:]
    return None


def host_args(args):
    """Absolute paths in flags are host paths; give the process machine paths."""
    if not host.root():
        return args
    out = []
    for a in args:
        m = re.match(r"^(--[\w-]+=)(/.*)$", a)
        out.append(m.group(1) + host.path(m.group(2)) if m else a)
    return out


def start(cid, pod, container, k8s_version):
    spec_hash = hashlib.sha256(json.dumps(pod, sort_keys=True).encode()).hexdigest()[:16]
    cmd = (container.get("command") or []) + (container.get("args") or [])
    argv = image_command(container.get("image", ""), cmd, k8s_version)
    rec = {"id": cid, "pod": pod["metadata"]["name"], "namespace": pod["metadata"].get("namespace", "default"),
           "name": container.get("name"), "image": container.get("image"), "hash": spec_hash,
           "created": time.time(), "pid": None, "state": "running"}
    if argv:
        argv = [argv[0]] + host_args(argv[1:])
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


def runtime_up(endpoint):
    """True when the CRI socket accepts connections (containerd is running)."""
    import socket
    path = endpoint.split("://", 1)[-1]
    for p in (path, path.replace("/var/run/", "/run/")):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(host.path(p))
            return True
        except OSError:
            continue
        finally:
            s.close()
    return False
