"""The main process of an emulated systemd service: runs ExecStart and applies Restart=."""
import fcntl
import grp
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pharos_emu import host, systemd  # noqa: E402

stopping = False
child = None


def record(unit, **kw):
    host.write(systemd.RUN_DIR + "/" + unit + ".json", json.dumps(dict(kw, supervisor=os.getpid())))


def on_term(signum, frame):
    global stopping
    stopping = True
    if child and child.poll() is None:
        child.send_signal(signal.SIGTERM)
        # systemd's TimeoutStopSec, shortened: a service that ignores SIGTERM is killed
        signal.alarm(10)


def on_alarm(signum, frame):
    if child and child.poll() is None:
        child.kill()


def hold_socket(spec):
    """A .socket unit: listens on its path, hands the socket to its service, and starts the
    service when a connection arrives while it is not running (socket activation)."""
    unit, sock = spec["unit"], spec["socket"]
    path = host.path(sock["path"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    os.chmod(path, sock["mode"])
    if sock.get("group") and not host.root():
        os.chown(path, 0, grp.getgrnam(sock["group"]).gr_gid)
    listener.listen(128)
    ctl_path = host.path(systemd.fd_socket(unit))
    os.makedirs(os.path.dirname(ctl_path), exist_ok=True)
    if os.path.lexists(ctl_path):
        os.unlink(ctl_path)
    ctl = socket.socket(socket.AF_UNIX)
    ctl.bind(ctl_path)
    ctl.listen(16)
    record(unit, main=os.getpid())
    open(host.path(systemd.RUN_DIR + "/" + unit + ".ready"), "w").close()
    service = sock["service"]
    activation = {}   # the start job runs beside the loop, which keeps handing out the socket meanwhile

    def activate():
        d = systemd.loaded(service)
        activation["rc"] = 1 if d is None else systemd.start(service, d)

    while not stopping:
        job = activation.get("thread")
        if job is not None and not job.is_alive():
            del activation["thread"]
            if activation.get("rc"):
                # activation failed: the waiting client gets its connection closed, as with a failed job
                conn, _ = listener.accept()
                conn.close()
                time.sleep(1)
        watch = [ctl]
        if "thread" not in activation and systemd.active_state(service) not in ("active", "activating"):
            watch.append(listener)
        try:
            ready, _, _ = select.select(watch, [], [], 0.2)
        except InterruptedError:
            continue
        if ctl in ready:
            conn, _ = ctl.accept()
            socket.send_fds(conn, [b"fd"], [listener.fileno()])
            conn.close()
        if listener in ready:
            activation["thread"] = threading.Thread(target=activate, daemon=True)
            activation["thread"].start()
    listener.close()
    ctl.close()
    for p in (path, ctl_path):
        if os.path.lexists(p):
            os.unlink(p)
    host.write(systemd.RUN_DIR + "/" + unit + ".json", json.dumps({"result": "success", "supervisor": None}))


def received_sockets(ctl_paths):
    """Listening sockets of the service's active socket units, close-on-exec at fds >= 100 until the
    child's dup2 to 3, 4 ... (Python opens its own files close-on-exec, so nothing else leaks)."""
    fds = []
    for p in ctl_paths:
        c = socket.socket(socket.AF_UNIX)
        try:
            c.connect(host.path(p))
            _, got, _, _ = socket.recv_fds(c, 16, 1)
            fds.extend(got)
        except OSError:
            continue
        finally:
            c.close()
    high = []
    for fd in fds:
        high.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100))
        os.close(fd)
    return high


def notify_socket(unit, ready):
    """sd_notify(3)'s socket for a Type=notify service that is not an emulator (Debian's
    etcd): its READY=1 creates the ready file the start job waits for, as systemd's does."""
    path = host.path(systemd.RUN_DIR + "/" + unit + ".notify")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)

    def listen():
        while True:
            msg = sock.recv(4096).decode(errors="replace")
            if "READY=1" in msg.splitlines():
                open(ready, "w").close()

    threading.Thread(target=listen, daemon=True).start()
    return path


def main():
    global child
    spec = json.loads(os.environ.pop("PHAROS_TESTBED_UNIT_SPEC"))
    unit = spec["unit"]
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    if "socket" in spec:
        hold_socket(spec)
        return
    env = dict(os.environ, **spec["env"])
    env["PHAROS_TESTBED_READY_FILE"] = host.path(systemd.RUN_DIR + "/" + unit + ".ready")
    if spec["root"]:
        env["PHAROS_TESTBED_ROOT"] = spec["root"]
    if spec["type"] == "notify":
        env["NOTIFY_SOCKET"] = notify_socket(unit, env["PHAROS_TESTBED_READY_FILE"])
    result = "success"
    while not stopping:
        for pre in spec["pre"]:
            optional = pre[0].startswith("-")
            binary = systemd.resolve_binary(pre[0].lstrip("-"))
            rc = subprocess.call([binary] + pre[1:], env=env) if binary else 203
            if rc != 0 and not optional:
                result = "failed"
        binary = systemd.resolve_binary(spec["exec"][0])
        if binary is None:
            result = "failed"
            break
        fds = received_sockets(spec.get("sockets") or [])
        child_env = dict(env)
        if fds:
            # sd_listen_fds(3): the sockets start at fd 3
            child_env.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(
                os.path.basename(p)[:-len(".socket.fds")] + ".socket" for p in spec["sockets"])[:255])

        def hand_over(fds=fds):
            for i, fd in enumerate(fds):
                os.dup2(fd, 3 + i)
        child = subprocess.Popen([binary] + spec["exec"][1:], env=child_env, stdin=subprocess.DEVNULL,
                                 preexec_fn=hand_over if fds else None, close_fds=not fds)
        for fd in fds:
            os.close(fd)
        record(unit, main=child.pid)
        if stopping:
            # the stop request came while the child was being started
            on_term(signal.SIGTERM, None)
        # a blocking wait: Popen.wait with a timeout polls every 50 ms, which a dozen idle
        # services per host turned into a steady CPU load; on_term and on_alarm run meanwhile
        rc = child.wait()
        if stopping:
            result = "success"
            break
        result = "success" if rc == 0 else "failed"
        restart = spec["restart"]
        if restart == "always" or (restart in ("on-failure", "on-abnormal") and rc != 0):
            record(unit, main=None, restarting=True)
            deadline = time.time() + spec["restart_sec"]
            while time.time() < deadline and not stopping:
                time.sleep(0.1)
            continue
        break
    if stopping:
        # a stop request ends a restart loop cleanly: the unit is inactive, not failed
        result = "success"
    host.write(systemd.RUN_DIR + "/" + unit + ".json", json.dumps({"result": result, "supervisor": None}))


if __name__ == "__main__":
    main()
