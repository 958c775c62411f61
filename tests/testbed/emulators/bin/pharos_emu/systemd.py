"""systemctl: unit files, drop-ins, daemon-reload snapshots and supervised services.

Like systemd, a unit is read when it is first needed and re-read only on
daemon-reload; a unit file changed on disk without daemon-reload keeps its
old definition (with systemd's warning). Services run under a supervisor
process that applies Restart= and RestartSec=.
"""
import glob
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from . import catalog, host

UNIT_DIRS = ["/etc/systemd/system", "/run/systemd/system", catalog.PKGROOT + "/usr/lib/systemd/system",
             catalog.PKGROOT + "/lib/systemd/system"]
DISPLAY = {catalog.PKGROOT + "/usr/lib/systemd/system": "/usr/lib/systemd/system",
           catalog.PKGROOT + "/lib/systemd/system": "/lib/systemd/system"}
RUN_DIR = "/run/pharos-testbed/systemd"
LOADED = "systemd-loaded.json"


def unit_name(n):
    return n if "." in n else n + ".service"


def find_files(unit):
    """(unit file host path or None, [drop-in host paths])."""
    main = None
    for d in UNIT_DIRS:
        p = d + "/" + unit
        if host.exists(p):
            main = p
            break
    drops = {}
    for d in reversed(UNIT_DIRS):
        for f in glob.glob(host.path(d + "/" + unit + ".d/*.conf")):
            drops[os.path.basename(f)] = f[len(host.root()):]
    return main, [drops[k] for k in sorted(drops)]


def parse(texts):
    """[(section, key, value)] over unit file + drop-ins, systemd's empty-assignment reset kept as ''."""
    out = []
    for text in texts:
        section = None
        lines = text.replace("\\\n", " ").splitlines()
        for line in lines:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                continue
            if "=" in line:
                k, _, v = line.partition("=")
                out.append((section, k.strip(), v.strip()))
    return out


def definition(unit):
    main, drops = find_files(unit)
    if main is None:
        return None
    texts = [host.read(main)] + [host.read(d) for d in drops]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    return {"path": main, "dropins": drops, "entries": parse(texts), "digest": digest}


def loaded(unit, reload_=False):
    """The unit as systemd has it loaded (snapshot), loading it on first use."""
    with host.Lock("systemd"):
        snap = host.load_state(LOADED, {})
        cur = definition(unit)
        if unit not in snap or reload_:
            if cur is None:
                snap.pop(unit, None)
                host.save_state(LOADED, snap)
                return None
            snap[unit] = cur
            host.save_state(LOADED, snap)
            return cur
        if cur is None or cur["digest"] != snap[unit]["digest"]:
            sys.stderr.write("Warning: The unit file, source configuration file or drop-ins of %s changed on disk. "
                             "Run 'systemctl daemon-reload' to reload units.\n" % unit)
        return snap[unit]


def values(d, section, key):
    vals = []
    for s, k, v in d["entries"]:
        if s == section and k == key:
            if v == "" and key in ("ExecStart", "Environment", "EnvironmentFile", "ExecStartPre"):
                vals = []
            else:
                vals.append(v)
    return vals


def value(d, section, key, default=None):
    v = values(d, section, key)
    return v[-1] if v else default


def specifiers(text, unit):
    """systemd.unit(5)'s specifiers that packaged units use: %n %N %p %i %H %%."""
    base = unit.rsplit(".", 1)[0]
    prefix, _, instance = base.partition("@")
    table = {"n": unit, "N": base, "p": prefix, "i": instance, "H": host.hostname(), "%": "%"}
    return re.sub(r"%(.)", lambda m: table.get(m.group(1), m.group(0)), text)


def environment(d, unit):
    env = {}
    for e in values(d, "Service", "Environment"):
        for item in shlex.split(specifiers(e, unit)):
            k, _, v = item.partition("=")
            env[k] = v
    for f in values(d, "Service", "EnvironmentFile"):
        f = specifiers(f, unit)
        optional = f.startswith("-")
        f = f.lstrip("-")
        text = host.read(f)
        if text is None:
            if optional:
                continue
            raise host.ToolError("Failed to load environment files: No such file or directory", 1)
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, _, v = line.partition("=")
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            env[k.strip()] = v
    return env


def expand(cmdline, env):
    """systemd's ExecStart expansion: $VAR splits into words, ${VAR} stays one word."""
    out = []
    for word in shlex.split(cmdline):
        if word.startswith("$") and not word.startswith("${"):
            out.extend(env.get(word[1:], "").split())
            continue
        while "${" in word:
            a = word.index("${")
            b = word.index("}", a)
            word = word[:a] + env.get(word[a + 2:b], "") + word[b + 1:]
        out.append(word)
    return out


def resolve_binary(path):
    """A unit's binary on this host: the emulator of that name, or the real file."""
    cand = os.path.join(host.BIN_DIR, os.path.basename(path))
    if os.path.exists(cand):
        return cand
    return host.path(path) if os.path.exists(host.path(path)) else None


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def runtime(unit):
    text = host.read(RUN_DIR + "/" + unit + ".json")
    return json.loads(text) if text else {}


def active_state(unit):
    rt = runtime(unit)
    if unit.endswith(".timer"):
        return "active" if rt.get("timer") else "inactive"
    if pid_alive(rt.get("supervisor")):
        return "active" if pid_alive(rt.get("main")) else "activating"
    return "failed" if rt.get("result") == "failed" else "inactive"


TIMER_TRIGGERS = ("OnCalendar", "OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec",
                  "OnUnitInactiveSec")


def start_timer(unit, d):
    """A timer is active once started; like systemd, it needs a trigger and a unit to start."""
    if not any(values(d, "Timer", k) for k in TIMER_TRIGGERS):
        sys.stderr.write("Failed to start %s: Unit %s has no trigger (Timer unit lacks value setting. "
                         "Refusing.)\n" % (unit, unit))
        return 1
    target = value(d, "Timer", "Unit", unit[:-len(".timer")] + ".service")
    if loaded(target) is None:
        sys.stderr.write("Failed to start %s: Unit %s not found.\n" % (unit, target))
        return 5
    _record(unit, {"timer": True, "unit": target, "calendar": values(d, "Timer", "OnCalendar")})
    return 0


def socket_spec(unit, d):
    """A .socket unit's listening path, mode, group and the service it activates."""
    listen = value(d, "Socket", "ListenStream")
    if not listen or not listen.startswith(("/", "%t/")):
        return None
    return {"path": listen.replace("%t/", "/run/", 1), "mode": int(value(d, "Socket", "SocketMode", "0666"), 8),
            "group": value(d, "Socket", "SocketGroup"),
            "service": value(d, "Socket", "Service", unit[:-len(".socket")] + ".service")}


def fd_socket(unit):
    """Where the holder of an active .socket unit hands out its listening socket."""
    return RUN_DIR + "/" + unit + ".fds"


def _dependencies(unit, d, starting):
    """Requires=/Wants= units started first, like systemd's start job; socket units pass their fds."""
    for kind in ("Requires", "Wants"):
        for dep in " ".join(values(d, "Unit", kind)).split():
            if dep in starting or not dep.endswith((".service", ".socket")):
                continue
            dd = loaded(dep)
            if dd is None:
                if kind == "Requires":
                    sys.stderr.write("Failed to start %s: Unit %s not found.\n" % (unit, dep))
                    return 1
                continue
            if start(dep, dd, starting) != 0 and kind == "Requires":
                sys.stderr.write("A dependency job for %s failed. See 'journalctl -xe' for details.\n" % unit)
                return 1
    return 0


def _start_socket(unit, d):
    spec = socket_spec(unit, d)
    if spec is None:
        sys.stderr.write("%s: the emulator supports ListenStream= paths only.\n" % unit)
        return 1
    if spec["group"] and not any(line.split(":")[0] == spec["group"]
                                 for line in (host.read("/etc/group") or "").splitlines()):
        _record(unit, {"result": "failed", "status": "216/GROUP"})
        sys.stderr.write("Job for %s failed.\nSee \"systemctl status %s\" and \"journalctl -xeu %s\" for details.\n"
                         % (unit, unit, unit))
        return 1
    return _spawn(unit, {"unit": unit, "socket": spec, "root": host.root(), "type": "notify"})


def start(unit, d, starting=None):
    if active_state(unit) in ("active", "activating"):
        return 0
    starting = (starting or set()) | {unit}
    if _dependencies(unit, d, starting) != 0:
        return 1
    if unit.endswith(".timer"):
        return start_timer(unit, d)
    if unit.endswith(".socket"):
        return _start_socket(unit, d)
    execs = values(d, "Service", "ExecStart")
    if not execs:
        sys.stderr.write("%s has no ExecStart= setting, which is only allowed for Type=oneshot services. "
                         "Refusing.\n" % unit)
        return 1
    env = environment(d, unit)
    spec = {
        "unit": unit,
        "exec": expand(specifiers(execs[-1].lstrip("-@+!"), unit), env),
        "pre": [expand(specifiers(p, unit), env) for p in values(d, "Service", "ExecStartPre")],
        "env": env,
        "restart": value(d, "Service", "Restart", "no"),
        "restart_sec": float(value(d, "Service", "RestartSec", "0.1").rstrip("s") or 0.1),
        "type": value(d, "Service", "Type", "simple"),
        "root": host.root(),
        # an active socket unit of the same name, or one it requires, hands its listening socket over
        "sockets": [fd_socket(s) for s in [unit.rsplit(".", 1)[0] + ".socket"] + " ".join(
            values(d, "Unit", "Requires") + values(d, "Unit", "Wants")).split()
            if s.endswith(".socket") and active_state(s) == "active"],
    }
    spec["sockets"] = sorted(set(spec["sockets"]))
    if resolve_binary(spec["exec"][0]) is None:
        _record(unit, {"result": "failed", "status": "203/EXEC"})
        sys.stderr.write("Job for %s failed because the control process exited with error code.\nSee \"systemctl "
                         "status %s\" and \"journalctl -xeu %s\" for details.\n" % (unit, unit, unit))
        return 1
    return _spawn(unit, spec)


def _spawn(unit, spec):
    logdir = host.path("/var/log/pharos-testbed/units")
    os.makedirs(logdir, exist_ok=True)
    ready = host.path(RUN_DIR + "/" + unit + ".ready")
    if os.path.exists(ready):
        os.unlink(ready)
    log = open(os.path.join(logdir, unit + ".log"), "ab")
    sup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "supervisor.py")
    # The unit's Environment= reaches the supervisor in its environment, as systemd hands
    # it to a service: never on a command line, where /proc/PID/cmdline shows it.
    subprocess.Popen([sys.executable, sup, unit], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                     env=dict(os.environ, PHAROS_TESTBED_UNIT_SPEC=json.dumps(spec)),
                     start_new_session=True, close_fds=True)
    log.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        rt = runtime(unit)
        if rt.get("supervisor") and (rt.get("main") or rt.get("result")):
            break
        time.sleep(0.05)
    if spec["type"] == "notify":
        deadline = time.time() + 90
        while time.time() < deadline and not os.path.exists(ready):
            # the main process exited before it was ready: the start job fails (a restart may follow)
            if active_state(unit) in ("inactive", "failed") or runtime(unit).get("restarting"):
                break
            time.sleep(0.05)
        if not os.path.exists(ready):
            sys.stderr.write("Job for %s failed because the control process exited with error code.\n" % unit)
            return 1
    return 0


def _record(unit, rt):
    host.write(RUN_DIR + "/" + unit + ".json", json.dumps(rt))


def stop(unit):
    rt = runtime(unit)
    if unit.endswith(".timer"):
        if rt:
            host.write(RUN_DIR + "/" + unit + ".json", json.dumps({}))
        return 0
    sup = rt.get("supervisor")
    if not pid_alive(sup):
        return 0
    os.kill(sup, signal.SIGTERM)
    deadline = time.time() + 15
    while time.time() < deadline and pid_alive(sup):
        time.sleep(0.05)
    if pid_alive(sup):
        os.kill(sup, signal.SIGKILL)
    main = rt.get("main")
    if pid_alive(main):
        os.kill(main, signal.SIGKILL)
    return 0


def wants_link(unit, d):
    target = value(d, "Install", "WantedBy")
    if not target:
        return None
    return "/etc/systemd/system/%s.wants/%s" % (target.split()[0], unit)


def is_enabled(unit, d):
    if os.path.realpath(host.path("/etc/systemd/system/" + unit)) == "/dev/null":
        return "masked"
    link = wants_link(unit, d)
    if link is None:
        return "static"
    return "enabled" if os.path.lexists(host.path(link)) else "disabled"


def systemctl(journal, argv):
    flags = [a for a in argv if a.startswith("-")]
    args = [a for a in argv if not a.startswith("-")]
    now = "--now" in flags
    quiet = "-q" in flags or "--quiet" in flags
    if not args:
        raise host.ToolError("systemctl: this emulator needs a command", 1)
    cmd, units = args[0], [unit_name(u) for u in args[1:]]
    if cmd == "daemon-reload":
        host.require_root("systemctl")
        with host.Lock("systemd"):
            snap = host.load_state(LOADED, {})
            for u in list(snap):
                cur = definition(u)
                if cur is None:
                    del snap[u]
                else:
                    snap[u] = cur
            host.save_state(LOADED, snap)
        journal.changed = True
        return 0
    if cmd in ("list-unit-files", "list-units"):
        seen = set()
        for d in UNIT_DIRS:
            for f in sorted(glob.glob(host.path(d + "/*.service"))):
                u = os.path.basename(f)
                if u in seen:
                    continue
                seen.add(u)
                ld = loaded(u)
                print("%-40s %s" % (u, is_enabled(u, ld) if cmd == "list-unit-files" else active_state(u)))
        return 0
    if not units:
        raise host.ToolError("Too few arguments.", 1)
    rc = 0
    for unit in units:
        if cmd == "is-active":
            st = active_state(unit)
            if not quiet:
                print(st)
            rc = rc or (0 if st == "active" else 3)
            continue
        if cmd == "is-failed":
            st = active_state(unit)
            if not quiet:
                print(st)
            rc = rc or (0 if st == "failed" else 1)
            continue
        if cmd == "mask":
            host.require_root("systemctl")
            link = host.path("/etc/systemd/system/" + unit)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink("/dev/null", link)
            journal.changed = True
            continue
        if cmd == "unmask":
            link = host.path("/etc/systemd/system/" + unit)
            if os.path.islink(link) and os.readlink(link) == "/dev/null":
                os.unlink(link)
                journal.changed = True
            continue
        d = loaded(unit)
        if d is None:
            if cmd in ("stop", "disable") and active_state(unit) == "inactive":
                sys.stderr.write("Failed to %s %s: Unit %s not loaded.\n" % (cmd, unit, unit) if cmd == "stop"
                                 else "Failed to disable unit: Unit file %s does not exist.\n" % unit)
                rc = 5 if cmd == "stop" else 1
                continue
            if cmd == "is-enabled":
                if not quiet:
                    sys.stderr.write("Failed to get unit file state for %s: No such file or directory\n" % unit)
                rc = 1
                continue
            if cmd == "status":
                sys.stderr.write("Unit %s could not be found.\n" % unit)
                rc = 4
                continue
            sys.stderr.write("Failed to %s %s: Unit %s not found.\n" % (
                "enable unit" if cmd == "enable" else cmd, unit if cmd != "enable" else "", unit)
                if cmd != "enable" else "Failed to enable unit: Unit file %s does not exist.\n" % unit)
            rc = 5 if cmd != "enable" else 1
            continue
        if cmd == "is-enabled":
            st = is_enabled(unit, d)
            if not quiet:
                print(st)
            rc = rc or (0 if st in ("enabled", "static") else 1)
            continue
        if cmd == "status":
            st = active_state(unit)
            rt = runtime(unit)
            print("● %s\n     Loaded: loaded (%s; %s)\n     Active: %s\n   Main PID: %s" % (
                unit, DISPLAY.get(os.path.dirname(d["path"]), os.path.dirname(d["path"])) + "/" + unit,
                is_enabled(unit, d), st, rt.get("main", "")))
            rc = rc or (0 if st == "active" else 3)
            continue
        if cmd == "show":
            props = {"ActiveState": active_state(unit), "MainPID": str(runtime(unit).get("main") or 0),
                     "UnitFileState": is_enabled(unit, d), "LoadState": "loaded", "Id": unit}
            wanted = [f.split("=", 1)[1] for f in flags if f.startswith("--property=")]
            if "-p" in argv:
                wanted.append(argv[argv.index("-p") + 1])
            for k, v in props.items():
                if not wanted or k in wanted:
                    print(v if "--value" in flags else "%s=%s" % (k, v))
            continue
        if cmd == "cat":
            print("# %s\n%s" % (d["path"], host.read(d["path"])))
            continue
        host.require_root("systemctl")
        if is_enabled(unit, d) == "masked" and cmd in ("start", "restart", "enable"):
            sys.stderr.write("Failed to %s %s: Unit %s is masked.\n" % (cmd, unit, unit))
            rc = 1
            continue
        if cmd in ("enable", "disable"):
            link = wants_link(unit, d)
            if link:
                full = host.path(link)
                if cmd == "enable" and not os.path.lexists(full):
                    os.makedirs(os.path.dirname(full), exist_ok=True)
                    shown = DISPLAY.get(os.path.dirname(d["path"]), os.path.dirname(d["path"])) + "/" + unit
                    os.symlink(shown, full)
                    sys.stderr.write("Created symlink %s → %s.\n" % (link, shown))
                    journal.changed = True
                elif cmd == "disable" and os.path.lexists(full):
                    os.unlink(full)
                    sys.stderr.write("Removed \"%s\".\n" % link)
                    journal.changed = True
            else:
                sys.stderr.write("The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\n"
                                 "Alias= settings in the [Install] section, and DefaultInstance= for template\n"
                                 "units). This means they are not meant to be enabled or disabled using systemctl.\n")
            if now:
                before = active_state(unit)
                rc = rc or (start(unit, d) if cmd == "enable" else stop(unit))
                journal.changed = journal.changed or before != active_state(unit)
            continue
        before = active_state(unit)
        if cmd == "start":
            rc = rc or start(unit, d)
        elif cmd == "stop":
            stop(unit)
        elif cmd in ("restart", "reload-or-restart", "reload"):
            stop(unit)
            rc = rc or start(unit, d)
            journal.changed = True
        elif cmd == "try-restart":
            if before == "active":
                stop(unit)
                rc = rc or start(unit, d)
                journal.changed = True
        else:
            raise host.ToolError("Unknown command verb '%s'." % cmd, 1)
        if before != active_state(unit):
            journal.changed = True
    return rc
