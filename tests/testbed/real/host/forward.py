#!/usr/bin/python3
"""TCP forwarder from the machine to the real-tier hosts.

    forward.py --netns /proc/PID/ns/net --ports 22,6443 LISTEN=TARGET=HOSTPID ...

For each LISTEN=TARGET=HOSTPID and port, a listening socket on LISTEN:port in
the machine's network namespace leads to TARGET:port, connected from inside
the switch's network namespace (--netns): the hosts' addresses exist only
there. The listening socket exists exactly while something in the host
(HOSTPID's network namespace) listens on that port, so a stopped sshd or a
not yet started API server is refused on the machine as it would be on the
host, and the testbed can wait for a port by watching the machine's
/proc/net/tcp.

The listening sockets are made by the main thread, which never leaves the
machine's namespace; each connection's thread enters the switch's namespace
first (setns(2) acts on the calling thread; Python 3.11 has no os.setns).
"""
import argparse
import ctypes
import os
import selectors
import signal
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
POLL_S = 0.1
TCP_LISTEN = "0A"
_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def hex_addr4(addr):
    return "%08X" % int.from_bytes(socket.inet_aton(addr), "little")


def listening_ports(pid, target):
    """Ports something listens on in pid's network namespace, for target or any address."""
    wanted = {hex_addr4("0.0.0.0"), hex_addr4(target), "0" * 32,
              "0000000000000000FFFF0000" + hex_addr4(target)}
    ports = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    addr, _, port = fields[1].partition(":")
                    if fields[3] == TCP_LISTEN and addr in wanted:
                        ports.add(int(port, 16))
        except (OSError, StopIteration):
            continue
    return ports


def pump(a, b):
    """Copies both ways until both directions are closed, passing half-closes on."""
    sel = selectors.DefaultSelector()
    peer = {a: b, b: a}
    for s in (a, b):
        sel.register(s, selectors.EVENT_READ)
    open_dirs = 2
    try:
        while open_dirs:
            for key, _ in sel.select():
                src = key.fileobj
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if data:
                    peer[src].sendall(data)
                    continue
                sel.unregister(src)
                open_dirs -= 1
                try:
                    peer[src].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
    except OSError:
        pass
    finally:
        sel.close()
        a.close()
        b.close()


def connect_through(netns_fd, client, target, port):
    try:
        enter_netns(netns_fd)
        upstream = socket.create_connection((target, port), timeout=10)
        upstream.settimeout(None)
    except OSError as e:
        sys.stderr.write("forward: %s:%d: %s\n" % (target, port, e))
        client.close()
        return
    pump(client, upstream)


def main(argv):
    p = argparse.ArgumentParser(prog="forward.py")
    p.add_argument("--netns", required=True, help="network namespace the targets live in")
    p.add_argument("--ports", default="22,6443")
    p.add_argument("maps", nargs="+", metavar="LISTEN=TARGET=HOSTPID")
    a = p.parse_args(argv)
    netns_fd = os.open(a.netns, os.O_RDONLY)
    ports = [int(x) for x in a.ports.split(",")]
    maps = []
    for m in a.maps:
        listen, target, pid = m.split("=")
        maps.append((listen, target, int(pid)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    sel = selectors.DefaultSelector()
    listeners = {}  # (listen, port) -> socket
    while True:
        for listen, target, pid in maps:
            up = listening_ports(pid, target)
            for port in ports:
                key = (listen, port)
                if port in up and key not in listeners:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        s.bind(key)
                    except OSError as e:
                        sys.stderr.write("forward: %s:%d: %s\n" % (listen, port, e))
                        s.close()
                        continue
                    s.listen(128)
                    listeners[key] = s
                    sel.register(s, selectors.EVENT_READ, (target, port))
                elif port not in up and key in listeners:
                    s = listeners.pop(key)
                    sel.unregister(s)
                    s.close()
        for key, _ in sel.select(POLL_S):
            try:
                client, _ = key.fileobj.accept()
            except OSError:
                continue
            target, port = key.data
            threading.Thread(target=connect_through, args=(netns_fd, client, target, port),
                             daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
