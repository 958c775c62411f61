"""Package mirror of the testbed: the real repository hosts, served from a loopback address.

A sandbox host resolves pkgs.k8s.io, download.docker.com ... to the mirror
through its own /etc/hosts and trusts the mirror's CA through its own trust
store, so `curl -fsSL https://pkgs.k8s.io/.../Release.key | gpg --dearmor`
runs unchanged. Each origin has its own OpenPGP key; the InRelease files are
signed with it, and the apt emulator checks them with gpgv against the
keyring the host configured.

Real mode (--real ARTIFACTS_DIR, for the real tier's hosts with Debian's own
apt): pkgs.k8s.io and download.docker.com serve the packages built by
tests/testbed/real/artifacts with signed indexes, the registries serve its
images with their blobs, and deb.debian.org / security.debian.org are
proxied to Debian's archive.
"""
import contextlib
import http.server
import os
import re
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading

from . import catalog, debproxy, netns, ocistore, realrepo, registry
from .filebody import FileBody

# Distribution mirrors as the hosts' own sources name them.
DISTRO_HOSTS = ["deb.debian.org", "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com",
                "dl.rockylinux.org", "mirrors.rockylinux.org"]
# cri-dockerd's release assets: github.com redirects downloads to its asset host.
GITHUB_HOSTS = ["github.com", "release-assets.githubusercontent.com", "objects.githubusercontent.com"]
HOSTS = (["pkgs.k8s.io", "download.docker.com", "prod-cdn.packages.k8s.io", "download.opensuse.org"]
         + DISTRO_HOSTS + GITHUB_HOSTS + registry.REGISTRIES)
ORIGINS = {"pkgs.k8s.io": "isv:kubernetes OBS Project <isv:kubernetes@build.opensuse.org>",
           "download.docker.com": "Docker Release (CE deb) <docker@docker.com>",
           "download.opensuse.org": "isv:cri-o OBS Project <isv:cri-o@build.opensuse.org>",
           "debian": "Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>",
           "ubuntu": "Ubuntu Archive Automatic Signing Key (2018) <ftpmaster@ubuntu.com>",
           "rocky": "Rocky Enterprise Software Foundation - Release key 2022 <releng@rockylinux.org>"}
DISTRO_SUITES = {"debian": ["bookworm", "bookworm-updates", "bookworm-security", "trixie", "trixie-updates",
                            "trixie-security"],
                 "ubuntu": [c + s for c in ("focal", "jammy", "noble") for s in ("", "-updates", "-security")]}
ROCKY_REPOS = ["BaseOS", "AppStream", "extras", "CRB"]
CRI_DOCKERD = ["0.3.14", "0.3.15", "0.3.16", "0.3.17", "0.3.18", "0.3.20"]


def _run(*args, **kw):
    r = subprocess.run(list(args), capture_output=True, **kw)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (args[0], r.stderr.decode(errors="replace")))
    return r.stdout


class State:
    """Keys, certificates and signed indexes under one directory, made once."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        if not os.path.exists(self.file("ca.crt")):
            self.make_tls()
        for origin in ORIGINS:
            if not os.path.exists(self.file(origin + ".asc")):
                self.make_key(origin)
        for minor in catalog.K8S_PATCHES:
            for family in ("deb", "rpm"):
                self.sign("pkgs.k8s.io", "v%s/%s" % (minor, family))
        for distro, suites in DOCKER_SUITES.items():
            for suite in suites:
                self.sign("download.docker.com", distro + "/" + suite)
        for minor in catalog.CRIO_PATCHES:
            for family in ("deb", "rpm"):
                self.sign("download.opensuse.org", "v%s/%s" % (minor, family))
        for distro, suites in DISTRO_SUITES.items():
            for suite in suites:
                self.sign(distro, suite)
        for repo in ROCKY_REPOS:
            self.sign("rocky", "9/" + repo)
        self.stop_agents()

    def stop_agents(self):
        """Signing is done: leave no gpg-agent behind."""
        for origin in ORIGINS:
            subprocess.run(["gpgconf", "--homedir", self.file("gnupg-" + origin), "--kill", "all"],
                           capture_output=True)

    def file(self, name):
        return os.path.join(self.dir, name)

    def make_tls(self):
        _run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.file("ca.key"), "-out", self.file("ca.crt"), "-days", "3650",
             "-subj", "/CN=pharos testbed mirror CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        _run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.file("server.key"), "-out", self.file("server.csr"), "-subj", "/CN=pkgs.k8s.io")
        with open(self.file("server.ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join("DNS:" + h for h in HOSTS))
        _run("openssl", "x509", "-req", "-in", self.file("server.csr"), "-CA", self.file("ca.crt"),
             "-CAkey", self.file("ca.key"), "-set_serial", "1", "-days", "3650", "-extfile", self.file("server.ext"),
             "-out", self.file("server.crt"))

    def gpg(self, origin, *args, **kw):
        home = self.file("gnupg-" + origin)
        os.makedirs(home, mode=0o700, exist_ok=True)
        return _run("gpg", "--batch", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", "",
                    *args, **kw)

    def make_key(self, origin):
        self.gpg(origin, "--quick-gen-key", ORIGINS[origin], "ed25519", "sign", "never")
        with open(self.file(origin + ".asc"), "wb") as f:
            f.write(self.gpg(origin, "--armor", "--export"))

    def key(self, origin):
        with open(self.file(origin + ".asc"), "rb") as f:
            return f.read()

    def release_path(self, origin, label):
        return self.file("%s-%s.InRelease" % (origin, re.sub(r"[^A-Za-z0-9.]", "_", label)))

    def sign(self, origin, label):
        path = self.release_path(origin, label)
        if not os.path.exists(path):
            release = ("Origin: %s\nLabel: %s\nArchitectures: amd64 arm64\nDate: Thu, 01 Jan 2026 00:00:00 UTC\n"
                       % (origin, label))
            with open(path, "wb") as f:
                f.write(self.gpg(origin, "--clearsign", "--digest-algo", "SHA256", input=release.encode()))

    def signed_release(self, origin, label):
        """The signed index, or None for a suite this mirror does not carry."""
        try:
            with open(self.release_path(origin, label), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None


DOCKER_SUITES = {"ubuntu": ["focal", "jammy", "noble"], "debian": ["bullseye", "bookworm", "trixie"]}
PKGS_K8S = re.compile(r"^/core:/stable:/v(\d+\.\d+)/(deb|rpm)/(.*)$")
CRIO = re.compile(r"^(?:/repositories/isv:/cri-o:/stable:|/addons:/cri-o:/stable:)/v(\d+\.\d+)/(deb|rpm)/(.*)$")
NOT_FOUND = (404, "text/plain", b"Not Found\n")


def _crio(state, path):
    m = CRIO.match(path)
    if not m or m.group(1) not in catalog.CRIO_PATCHES:
        return NOT_FOUND
    rest = m.group(3)
    if rest in ("Release.key", "repodata/repomd.xml.key"):
        return 200, "application/pgp-keys", state.key("download.opensuse.org")
    if rest in ("InRelease", "repodata/repomd.xml"):
        body = state.signed_release("download.opensuse.org", "v%s/%s" % (m.group(1), m.group(2)))
        return (200, "text/plain", body) if body else NOT_FOUND
    return NOT_FOUND


def _distribution(state, hostname, path):
    if hostname in ("deb.debian.org", "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com"):
        m = re.match(r"^/(debian|debian-security|ubuntu)/dists/([a-z-]+)/InRelease$", path)
        if not m:
            return NOT_FOUND
        body = state.signed_release("ubuntu" if m.group(1) == "ubuntu" else "debian", m.group(2))
        return (200, "text/plain", body) if body else NOT_FOUND
    if hostname == "mirrors.rockylinux.org":
        # mirrorlist?arch=x86_64&repo=BaseOS-9 answers the one mirror the testbed has
        return 404, "text/plain", b"Not Found\n"
    if path == "/pub/rocky/RPM-GPG-KEY-Rocky-9":
        return 200, "application/pgp-keys", state.key("rocky")
    m = re.match(r"^/pub/rocky/9(?:\.\d+)?/([A-Za-z]+)/(x86_64|aarch64)/os/repodata/repomd\.xml$", path)
    if m:
        body = state.signed_release("rocky", "9/" + m.group(1))
        return (200, "text/xml", body) if body else NOT_FOUND
    return NOT_FOUND


def _rocky_mirrorlist(query):
    q = dict(kv.partition("=")[::2] for kv in query.split("&") if kv)
    m = re.match(r"^([A-Za-z]+)-9(?:\.\d+)?$", q.get("repo", ""))
    if not m or m.group(1) not in ROCKY_REPOS or q.get("arch") not in ("x86_64", "aarch64"):
        return 404, "text/plain", b"# repo = %s arch = %s error: invalid repo or arch\n" % (
            q.get("repo", "").encode(), q.get("arch", "").encode())
    return 200, "text/plain", ("https://dl.rockylinux.org/pub/rocky/9/%s/%s/os/\n"
                               % (m.group(1), q["arch"])).encode()


CRI_DOCKERD_PAYLOAD = """#!/usr/bin/python3
# cri-dockerd %s as the pharos testbed runs it: the emulator of the hosts' tools.
import os
import sys

sys.path.insert(0, os.environ.get("PHAROS_TESTBED_BIN", "/usr/local/lib/pharos-testbed/bin"))
from pharos_emu import host, runtimes  # noqa: E402

sys.exit(host.run_tool("cri-dockerd", lambda j, a: runtimes.cri_dockerd(j, a, "%s")))
"""


def cri_dockerd_tgz(version):
    """The release tarball's layout: cri-dockerd/cri-dockerd."""
    import io
    import tarfile
    data = (CRI_DOCKERD_PAYLOAD % (version, version)).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        d = tarfile.TarInfo("cri-dockerd")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(d)
        f = tarfile.TarInfo("cri-dockerd/cri-dockerd")
        f.size, f.mode, f.mtime = len(data), 0o755, 1735689600
        tar.addfile(f, io.BytesIO(data))
    return buf.getvalue()


def _github(hostname, path):
    m = re.match(r"^/Mirantis/cri-dockerd/releases/download/v([\d.]+)/cri-dockerd-([\d.]+)\.(amd64|arm64)\.tgz$",
                 path) if hostname == "github.com" else None
    if m and m.group(1) == m.group(2) and m.group(1) in CRI_DOCKERD:
        return 302, "text/html", b"", {"Location": "https://release-assets.githubusercontent.com/"
                                                   "github-production-release-asset/cri-dockerd/%s/%s.%s.tgz"
                                                   % (m.group(1), m.group(2), m.group(3))}
    m = re.match(r"^/github-production-release-asset/cri-dockerd/([\d.]+)/([\d.]+)\.(amd64|arm64)\.tgz$", path)
    if hostname != "github.com" and m and m.group(1) in CRI_DOCKERD:
        return 200, "application/octet-stream", cri_dockerd_tgz(m.group(1)), {}
    return 404, "text/plain", b"Not Found\n", {}


class Real:
    """What real mode serves: the artifacts' repositories and images."""

    def __init__(self, state, artifacts):
        self.repos = realrepo.Repos(state, artifacts)
        self.store = ocistore.Store(os.path.join(artifacts, "oci"))
        state.stop_agents()


# The repositories' keys (origin = host name), at the URLs the install docs fetch them from.
KEY_PATH = re.compile(r"^(/core:/stable:/v[\d.]+/(deb|rpm)/(Release\.key|repodata/repomd\.xml\.key)|"
                      r"/linux/[a-z]+/gpg)$")


def route_full(state, hostname, path, query="", headers=None, real=None):
    """(status, content type, body, extra headers) for any mirrored hostname."""
    if hostname in registry.REGISTRIES:
        return registry.route(hostname, path, headers or {}, real.store if real else None)
    if real is not None and real.repos.serves(hostname):
        answer = real.repos.route(hostname, path)
        if answer is not None:
            return answer
        if KEY_PATH.match(path):
            return 200, "application/pgp-keys", state.key(hostname), {}
        return NOT_FOUND + ({},)
    if hostname in GITHUB_HOSTS:
        return _github(hostname, path)
    if hostname == "mirrors.rockylinux.org" and path == "/mirrorlist":
        return _rocky_mirrorlist(query) + ({},)
    return route(state, hostname, path) + ({},)


def route(state, hostname, path):
    """(status, content type, body) for a request to a mirrored package repository."""
    if hostname in DISTRO_HOSTS:
        return _distribution(state, hostname, path)
    if hostname == "download.opensuse.org" or (hostname == "pkgs.k8s.io" and path.startswith("/addons:/cri-o:")):
        return _crio(state, path)
    if hostname in ("pkgs.k8s.io", "prod-cdn.packages.k8s.io"):
        m = PKGS_K8S.match(path)
        if not m or m.group(1) not in catalog.K8S_PATCHES:
            return 404, "text/plain", b"Not Found\n"
        rest = m.group(3)
        if rest in ("Release.key", "repodata/repomd.xml.key"):
            return 200, "application/pgp-keys", state.key("pkgs.k8s.io")
        if rest in ("InRelease", "repodata/repomd.xml"):
            body = state.signed_release("pkgs.k8s.io", "v" + m.group(1) + "/" + m.group(2))
            return (200, "text/plain", body) if body else (404, "text/plain", b"Not Found\n")
        return 404, "text/plain", b"Not Found\n"
    if hostname == "download.docker.com":
        m = re.match(r"^/linux/(ubuntu|debian|centos|rhel|fedora)/(gpg|dists/([a-z]+)/InRelease|docker-ce\.repo)$",
                     path)
        if not m:
            return 404, "text/plain", b"Not Found\n"
        if m.group(2) == "gpg":
            return 200, "application/pgp-keys", state.key("download.docker.com")
        if m.group(2) == "docker-ce.repo":
            distro = m.group(1)
            return 200, "text/plain", (
                "[docker-ce-stable]\nname=Docker CE Stable - $basearch\nbaseurl=https://download.docker.com/linux/"
                "%s/$releasever/$basearch/stable\nenabled=1\ngpgcheck=1\ngpgkey=https://download.docker.com/linux/"
                "%s/gpg\n" % (distro, distro)).encode()
        body = state.signed_release("download.docker.com", m.group(1) + "/" + m.group(3))
        return (200, "text/plain", body) if body else (404, "text/plain", b"Not Found\n")
    return 404, "text/plain", b"Not Found\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection ends, and its thread with it

    def setup(self):
        # the TLS handshake in the request's thread: a client that stalls in it holds up no other
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.headers.get("Host", "-"), fmt % args))

    def do_GET(self):
        hostname = (self.headers.get("Host") or "").split(":")[0]
        path, _, query = self.path.partition("?")
        real = self.server.real
        if real is not None and debproxy.proxies(hostname, path):
            debproxy.forward(self, hostname, self.path)
            return
        status, ctype, body, extra = route_full(self.server.state, hostname, path, query, self.headers, real)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "GET":
            if isinstance(body, FileBody):
                body.write_to(self.wfile)
            else:
                self.wfile.write(body)

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    real = None


def main(argv):
    import argparse
    p = argparse.ArgumentParser(prog="pharos-testbed-mirror")
    p.add_argument("--state", help="directory for the CA, server certificate and signing keys")
    p.add_argument("--listen", default="127.0.0.2:443", help="HTTPS address:port")
    p.add_argument("--listen-http", metavar="ADDR:PORT", help="also plain HTTP there (apt's http:// sources)")
    p.add_argument("--netns", metavar="PATH", help="listen inside this network namespace (e.g. /proc/PID/ns/net);"
                                                    " fetches from Debian's archive still leave from the machine's")
    p.add_argument("--real", metavar="ARTIFACTS_DIR", help="serve the real tier's packages and images "
                                                           "(tests/testbed/real/artifacts/build.sh --print-dir)")
    p.add_argument("--init-only", action="store_true", help="create the state and exit")
    p.add_argument("--names", action="store_true", help="print the host names the mirror answers for and exit")
    a = p.parse_args(argv)
    if a.names:
        print(" ".join(HOSTS))
        return 0
    if not a.state:
        p.error("--state is required")
    state = State(a.state)
    if a.init_only:
        return 0
    real = Real(state, a.real) if a.real else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(state.file("server.crt"), state.file("server.key"))
    with netns.Inside(a.netns) if a.netns else contextlib.nullcontext():
        srv = _server(a.listen)
        plain = _server(a.listen_http) if a.listen_http else None
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    for s in (srv, plain):
        if s is not None:
            s.state, s.real = state, real
    if plain is not None:
        threading.Thread(target=plain.serve_forever, daemon=True).start()
    ready = os.environ.get("PHAROS_TESTBED_READY_FILE")
    if ready:
        open(ready, "w").close()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _server(listen):
    addr, _, port = listen.rpartition(":")
    return Server((addr, int(port)), Handler)


def fetch(url, hosts_file, cafile, timeout=10):
    """GET url resolving its host through a host's /etc/hosts and trusting its CA bundle.

    Returns (status, body); raises OSError when the name does not resolve or the connection fails."""
    import http.client
    m = re.match(r"^https://([^/:]+)(?::(\d+))?(/.*)?$", url)
    if not m:
        raise OSError("unsupported URL %s" % url)
    name, port, path = m.group(1), int(m.group(2) or 443), m.group(3) or "/"
    addr = resolve(name, hosts_file)
    if addr is None:
        raise OSError("Could not resolve '%s'" % name)
    # only the host's own trust store counts
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.load_verify_locations(cafile)
    except (OSError, ssl.SSLError):
        pass

    class Conn(http.client.HTTPSConnection):
        def connect(self):
            import socket
            sock = socket.create_connection((addr, port), timeout)
            self.sock = ctx.wrap_socket(sock, server_hostname=name)

    conn = Conn(name, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except ssl.SSLError as e:
        raise OSError("Certificate verification failed: %s" % e)
    finally:
        conn.close()


def resolve(name, hosts_file):
    try:
        with open(hosts_file) as f:
            for line in f:
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 2 and name in parts[1:]:
                    return parts[0]
    except OSError:
        pass
    return None


def verify_clearsigned(data, keyring):
    """gpgv's verdict on a clearsigned file against a keyring file: (ok, message)."""
    with tempfile.NamedTemporaryFile(suffix=".InRelease") as f:
        f.write(data)
        f.flush()
        r = subprocess.run(["gpgv", "--keyring", keyring, f.name], capture_output=True, text=True)
    return r.returncode == 0, r.stderr
