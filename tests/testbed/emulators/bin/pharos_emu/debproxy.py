"""Debian's archive through the mirror (real mode): a host's apt asks
http://deb.debian.org/debian/... (or security.debian.org/debian-security/...),
which the host resolves to the mirror; the mirror fetches the same path from
the real archive over the machine's network and streams the answer back."""
import http.client

# name a host asks for -> (archive host the machine reaches, paths it serves)
UPSTREAM = {"deb.debian.org": ("deb.debian.org", ("/debian/", "/debian-security/")),
            "security.debian.org": ("deb.debian.org", ("/debian-security/",))}
REQUEST_HEADERS = ("If-Modified-Since", "If-None-Match", "Range", "If-Range", "User-Agent", "Cache-Control")
RESPONSE_HEADERS = ("Content-Type", "Content-Length", "Last-Modified", "ETag", "Content-Range", "Accept-Ranges",
                    "Location")


def proxies(hostname, path):
    up = UPSTREAM.get(hostname)
    return up is not None and path.startswith(up[1])


def forward(handler, hostname, target):
    """Answers handler's request (GET or HEAD of target, path and query) from the archive."""
    upstream = UPSTREAM[hostname][0]
    headers = {h: handler.headers[h] for h in REQUEST_HEADERS if handler.headers.get(h)}
    conn = http.client.HTTPConnection(upstream, 80, timeout=60)
    try:
        conn.request(handler.command, target, headers=headers)
        resp = conn.getresponse()
    except OSError as e:
        body = ("%s unreachable: %s\n" % (upstream, e)).encode()
        handler.send_response(502)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "GET":
            handler.wfile.write(body)
        conn.close()
        return
    try:
        handler.send_response(resp.status)
        for h in RESPONSE_HEADERS:
            if resp.getheader(h):
                handler.send_header(h, resp.getheader(h))
        if resp.getheader("Content-Length") is None and handler.command == "GET" and resp.status not in (204, 304):
            # no length to pass on: the end of the body is the end of the connection
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        if handler.command == "GET":
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                handler.wfile.write(chunk)
    finally:
        conn.close()
