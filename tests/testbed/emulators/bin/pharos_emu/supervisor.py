"""The main process of an emulated systemd service: runs ExecStart and applies Restart=."""
import json
import os
import signal
import subprocess
import sys
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


def main():
    global child
    spec = json.loads(sys.argv[1])
    unit = spec["unit"]
    signal.signal(signal.SIGTERM, on_term)
    env = dict(os.environ, **spec["env"])
    env["PHAROS_TESTBED_READY_FILE"] = host.path(systemd.RUN_DIR + "/" + unit + ".ready")
    if spec["root"]:
        env["PHAROS_TESTBED_ROOT"] = spec["root"]
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
        child = subprocess.Popen([binary] + spec["exec"][1:], env=env, stdin=subprocess.DEVNULL)
        record(unit, main=child.pid)
        while True:
            try:
                rc = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping and child.poll() is None:
                    try:
                        child.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        child.kill()
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
