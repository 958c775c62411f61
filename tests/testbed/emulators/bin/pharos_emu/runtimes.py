"""Docker Engine (dockerd, docker), cri-dockerd and CRI-O (crio): the daemons behind the kubelet's CRI socket.

Each checks its configuration like the real daemon at start, fails the way it
does (exit 1 with its message) and otherwise answers on its socket until
SIGTERM. No container is run: the kubelet emulator runs the static pods.
"""
import json
import os
import re
import signal
import sys

from . import containers, host, pkgdb

DOCKER_SOCKET = "/run/docker.sock"
CRI_DOCKERD_SOCKET = "/run/cri-dockerd.sock"
CRIO_SOCKET = "/var/run/crio/crio.sock"

# dockerd's daemon.json directives (the ones a cluster host uses and their neighbours)
DOCKER_DIRECTIVES = {"exec-opts", "log-driver", "log-opts", "storage-driver", "storage-opts", "insecure-registries",
                     "registry-mirrors", "data-root", "live-restore", "default-address-pools", "bip", "iptables",
                     "ip-masq", "ip-forward", "mtu", "dns", "debug", "max-concurrent-downloads", "features",
                     "cgroup-parent", "default-ulimits", "hosts", "proxies", "userland-proxy", "experimental",
                     "containerd", "default-runtime", "runtimes", "log-level", "ipv6", "fixed-cidr"}


def _fail(message):
    raise host.ToolError(message, 1)


def _notify_ready():
    ready = os.environ.get("PHAROS_TESTBED_READY_FILE")
    if ready:
        open(ready, "w").close()


def _run_until_term(listener):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    _notify_ready()
    containers.serve(listener, lambda: stop)
    listener.close()
    return 0


def _activated():
    """sd_listen_fds(): the number of sockets systemd handed over."""
    try:
        return int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return 0


def _flags(argv, known, prog):
    """cobra/pflag style: --name=value, --name value, -H value; unknown flags are errors."""
    out, it = {}, iter(argv)
    for a in it:
        if not a.startswith("-"):
            _fail("Error: unknown command \"%s\" for \"%s\"" % (a, prog))
        name, eq, val = a.lstrip("-").partition("=")
        if name not in known:
            _fail("Error: unknown flag: %s\nUsage:\n  %s [flags]" % (a.split("=")[0], prog))
        if known[name] == "bool":
            out[name] = val or "true"
            continue
        if not eq:
            val = next(it, None)
            if val is None:
                _fail("Error: flag needs an argument: %s" % a)
        if known[name] == "list":
            out.setdefault(name, []).append(val)
        else:
            out[name] = val
    return out


# ---------------- Docker Engine ----------------
def docker_daemon_config():
    """daemon.json as dockerd reads it, or raise with dockerd's message."""
    text = host.read("/etc/docker/daemon.json")
    if text is None:
        return {}
    try:
        conf = json.loads(text)
    except ValueError as e:
        _fail("unable to configure the Docker daemon with file /etc/docker/daemon.json: %s" % e)
    if not isinstance(conf, dict):
        _fail("unable to configure the Docker daemon with file /etc/docker/daemon.json: json: cannot unmarshal "
              "into Go value of type map[string]interface {}")
    unknown = sorted(k for k in conf if k not in DOCKER_DIRECTIVES)
    if unknown:
        _fail("unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives "
              "don't match any configuration option: %s" % ", ".join(unknown))
    return conf


def docker_cgroup_driver(conf):
    for opt in conf.get("exec-opts") or []:
        k, _, v = opt.partition("=")
        if k == "native.cgroupdriver":
            if v not in ("systemd", "cgroupfs"):
                _fail("failed to start daemon: native.cgroupdriver option %s not supported" % v)
            return v
    return "cgroupfs"


def _engine_version():
    v = pkgdb.installed_version("docker-ce") or "5:28.5.1-1"
    return re.sub(r"^\d+:", "", v).split("-")[0]


def dockerd(journal, argv):
    pkgdb.require_installed("docker-ce", "dockerd")
    if argv[:1] in (["--version"], ["-v"]):
        print("Docker version %s, build 0000000" % _engine_version())
        return 0
    flags = _flags(argv, {"H": "list", "host": "list", "containerd": "str", "config-file": "str",
                          "debug": "bool", "D": "bool", "log-level": "str"}, "dockerd")
    conf = docker_daemon_config()
    driver = docker_cgroup_driver(conf)
    hosts = flags.get("H", []) + flags.get("host", [])
    if conf.get("hosts") and hosts:
        _fail("unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are "
              "specified both as a flag and in the configuration file: hosts")
    containerd = flags.get("containerd")
    if containerd and containers.answer("unix://" + containerd, timeout=10) is None:
        _fail("failed to start daemon: error while opening volume store metadata database: failed to dial \"%s\": "
              "context deadline exceeded" % containerd)
    inherited = "fd://" in hosts
    if inherited and _activated() < 1:
        _fail("failed to load listeners: no sockets found via socket activation: make sure the service was "
              "started by systemd")
    containers.announce(DOCKER_SOCKET, "docker", driver)
    return _run_until_term(containers.listen_unix(DOCKER_SOCKET, inherited))


def docker_cli(journal, argv):
    pkgdb.require_installed("docker-ce-cli", "docker")
    args = [a for a in argv if not a.startswith("-")]
    if argv[:1] in (["--version"], ["-v"]):
        print("Docker version %s, build 0000000" % _engine_version())
        return 0
    if not args or args[0] not in ("version", "info"):
        _fail("docker: the testbed emulates 'docker version' and 'docker info' only")
    if containers.answer("unix://" + DOCKER_SOCKET, timeout=5) is None:
        _fail("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
    info = containers.runtime_info(DOCKER_SOCKET)
    fmt = None
    for i, a in enumerate(argv):
        if a.startswith("--format="):
            fmt = a.split("=", 1)[1]
        elif a in ("-f", "--format") and i + 1 < len(argv):
            fmt = argv[i + 1]
    if args[0] == "info" and fmt:
        print(fmt.replace("{{.CgroupDriver}}", info.get("cgroup_driver", "")).replace(
            "{{.ServerVersion}}", _engine_version()))
        return 0
    print("Server Version: %s\nCgroup Driver: %s" % (_engine_version(), info.get("cgroup_driver")))
    return 0


# ---------------- cri-dockerd ----------------
CRI_DOCKERD_FLAGS = {"container-runtime-endpoint": "str", "network-plugin": "str", "pod-infra-container-image": "str",
                     "docker-endpoint": "str", "cri-dockerd-root-directory": "str", "log-level": "str",
                     "cni-bin-dir": "str", "cni-conf-dir": "str", "cni-cache-dir": "str", "hairpin-mode": "str",
                     "runtime-cgroups": "str", "ipv6-dual-stack": "bool", "image-pull-progress-deadline": "str",
                     "streaming-bind-addr": "str", "buildinfo": "bool"}


def cri_dockerd(journal, argv, version):
    """The binary from cri-dockerd's release tarball (installed to /usr/local/bin by the host)."""
    if argv[:1] in (["--version"], ["version"]):
        print("cri-dockerd %s (0000000)" % version)
        return 0
    flags = _flags(argv, CRI_DOCKERD_FLAGS, "cri-dockerd")
    if flags.get("network-plugin", "cni") not in ("cni", "kubenet", ""):
        _fail("Error: network plugin \"%s\" not found" % flags["network-plugin"])
    docker = flags.get("docker-endpoint", "unix:///var/run/docker.sock")
    if containers.answer(docker, timeout=10) is None:
        _fail("level=error msg=\"Cannot connect to the Docker daemon at %s. Is the docker daemon running?\"" % docker)
    endpoint = flags.get("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock")
    inherited = endpoint == "fd://"
    if inherited and _activated() < 1:
        _fail("level=fatal msg=\"Failed to get the listener: fd:// given but no sockets from systemd "
              "(LISTEN_FDS unset)\"")
    driver = containers.runtime_info(docker).get("cgroup_driver", "cgroupfs")
    containers.announce(CRI_DOCKERD_SOCKET, "docker", driver)
    path = CRI_DOCKERD_SOCKET if inherited else endpoint.split("://", 1)[-1]
    return _run_until_term(containers.listen_unix(path, inherited))


# ---------------- CRI-O ----------------
CRIO_TABLES = {"crio", "crio.api", "crio.runtime", "crio.image", "crio.network", "crio.metrics", "crio.stats",
               "crio.nri", "crio.tracing", "crio.runtime.runtimes", "crio.runtime.workloads"}


def crio_config():
    """crio.conf then crio.conf.d/*.conf in lexical order, later values winning, as CRI-O merges them."""
    import glob
    import tomllib
    merged = {}
    files = ["/etc/crio/crio.conf"] + sorted(f[len(host.root()):] for f in
                                              glob.glob(host.path("/etc/crio/crio.conf.d/*.conf")))
    for f in files:
        text = host.read(f)
        if text is None:
            continue
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            _fail("level=fatal msg=\"validating root config: failed to decode configuration %s: %s\"" % (f, e))
        for top, body in doc.items():
            if top != "crio" or not isinstance(body, dict):
                _fail("level=fatal msg=\"failed to decode configuration %s: unknown table %s\"" % (f, top))
            for table, values in body.items():
                if not isinstance(values, dict):
                    merged.setdefault("crio", {})[table] = values
                    continue
                if "crio." + table not in CRIO_TABLES:
                    _fail("level=fatal msg=\"failed to decode configuration %s: unknown table crio.%s\"" % (f, table))
                merged.setdefault("crio." + table, {}).update(values)
    return merged


def crio(journal, argv):
    pkgdb.require_installed("cri-o", "crio")
    version = (pkgdb.installed_version("cri-o") or "1.37.0").split("-")[0]
    if argv[:1] in (["--version"], ["version"], ["-v"]):
        print("crio version %s" % version)
        return 0
    conf = crio_config()
    rt = conf.get("crio.runtime", {})
    manager = rt.get("cgroup_manager", "systemd")
    if manager not in ("systemd", "cgroupfs"):
        _fail("level=fatal msg=\"validating runtime config: invalid cgroup_manager %s\"" % manager)
    if manager == "systemd" and rt.get("conmon_cgroup", "system.slice") == "pod":
        _fail("level=fatal msg=\"validating runtime config: conmon cgroup should be 'pod' or a systemd slice\"")
    pause = conf.get("crio.image", {}).get("pause_image", "registry.k8s.io/pause:3.10")
    if not isinstance(pause, str) or not re.match(r"^[\w.\-/:@]+$", pause):
        _fail("level=fatal msg=\"validating image config: invalid pause_image %r\"" % (pause,))
    listen = conf.get("crio.api", {}).get("listen", CRIO_SOCKET)
    containers.announce(listen, "cri-o", manager)
    sys.stderr.write("level=info msg=\"Starting CRI-O, version: %s\"\n" % version)
    return _run_until_term(containers.listen_unix(listen))
