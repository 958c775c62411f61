"""How the API emulator writes its answers, as Go's net/http and net do for the real
kube-apiserver: an accepted connection has Nagle's algorithm off (net: TCPConn's
SetNoDelay, "the default is true"), and a small response leaves in one write
(net/http: the connection's 4 KiB bufio writer, flushed when the handler returns).
Written as headers, then body, an answer forwarded through an SSH tunnel went as two
packets, the second held until the first was acknowledged: about 40 ms per request."""
import http.client
import io
import json
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bin"))
from pharos_emu import apiserver  # noqa: E402


class Recorder(io.RawIOBase):
    """The socket's side of the handler's writes: one entry per write that reached it."""

    def __init__(self):
        self.writes = []

    def writable(self):
        return True

    def write(self, b):
        self.writes.append(bytes(b))
        return len(b)


class FakeConnection:
    """What StreamRequestHandler asks of its connection, with the request already in."""

    def __init__(self, request):
        self.request = request
        self.out = Recorder()

    def makefile(self, mode, bufsize=-1):
        if "r" in mode:
            return io.BufferedReader(io.BytesIO(self.request))
        return io.BufferedWriter(self.out, bufsize) if bufsize else self.out

    def sendall(self, b):
        self.out.write(b)

    def settimeout(self, _):
        pass

    def setsockopt(self, *_):
        pass


class Answers(apiserver.Handler):
    """The emulator's plumbing (send_json), with a handler of its own."""

    def do_GET(self):
        nodelay = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) \
            if isinstance(self.connection, socket.socket) else None
        self.send_json(200, {"kind": "Status", "nodelay": nodelay, "padding": "x" * 600})


class FakeServer:
    pass


class WritesTest(unittest.TestCase):
    def test_a_small_answer_is_one_write(self):
        conn = FakeConnection(b"GET /version HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n")
        Answers(conn, ("127.0.0.1", 1), FakeServer())
        out = conn.out.writes
        self.assertEqual(len(out), 1, "headers and body in one write, not %d: %r" % (len(out), out))
        head, _, body = out[0].partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertEqual(json.loads(body)["kind"], "Status")

    def test_accepted_connections_have_nagle_off(self):
        server = apiserver.Server(("127.0.0.1", 0), Answers)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            c = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
            for _ in range(2):  # the second on the kept-alive connection
                c.request("GET", "/version")
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["nodelay"], 1)
            c.close()
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    unittest.main()
