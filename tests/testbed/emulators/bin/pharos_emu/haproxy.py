"""HAProxy emulator: what the haproxy image runs here, for TCP frontends (mode tcp).

Reads the configuration file given with -f (the subset a TCP load balancer
uses: `bind`, `default_backend`, `server NAME ADDR:PORT`, `default-server` /
per-server `check`, `check-ssl`, `inter`, `fall`, `rise`, `on-marked-down
shutdown-sessions`, and `option httpchk` with `http-check send meth M uri U`
and `http-check expect status|rstatus`) and behaves as the HAProxy manual
says: connections go round-robin to the servers that are up; a server with
checks goes down after `fall` failed checks in a row and up again after
`rise` good ones (servers start up, as HAProxy's do once their first check
passed: here the first check runs before the frontend listens); a server
marked down keeps its established sessions unless `on-marked-down
shutdown-sessions` says to close them. Unknown keywords are refused, as
haproxy -c would, with HAProxy 2.6's words.

The hosts of the emulated tier share the machine's network, so a bind on
127.0.0.1 listens on the host's own address: each host's loopback is its own,
as in a network namespace of its own.
"""
import re
import socket
import ssl
import sys
import threading
import time

from . import host

SERVER_OPTS = {"check": 0, "check-ssl": 0, "verify": 1, "inter": 1, "fall": 1, "rise": 1, "on-marked-down": 1}


def fail(msg):
    sys.stderr.write("[ALERT]    (1) : config : %s\n" % msg)
    sys.exit(1)


def duration(text):
    m = re.fullmatch(r"(\d+)(us|ms|s|m|h|d)?", text)
    if not m:
        fail("unexpected time value '%s'" % text)
    scale = {"us": 1e-6, "ms": 1e-3, None: 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return int(m.group(1)) * scale


def addr_port(text):
    a, _, p = text.rpartition(":")
    if not a or not p.isdigit():
        fail("invalid address: '%s'" % text)
    return a.strip("[]"), int(p)


class Server:
    def __init__(self, name, addr, opts):
        self.name, self.addr = name, addr
        self.check = "check" in opts
        self.tls = "check-ssl" in opts
        self.inter = duration(opts.get("inter", "2s"))
        self.fall, self.rise = int(opts.get("fall", 3)), int(opts.get("rise", 2))
        self.shutdown_on_down = opts.get("on-marked-down") == "shutdown-sessions"
        self.up, self.streak = True, 0
        self.sessions = set()


def parse_opts(words, where):
    opts, i = {}, 0
    while i < len(words):
        w = words[i]
        if w not in SERVER_OPTS:
            fail("%s : unknown keyword '%s'" % (where, w))
        opts[w] = words[i + 1] if SERVER_OPTS[w] else True
        if w == "on-marked-down" and opts[w] != "shutdown-sessions":
            fail("%s : 'on-marked-down' expects 'shutdown-sessions' but got '%s'." % (where, opts[w]))
        i += 1 + SERVER_OPTS[w]
    return opts


def parse(text):
    conf = {"binds": [], "backend": None, "servers": [], "httpchk": False, "method": "OPTIONS", "uri": "/",
            "expect": None, "timeout_connect": 5}
    section, defaults = None, {}
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        where = "parsing [haproxy.cfg:%d]" % n
        kw = words[0]
        if kw in ("global", "defaults", "frontend", "backend", "listen"):
            section = kw
            continue
        if section == "global" and kw in ("maxconn", "log", "daemon", "nbthread"):
            continue
        if section == "defaults" and kw in ("mode", "log", "timeout", "option", "retries", "maxconn"):
            if kw == "mode" and words[1] != "tcp":
                fail("%s : only mode tcp is emulated" % where)
            if kw == "timeout" and words[1] == "connect":
                conf["timeout_connect"] = duration(words[2])
            continue
        if section == "frontend" and kw == "bind":
            conf["binds"].append(addr_port(words[1]))
        elif section == "frontend" and kw == "default_backend":
            conf["backend"] = words[1]
        elif section == "backend" and kw == "option" and words[1:] == ["httpchk"]:
            conf["httpchk"] = True
        elif section == "backend" and kw == "http-check" and words[1] == "send":
            kv = dict(zip(words[2::2], words[3::2]))
            conf["method"], conf["uri"] = kv.get("meth", conf["method"]), kv.get("uri", conf["uri"])
        elif section == "backend" and kw == "http-check" and words[1] == "expect":
            conf["expect"] = (words[2], " ".join(words[3:]))
        elif section == "backend" and kw == "default-server":
            defaults = parse_opts(words[1:], where)
        elif section == "backend" and kw == "server":
            opts = dict(defaults)
            opts.update(parse_opts(words[3:], where))
            conf["servers"].append(Server(words[1], addr_port(words[2]), opts))
        else:
            fail("%s : unknown keyword '%s' in '%s' section" % (where, kw, section))
    if not conf["binds"] or not conf["servers"]:
        fail("a frontend with a bind and a backend with servers are needed")
    return conf


class Proxy:
    def __init__(self, conf):
        self.conf = conf
        self.servers = conf["servers"]
        self.next = 0
        self.lock = threading.Lock()

    def check_once(self, s):
        try:
            sock = socket.create_connection(s.addr, timeout=5)
        except OSError:
            return False
        try:
            if s.tls:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                sock = ctx.wrap_socket(sock)
            if not self.conf["httpchk"]:
                return True
            sock.sendall(("%s %s HTTP/1.0\r\n\r\n" % (self.conf["method"], self.conf["uri"])).encode())
            status = sock.recv(64).decode("latin-1").split(" ")
            code = status[1] if len(status) > 1 else ""
            kind, want = self.conf["expect"] or ("rstatus", "^[23]")
            return code == want if kind == "status" else bool(re.search(want, code))
        except (OSError, ssl.SSLError):
            return False
        finally:
            sock.close()

    def watch(self, s):
        while True:
            good = self.check_once(s)
            with self.lock:
                s.streak = s.streak + 1 if good != s.up else 0
                if s.streak >= (s.rise if good else s.fall):
                    s.up, s.streak = good, 0
                    sys.stderr.write("[WARNING] Server masters/%s is %s.\n" % (s.name, "UP" if good else "DOWN"))
                    sys.stderr.flush()
                    if not good and s.shutdown_on_down:
                        for pair in list(s.sessions):
                            close_both(pair)
            time.sleep(s.inter)

    def pick(self):
        with self.lock:
            n = len(self.servers)
            for i in range(n):
                s = self.servers[(self.next + i) % n]
                if s.up:
                    self.next = (self.next + i + 1) % n
                    return s
        return None

    def serve(self, client):
        s = self.pick()
        upstream = None
        if s:
            try:
                upstream = socket.create_connection(s.addr, timeout=self.conf["timeout_connect"])
                upstream.settimeout(None)
            except OSError:
                upstream = None
        if not upstream:
            client.close()
            return
        pair = (client, upstream)
        with self.lock:
            s.sessions.add(pair)
        ends = []
        for a, b in ((client, upstream), (upstream, client)):
            t = threading.Thread(target=pipe, args=(a, b), daemon=True)
            t.start()
            ends.append(t)
        for t in ends:
            t.join()
        with self.lock:
            s.sessions.discard(pair)
        for sock in pair:
            sock.close()

    def run(self):
        for s in self.servers:
            if s.check:
                s.up = self.check_once(s)
                threading.Thread(target=self.watch, args=(s,), daemon=True).start()
        listeners = []
        for addr, port in self.conf["binds"]:
            if addr in ("127.0.0.1", "localhost"):
                addr = host.address()
            ls = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                ls.bind((addr, port))
            except OSError as e:
                fail("Starting frontend kube-apiserver: cannot bind socket (%s) [%s:%d]" % (e.strerror, addr, port))
            ls.listen(128)
            listeners.append(ls)
        for ls in listeners[1:]:
            threading.Thread(target=self.accept, args=(ls,), daemon=True).start()
        self.accept(listeners[0])

    def accept(self, ls):
        while True:
            client, _ = ls.accept()
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        close_both((src, dst))


def close_both(pair):
    for s in pair:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main(argv):
    path = None
    i = 0
    while i < len(argv):
        if argv[i] == "-f" and i + 1 < len(argv):
            path = argv[i + 1]
            i += 2
        elif argv[i] in ("-W", "-db", "-Ws"):
            i += 1
        else:
            fail("unknown option '%s'" % argv[i])
    if not path:
        fail("No configuration file specified")
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        fail("Cannot open configuration file/directory %s : %s" % (path, e.strerror))
    Proxy(parse(text)).run()
    return 0
