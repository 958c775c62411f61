"""Per-host paths, state and the call journal shared by every emulator.

PHAROS_TESTBED_ROOT prefixes every path an emulator touches, so the emulators
can run against a scratch directory on the build machine; inside a sandbox
host it is unset and paths are the host's own.
"""
import fcntl
import json
import os
import socket
import sys
import time

STATE_DIR = "/var/lib/pharos-testbed"
JOURNAL = "/var/log/pharos-testbed/journal.jsonl"
# the package lives inside bin/, the one directory the testbed mounts into each host
BIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where the testbed mounts it inside each host (host-init.sh emu_path)
HOST_BIN_DIR = "/usr/local/lib/pharos-testbed/bin"


def root():
    return os.environ.get("PHAROS_TESTBED_ROOT", "").rstrip("/")


# A sandbox host shares these with the machine (read-only), so they are never prefixed.
SHARED = ("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/proc/", "/sys/", "/dev/")


def path(p):
    """Host path -> path on this machine."""
    if not p.startswith("/") or p.startswith(SHARED):
        return p
    return root() + p


def read(p, default=None):
    try:
        with open(path(p)) as f:
            return f.read()
    except FileNotFoundError:
        return default


def write(p, data, mode=0o644):
    full = path(p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    tmp = full + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, full)


def exists(p):
    return os.path.exists(path(p))


def remove(p):
    try:
        os.unlink(path(p))
        return True
    except FileNotFoundError:
        return False


def state_path(*parts):
    return "/".join((STATE_DIR,) + parts)


def load_state(name, default):
    data = read(state_path(name))
    if data is None:
        return default
    return json.loads(data)


def save_state(name, obj):
    write(state_path(name), json.dumps(obj, indent=1, sort_keys=True) + "\n")


class Lock:
    """Host-wide lock so concurrent emulator calls on one host serialize state edits."""

    def __init__(self, name):
        self.file = path(state_path("locks", name + ".lock"))

    def __enter__(self):
        os.makedirs(os.path.dirname(self.file), exist_ok=True)
        self.fd = os.open(self.file, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def address():
    """The host's primary address (what kubeadm would take from the default route)."""
    env = os.environ.get("PHAROS_TESTBED_ADDRESS")
    if env:
        return env
    data = read("/etc/pharos-testbed/address")
    if data and data.strip():
        return data.strip()
    # the testbed maps each host's name to its address in the host's own /etc/hosts
    name = hostname()
    for line in (read("/etc/hosts") or "").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and name in parts[1:] and parts[0] not in ("127.0.0.1", "::1"):
            return parts[0]
    return "127.0.0.1"


def in_host():
    """Whether this process is an emulated host's (inside one, or given its root), not the machine's."""
    return bool(root()) or BIN_DIR == HOST_BIN_DIR


def hostname():
    if root():
        data = read("/etc/hostname")
        if data and data.strip():
            return data.strip()
    return socket.gethostname()


def os_release():
    data = read("/etc/os-release") or ""
    out = {}
    for line in data.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


class Journal:
    """Records one JSON line per emulator call: argv, exit code, changed, time."""

    def __init__(self, tool):
        self.tool = tool
        self.argv = [tool] + sys.argv[1:]
        self.changed = False
        self.start = time.time()

    def record(self, code):
        entry = {
            "time": round(self.start, 3),
            "host": hostname(),
            "tool": self.tool,
            "argv": self.argv,
            "exit": code,
            "changed": self.changed,
            "uid": os.geteuid(),
            "duration_ms": int((time.time() - self.start) * 1000),
        }
        full = path(JOURNAL)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        line = json.dumps(entry, sort_keys=True) + "\n"
        with open(full, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            fcntl.flock(f, fcntl.LOCK_UN)


class ToolError(Exception):
    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def run_tool(tool, func):
    """Entry point wrapper: runs func(journal, argv) and journals the outcome."""
    journal = Journal(tool)
    code = 0
    try:
        rc = func(journal, sys.argv[1:])
        code = rc if isinstance(rc, int) else 0
    except ToolError as e:
        msg = str(e)
        if msg:
            sys.stderr.write(msg if msg.endswith("\n") else msg + "\n")
        code = e.code
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
        if e.code is not None and not isinstance(e.code, int):
            sys.stderr.write(str(e.code) + "\n")
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 141
    journal.record(code)
    sys.stdout.flush()
    return code


def require_root(tool):
    if os.geteuid() != 0 and not root():
        raise ToolError("%s: this operation requires root privileges" % tool, 1)
