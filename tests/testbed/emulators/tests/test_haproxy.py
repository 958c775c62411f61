"""The HAProxy emulator against the manual's rules for servers marked down:
established sessions stay unless `on-marked-down shutdown-sessions` closes
them, and that keyword takes only that action (HAProxy 2.6's `haproxy -c`
refuses anything else with the words checked here)."""
import os
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BIN, address

HAPROXY = os.path.join(BIN, "pharos-testbed-haproxy")


class Backend:
    """A TCP server that answers HTTP checks with self.status and keeps every
    other connection open, echoing what it gets."""

    def __init__(self, addr):
        self.status = 200
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.addr = "%s:%d" % self.sock.getsockname()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        with c:
            data = c.recv(4096)
            if data.startswith(b"GET /readyz"):
                c.sendall(b"HTTP/1.0 %d x\r\n\r\n" % self.status)
                return
            while data:
                c.sendall(data)
                data = c.recv(4096)


class HAProxyTest(unittest.TestCase):
    def start(self, server_opts, front):
        self.backend = Backend(address(7, 2))
        cfg = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)
        self.addCleanup(os.unlink, cfg.name)
        cfg.write("defaults\n\tmode tcp\n\ttimeout connect 5s\n"
                  "frontend f\n\tbind %s\n\tdefault_backend masters\n"
                  "backend masters\n\toption httpchk\n\thttp-check send meth GET uri /readyz\n"
                  "\thttp-check expect rstatus ^(200|401)$\n"
                  "\tdefault-server check inter 100ms fall 2 rise 2 %s\n"
                  "\tserver master-1 %s\n" % (front, server_opts, self.backend.addr))
        cfg.close()
        p = subprocess.Popen([HAPROXY, "-f", cfg.name], stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.stderr.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        return p

    def session(self, front):
        host, port = front.rsplit(":", 1)
        for _ in range(100):
            try:
                c = socket.create_connection((host, int(port)), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        self.addCleanup(c.close)
        c.sendall(b"ping")
        self.assertEqual(c.recv(4), b"ping")
        return c

    def marked_down(self, c):
        """Fails the checks, waits for the server to be marked down, and tells
        whether the established session c was closed."""
        self.backend.status = 500
        c.settimeout(3)
        try:
            return c.recv(16) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            c.sendall(b"pong")
            self.assertEqual(c.recv(4), b"pong", "the session kept working")
            return False

    def test_shutdown_sessions_closes_the_downed_servers_sessions(self):
        front = "%s:16443" % address(7, 1)
        p = self.start("on-marked-down shutdown-sessions", front)
        c = self.session(front)
        self.assertTrue(self.marked_down(c), "the session to the server marked down stayed open")
        p.kill()
        self.assertIn("Server masters/master-1 is DOWN", p.communicate()[1])

    def test_sessions_stay_without_it(self):
        front = "%s:16444" % address(7, 1)
        self.start("", front)
        c = self.session(front)
        self.assertFalse(self.marked_down(c), "a session was closed without on-marked-down")

    def test_other_actions_refused(self):
        front = "%s:16445" % address(7, 1)
        p = self.start("on-marked-down shutdown-backup-sessions", front)
        _, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("'on-marked-down' expects 'shutdown-sessions' but got 'shutdown-backup-sessions'.", err)


if __name__ == "__main__":
    unittest.main()
