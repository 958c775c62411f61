"""modprobe, sysctl, swapoff/swapon, firewall-cmd, hostnamectl, containerd, crictl, ctr; the host's cgroups."""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

# The runtime and firewall tools import containers and pkgdb when called: modprobe,
# sysctl, lsmod and swapon run dozens of times per `pharos up` and start without them.
from . import host

KNOWN_MODULES = {"overlay", "br_netfilter", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack",
                 "nf_conntrack_ipv4", "ip_tables", "iptable_nat", "iptable_filter", "xt_set", "ip_set",
                 "vxlan", "wireguard", "ipip", "nf_nat", "xt_conntrack", "veth", "bridge"}
# Keys that exist only once a module is loaded (as under /proc/sys).
MODULE_SYSCTLS = {"br_netfilter": ["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
                                   "net.bridge.bridge-nf-call-arptables"]}
SYSCTL_DEFAULTS = {"net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0", "vm.swappiness": "60",
                   "net.ipv4.conf.all.rp_filter": "2", "fs.inotify.max_user_instances": "128",
                   "fs.inotify.max_user_watches": "65536", "kernel.panic": "0", "vm.overcommit_memory": "0",
                   "kernel.panic_on_oops": "1", "net.ipv4.conf.all.forwarding": "0",
                   "net.netfilter.nf_conntrack_max": "131072"}


# ---------------- modules ----------------
def loaded_modules():
    return host.load_state("modules.json", [])


def modules_dir():
    """False when kernel.json says the host has no /lib/modules/RELEASE (containers, many VMs)."""
    return host.load_state("kernel.json", {}).get("modules_dir", True)


def builtin_modules():
    # Without a modules directory, the kernel has overlay and br_netfilter
    # built in, as the machine's kernel (which the hosts share) has.
    return [] if modules_dir() else ["overlay", "br_netfilter"]


def modprobe(journal, argv):
    names = [a for a in argv if not a.startswith("-")]
    remove = "-r" in argv or "--remove" in argv
    dry_run = "-n" in argv or "--dry-run" in argv
    if not names:
        raise host.ToolError("modprobe: ERROR: missing parameters. See -h.", 1)
    host.require_root("modprobe")
    mods = loaded_modules()
    targets = names if remove or "-a" in argv or "--all" in argv else names[:1]
    for n in targets:
        n = n.replace("-", "_")
        # kmod looks every name up in /lib/modules/RELEASE (modules.dep,
        # modules.builtin): without it even a built-in module is not found.
        if n not in KNOWN_MODULES or not modules_dir():
            raise host.ToolError("modprobe: FATAL: Module %s not found in directory /lib/modules/%s"
                                 % (n, os.uname().release), 1)
        if dry_run:
            continue
        if remove and n in mods:
            mods.remove(n)
            journal.changed = True
        elif not remove and n not in mods:
            mods.append(n)
            journal.changed = True
    if not dry_run:
        host.save_state("modules.json", mods)
    return 0


def lsmod(journal, argv):
    print("Module                  Size  Used by")
    for m in loaded_modules():
        print("%-24s %6d  0" % (m, 16384))
    return 0


# ---------------- sysctl ----------------
def sysctl_values():
    vals = dict(SYSCTL_DEFAULTS)
    mods = loaded_modules() + builtin_modules()
    for mod, keys in MODULE_SYSCTLS.items():
        if mod in mods:
            for k in keys:
                vals[k] = "1"
    vals.update(host.load_state("sysctl.json", {}))
    for mod, keys in MODULE_SYSCTLS.items():
        if mod not in mods:
            for k in keys:
                vals.pop(k, None)
    return vals


def _kernel_value(key):
    """The machine kernel's value for a key the table does not emulate (read only, never written)."""
    try:
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            return " ".join(f.read().split())
    except OSError:
        return None


def _set_sysctl(journal, key, value):
    key = key.strip().replace("/", ".")
    vals = sysctl_values()
    if key not in vals and not key.startswith("net.bridge.") and _kernel_value(key) is not None:
        vals[key] = _kernel_value(key)
    if key not in vals:
        raise host.ToolError("sysctl: cannot stat /proc/sys/%s: No such file or directory" % key.replace(".", "/"),
                             255)
    cur = host.load_state("sysctl.json", {})
    if vals[key] != value.strip():
        journal.changed = True
    cur[key] = value.strip()
    host.save_state("sysctl.json", cur)
    print("%s = %s" % (key, value.strip()))


def sysctl(journal, argv):
    write = "-w" in argv or "--write" in argv
    quiet = "-q" in argv or "--quiet" in argv
    values_only = "-n" in argv or "--values" in argv
    args = [a for a in argv if not a.startswith("-")]
    if "--system" in argv or "-p" in argv or any(a.startswith("--load") for a in argv):
        host.require_root("sysctl")
        if "--system" in argv:
            files = []
            for d in ("/etc/sysctl.d", "/run/sysctl.d", "/usr/lib/sysctl.d"):
                files += sorted(glob.glob(host.path(d + "/*.conf")))
            files.append(host.path("/etc/sysctl.conf"))
            files = [f[len(host.root()):] for f in files]
        else:
            files = args or ["/etc/sysctl.conf"]
        rc = 0
        for f in files:
            text = host.read(f)
            if text is None:
                if "--system" not in argv:
                    sys.stderr.write("sysctl: cannot open \"%s\": No such file or directory\n" % f)
                    rc = 255
                continue
            if "--system" in argv:
                print("* Applying %s ..." % f)
            for line in text.splitlines():
                line = line.strip()
                if not line or line[0] in "#;" or "=" not in line:
                    continue
                k, _, v = line.partition("=")
                ignore = k.startswith("-")
                try:
                    _set_sysctl(journal, k.lstrip("-"), v)
                except host.ToolError as e:
                    if not ignore:
                        sys.stderr.write(str(e) + "\n")
                        rc = 255
        return rc
    vals = sysctl_values()
    if "-a" in argv:
        for k in sorted(vals):
            print("%s = %s" % (k, vals[k]))
        return 0
    rc = 0
    for a in args:
        if "=" in a:
            host.require_root("sysctl")
            k, _, v = a.partition("=")
            _set_sysctl(journal, k, v)
            continue
        if write:
            raise host.ToolError("sysctl: \"%s\" must be of the form name=value" % a, 255)
        k = a.replace("/", ".")
        if k not in vals and not k.startswith("net.bridge.") and _kernel_value(k) is not None:
            vals[k] = _kernel_value(k)
        if k not in vals:
            if not quiet:
                sys.stderr.write("sysctl: cannot stat /proc/sys/%s: No such file or directory\n" % k.replace(".", "/"))
            rc = 255
            continue
        print(vals[k] if values_only else "%s = %s" % (k, vals[k]))
    return rc


# ---------------- cgroups ----------------
# The hosts share the machine's /sys/fs/cgroup and report what it really is. Only the
# emulator tests set PHAROS_TESTBED_CGROUP_FS ("cgroup2fs" or "tmpfs") to try both kinds.
CGROUP_FS_OVERRIDE = "PHAROS_TESTBED_CGROUP_FS"


def kubelet_cgroup_v1():
    """libcontainer's !IsCgroup2UnifiedMode(), which the kubelet asks: /sys/fs/cgroup is not cgroup2."""
    fs = os.environ.get(CGROUP_FS_OVERRIDE)
    if fs is None:
        fs = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True,
                            text=True).stdout.strip()
    return fs != "cgroup2fs"


def validator_cgroup_v1():
    """k8s.io/system-validators' getUnifiedMountpoint (cgroup_validator_linux.go), which kubeadm's
    SystemVerification asks: the mount at /sys/fs/cgroup decides, a tmpfs there is v1 when it holds a
    memory hierarchy; without one, the first cgroup2 mount anywhere means v2."""
    fs = os.environ.get(CGROUP_FS_OVERRIDE)
    if fs is not None:
        return fs != "cgroup2fs"
    v1 = False
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if "cgroup" not in line or len(fields) < 3:
                continue
            if fields[1] == "/sys/fs/cgroup":
                if fields[2] == "tmpfs":
                    return os.path.isdir("/sys/fs/cgroup/memory")
                return fields[2] != "cgroup2"
            if fields[2] == "cgroup2":
                return False
            if fields[2] == "cgroup":
                v1 = True
    return v1


# ---------------- swap ----------------
def swap_active():
    st = host.load_state("swap.json", None)
    if st is not None:
        return st.get("active", False)
    for line in (host.read("/etc/fstab") or "").splitlines():
        f = line.split()
        if len(f) >= 3 and not f[0].startswith("#") and f[2] == "swap":
            return True
    return False


def swapoff(journal, argv):
    host.require_root("swapoff")
    if "-a" not in argv and "--all" not in argv and not [a for a in argv if not a.startswith("-")]:
        raise host.ToolError("swapoff: bad usage\nTry 'swapoff --help' for more information.", 1)
    if swap_active():
        journal.changed = True
    host.save_state("swap.json", {"active": False})
    return 0


def swapon(journal, argv):
    if "--show" in argv or "-s" in argv or not argv:
        if swap_active():
            print("NAME      TYPE SIZE USED PRIO\n/swap.img file   2G   0B   -2")
        return 0
    host.require_root("swapon")
    if not swap_active():
        journal.changed = True
    host.save_state("swap.json", {"active": True})
    return 0


# ---------------- hostnamectl ----------------
def hostnamectl(journal, argv):
    args = [a for a in argv if not a.startswith("-")]
    if not args or args[0] == "status":
        print(" Static hostname: %s" % host.hostname())
        return 0
    if args[0] == "hostname" and len(args) == 1:
        print(host.hostname())
        return 0
    if args[0] in ("set-hostname", "hostname") and len(args) == 2:
        host.require_root("hostnamectl")
        name = args[1]
        if not re.match(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$", name):
            raise host.ToolError("Invalid static hostname '%s'" % name, 1)
        if host.hostname() != name:
            journal.changed = True
        host.write("/etc/hostname", name + "\n")
        if not host.root():
            socket.sethostname(name)
        return 0
    raise host.ToolError("Unknown command verb %s." % args[0], 1)


# ---------------- firewall-cmd ----------------
def _fw():
    return host.load_state("firewalld.json", {"permanent": {"public": {"ports": [], "sources": [], "services":
                                                                        ["ssh", "dhcpv6-client", "cockpit"]}},
                                               "default_zone": "public"})


def firewall_cmd(journal, argv):
    from . import pkgdb

    pkgdb.require_installed("firewalld", "firewall-cmd")
    from . import systemd
    st = _fw()
    running = systemd.active_state("firewalld.service") == "active"
    if "--state" in argv:
        print("running" if running else "not running")
        return 0 if running else 252
    if not running:
        raise host.ToolError("FirewallD is not running", 252)
    runtime = st.setdefault("runtime", json.loads(json.dumps(st["permanent"])))
    permanent = "--permanent" in argv
    zone = st["default_zone"]
    for a in argv:
        if a.startswith("--zone="):
            zone = a.split("=", 1)[1]
    if "--reload" in argv:
        st["runtime"] = json.loads(json.dumps(st["permanent"]))
        host.save_state("firewalld.json", st)
        journal.changed = True
        print("success")
        return 0
    if "--get-default-zone" in argv:
        print(st["default_zone"])
        return 0
    if "--get-zones" in argv:
        print(" ".join(sorted(set(st["permanent"]) | {"block", "dmz", "drop", "external", "home", "internal",
                                                     "public", "trusted", "work"})))
        return 0
    if "--new-zone" in " ".join(argv):
        name = [a.split("=", 1)[1] for a in argv if a.startswith("--new-zone=")][0]
        if not permanent:
            raise host.ToolError("Error: INVALID_ZONE: '--new-zone' requires '--permanent'", 112)
        st["permanent"].setdefault(name, {"ports": [], "sources": [], "services": []})
        host.save_state("firewalld.json", st)
        journal.changed = True
        print("success")
        return 0
    target = st["permanent"] if permanent else runtime
    if zone not in target and zone not in ("block", "dmz", "drop", "external", "home", "internal", "public",
                                           "trusted", "work"):
        raise host.ToolError("Error: INVALID_ZONE: %s" % zone, 112)
    z = target.setdefault(zone, {"ports": [], "sources": [], "services": []})
    for a in argv:
        k, _, v = a.partition("=")
        field = {"--add-port": "ports", "--remove-port": "ports", "--add-source": "sources",
                 "--remove-source": "sources", "--add-service": "services", "--remove-service": "services"}.get(k)
        if field is None:
            continue
        if field == "ports" and not re.match(r"^\d+(-\d+)?/(tcp|udp|sctp|dccp)$", v):
            raise host.ToolError("Error: INVALID_PORT: %s" % v, 102)
        if k.startswith("--add"):
            if v in z[field]:
                sys.stderr.write("Warning: ALREADY_ENABLED: %s\n" % v)
            else:
                z[field].append(v)
                journal.changed = True
        elif v in z[field]:
            z[field].remove(v)
            journal.changed = True
    if "--list-all" in argv:
        print("%s\n  sources: %s\n  services: %s\n  ports: %s" % (zone, " ".join(z["sources"]),
                                                               " ".join(z["services"]), " ".join(z["ports"])))
        return 0
    if "--list-ports" in argv:
        print(" ".join(z["ports"]))
        return 0
    if "--list-sources" in argv:
        print(" ".join(z["sources"]))
        return 0
    host.save_state("firewalld.json", st)
    print("success")
    return 0


def firewalld(journal, argv):
    """The firewalld daemon: stays up while the unit runs."""
    from . import pkgdb

    pkgdb.require_installed("firewalld", "firewalld")
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    ready = os.environ.get("PHAROS_TESTBED_READY_FILE")
    if ready:
        open(ready, "w").close()
    while not stop:
        time.sleep(0.2)
    return 0


# ---------------- containerd ----------------
def containerd(journal, argv):
    """containerd daemon: reads its config and serves the CRI socket."""
    from . import containers, pkgdb

    pkgdb.require_installed(["containerd", "containerd.io"], "containerd")
    if argv and argv[0] in ("--version", "-v"):
        print("containerd github.com/containerd/containerd v%s" % (
            (pkgdb.installed_version("containerd") or pkgdb.installed_version("containerd.io") or "1.7.0")
            .split("-")[0].split("~")[0]))
        return 0
    if argv and argv[0] == "config" and argv[1:2] == ["default"]:
        print('version = 2\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = '
              '"registry.k8s.io/pause:3.8"\n    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]'
              '\n      SystemdCgroup = false\n')
        return 0
    text = host.read("/etc/containerd/config.toml") or ""
    if re.search(r'^\s*disabled_plugins\s*=\s*\[[^\]]*"cri"', text, re.M):
        driver = None
    else:
        m = re.search(r"^\s*SystemdCgroup\s*=\s*(true|false)", text, re.M)
        driver = "systemd" if m and m.group(1) == "true" else "cgroupfs"
    host.save_state("containerd.json", {"cgroup_driver": driver, "cri": driver is not None})
    containers.announce(containers.RUNTIME_SOCKET, "containerd", driver)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    # containerd's own API is always there (dockerd uses it); CRI clients need the cri plugin
    srv = containers.listen_unix(containers.RUNTIME_SOCKET)
    ready = os.environ.get("PHAROS_TESTBED_READY_FILE")
    if ready:
        open(ready, "w").close()
    containers.serve(srv, lambda: stop, b"ok\n" if driver is not None else b"no-cri\n")
    srv.close()
    os.unlink(host.path(containers.RUNTIME_SOCKET))
    return 0


def _crictl_endpoint():
    text = host.read("/etc/crictl.yaml") or ""
    m = re.search(r"runtime-endpoint:\s*(\S+)", text)
    return m.group(1) if m else "unix:///run/containerd/containerd.sock"


def crictl(journal, argv):
    from . import containers, pkgdb

    pkgdb.require_installed("cri-tools", "crictl")
    args = [a for a in argv if not a.startswith("-")]
    endpoint = _crictl_endpoint()
    for a in argv:
        if a.startswith("--runtime-endpoint="):
            endpoint = a.split("=", 1)[1]
    if not args:
        raise host.ToolError("crictl: missing command", 1)
    if not containers.runtime_up(endpoint):
        raise host.ToolError("E0000 validate service connection: validate CRI v1 runtime API for endpoint \"%s\": "
                             "rpc error: code = Unavailable desc = connection error" % endpoint, 1)
    cs = containers.all_containers()
    if args[0] == "version":
        print("Version:  0.1.0\nRuntimeName:  %s\nRuntimeApiVersion:  v1"
              % containers.runtime_info(endpoint).get("name", "containerd"))
        return 0
    if args[0] == "info":
        print(json.dumps({"status": {"conditions": [{"type": "RuntimeReady", "status": True},
                                                    {"type": "NetworkReady", "status": True}]}}))
        return 0
    if args[0] == "exec":
        return _crictl_exec(journal, argv[argv.index("exec") + 1:], cs)
    if args[0] in ("ps", "pods"):
        quiet = "-q" in argv or "--quiet" in argv
        name, state_filter = _crictl_flag(argv, "--name"), _crictl_flag(argv, "--state", "-s")
        if not quiet:
            print("CONTAINER           IMAGE               STATE     NAME                POD")
        for c in cs:
            state = "Running" if containers.alive(c) else "Exited"
            if state_filter:
                if state.lower() != state_filter.lower():
                    continue
            elif "-a" not in argv and state != "Running":
                continue
            # crictl's --name is a regular expression searched in the container's name
            if name is not None and not re.search(name, c["name"] or ""):
                continue
            print(c["id"] if quiet else "%-19s %-19s %-9s %-19s %s" % (c["id"][:19], c["image"], state, c["name"],
                                                                      c["pod"]))
        return 0
    if args[0] in ("rm", "stop", "rmp", "stopp"):
        ids = args[1:]
        for c in cs:
            if c["id"] in ids or c["pod"] in ids or ("-a" in argv and args[0] in ("rmp", "rm")):
                containers.remove(c)
                journal.changed = True
                print(c["id"])
        return 0
    if args[0] in ("images", "pull"):
        return 0
    raise host.ToolError("crictl: unknown command %s" % args[0], 1)


def _crictl_flag(argv, *names):
    """The value of a crictl flag given as --flag value or --flag=value."""
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


# What the etcd image (registry.k8s.io/etcd) has in /usr/local/bin. The testbed's
# etcd is Debian's 3.4, whose etcdctl (ETCDCTL_API=3) holds what etcdutl took
# over in 3.5 with the same flags: `snapshot restore` (etcdutl/README.md).
ETCD_IMAGE_PROGRAMS = {"etcd": ["/usr/bin/etcd"], "etcdctl": ["/usr/bin/etcdctl"],
                       "etcdutl": ["/usr/bin/etcdctl"]}


def _crictl_exec(journal, argv, cs):
    """crictl exec [-i] [-t] [-s] CONTAINER COMMAND [ARG...]: flags before the container only."""
    from . import containers

    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("--timeout", "--user", "-u", "--env", "-e"):
            i += 1
        i += 1
    if i + 1 >= len(argv):
        raise host.ToolError("crictl: exec needs a container ID and a command", 1)
    cid, command = argv[i], argv[i + 1:]
    found = [c for c in cs if c["id"] == cid or c["id"].startswith(cid)]
    if len(found) != 1 or not containers.alive(found[0]):
        raise host.ToolError('FATA[0000] execing command in container: rpc error: code = NotFound '
                             'desc = an error occurred when try to find container "%s": not found' % cid, 1)
    c = found[0]
    program = None
    if c.get("image", "").rsplit("/", 1)[-1].split(":")[0] == "etcd":
        program = ETCD_IMAGE_PROGRAMS.get(command[0].rsplit("/", 1)[-1])
    if program is None:
        raise host.ToolError('FATA[0000] execing command in container: rpc error: code = Unknown desc = '
                             'failed to exec in container: failed to start exec: OCI runtime exec failed: '
                             'exec failed: unable to start container process: exec: "%s": executable file '
                             'not found in $PATH: unknown' % command[0], 1)
    journal.changed = True
    args = [host.path(a) if a.startswith("/") else a for a in command[1:]]
    env = dict(os.environ, ETCDCTL_API="3")
    return subprocess.run(program + args, env=env, stdin=subprocess.DEVNULL).returncode


def ctr(journal, argv):
    from . import containers, pkgdb

    pkgdb.require_installed(["containerd", "containerd.io"], "ctr")
    if "version" in argv:
        print("Client:\n  Version:  v1.7.0\n\nServer:\n  Version:  v1.7.0")
        return 0 if containers.answer("unix:///run/containerd/containerd.sock") else 1
    if not containers.answer("unix:///run/containerd/containerd.sock"):
        raise host.ToolError("ctr: failed to dial \"/run/containerd/containerd.sock\": connection error", 1)
    return 0
