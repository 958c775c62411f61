#!/usr/bin/env python3
"""TCP forwarder that adds a network's round-trip time to every connection.

    delay_proxy.py RTT_MS LISTEN_ADDR:PORT=TARGET_ADDR:PORT [...]

The benchmarks' hosts share the machine's loopback, and this kernel has no
netem qdisc, so latency is added in user space: every chunk read on one side
is written to the other half the RTT later, in order, each way. The target is
connected half the RTT after the client's connection is accepted (the SYN's
way there), so the server's first bytes reach the client one RTT after it
connected, as over a real link. Bandwidth is not limited. Prints "ready" on
stdout once every listener is bound; runs until killed.
"""
import asyncio
import socket
import sys
import time


def parse_pair(text):
    listen, _, target = text.partition("=")
    if not target:
        raise ValueError(f"not LISTEN=TARGET: {text}")
    la, _, lp = listen.rpartition(":")
    ta, _, tp = target.rpartition(":")
    return (la, int(lp)), (ta, int(tp))


async def pump(reader, writer, half):
    """Copies reader to writer, each chunk `half` seconds after it was read."""
    queue = asyncio.Queue()

    async def read_side():
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + half, data))
            if not data:
                return

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read_side(), write_side())
    except (ConnectionError, OSError):
        pass


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def handler(target, half):
    async def serve(creader, cwriter):
        nodelay(cwriter)
        await asyncio.sleep(half)
        try:
            treader, twriter = await asyncio.open_connection(*target)
        except OSError:
            cwriter.close()
            return
        nodelay(twriter)
        await asyncio.gather(pump(creader, twriter, half), pump(treader, cwriter, half))
        for w in (cwriter, twriter):
            w.close()

    return serve


async def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    half = float(argv[0]) / 2000.0
    servers = []
    for pair in argv[1:]:
        listen, target = parse_pair(pair)
        servers.append(await asyncio.start_server(handler(target, half), *listen, backlog=512))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(130)
