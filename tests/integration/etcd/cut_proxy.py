#!/usr/bin/env python3
"""A TCP proxy that breaks long connections: listens on LISTEN_HOST (a free
port, printed on stdout), forwards to TARGET_HOST:TARGET_PORT, and once LIMIT
bytes came back from the target on one connection, either closes both sides
(cut) or stops forwarding while keeping it open (stall). Put in front of a
host's sshd, it breaks the SSH connection that carries a long download while
the short ones (commands, file reads, small requests) go through.

usage: cut_proxy.py LISTEN_HOST TARGET_HOST TARGET_PORT LIMIT [cut|stall]
"""
import socket
import sys
import threading


def pump(src, dst, limit, mode, closer):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) > limit:
                dst.sendall(data[: limit - sent])
                print("%s a connection after %d bytes" % ("stalled" if mode == "stall" else "cut", limit),
                      file=sys.stderr, flush=True)
                if mode == "stall":
                    threading.Event().wait()
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    closer()


def serve(conn, target, limit, mode):
    try:
        up = socket.create_connection(target)
    except OSError:
        conn.close()
        return
    done = threading.Lock()

    def close_both():
        if done.acquire(blocking=False):
            for s in (conn, up):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    threading.Thread(target=pump, args=(conn, up, None, mode, close_both), daemon=True).start()
    pump(up, conn, limit, mode, close_both)


def main():
    listen_host, target_host, target_port, limit = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else "cut"
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((listen_host, 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    target = (target_host, int(target_port))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, target, int(limit), mode), daemon=True).start()


if __name__ == "__main__":
    main()
