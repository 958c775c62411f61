"""Certificates the way kubeadm lays them out, made with the openssl CLI."""
import base64
import hashlib
import os
import subprocess
import tempfile

from . import host

PKI = "/etc/kubernetes/pki"


def _openssl(*args, stdin=None):
    r = subprocess.run(["openssl"] + list(args), input=stdin, capture_output=True)
    if r.returncode != 0:
        raise host.ToolError("openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace")))
    return r.stdout


def new_key(keypath, algorithm="RSA-2048"):
    _genkey(host.path(keypath), algorithm)


def _genkey(full, algorithm):
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if algorithm.startswith("ECDSA"):
        curve = "P-384" if algorithm == "ECDSA-P384" else "P-256"
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve, "-out", full)
    else:
        bits = algorithm.split("-")[1] if "-" in algorithm else "2048"
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + bits, "-out", full)
    os.chmod(full, 0o600)


def new_ca(base, cn, algorithm="RSA-2048", days=3650):
    """Writes base.key and base.crt (self-signed CA)."""
    new_key(base + ".key", algorithm)
    _openssl("req", "-x509", "-new", "-key", host.path(base + ".key"), "-subj", "/CN=" + cn,
             "-days", str(days), "-sha256", "-out", host.path(base + ".crt"),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign")


def _subject(cn, orgs):
    return "".join("/O=" + o for o in orgs) + "/CN=" + cn


def sign_csr(csr_pem, ca_base, usages, sans=(), days=365):
    """Signs a PEM CSR with the CA at ca_base; returns the PEM certificate."""
    with tempfile.TemporaryDirectory() as d:
        csr = os.path.join(d, "req.csr")
        ext = os.path.join(d, "ext.cnf")
        with open(csr, "w") as f:
            f.write(csr_pem)
        lines = ["basicConstraints=critical,CA:FALSE",
                 "keyUsage=critical,digitalSignature,keyEncipherment",
                 "extendedKeyUsage=" + ",".join(usages)]
        if sans:
            lines.append("subjectAltName=" + ",".join(sans))
        with open(ext, "w") as f:
            f.write("\n".join(lines) + "\n")
        return _openssl("x509", "-req", "-in", csr, "-CA", host.path(ca_base + ".crt"),
                        "-CAkey", host.path(ca_base + ".key"), "-set_serial",
                        str(int.from_bytes(os.urandom(8), "big")), "-days", str(days), "-sha256",
                        "-extfile", ext).decode()


def make_csr(keypath, cn, orgs=()):
    return _csr(host.path(keypath), cn, orgs)


def _csr(fullkey, cn, orgs):
    return _openssl("req", "-new", "-key", fullkey, "-subj", _subject(cn, orgs)).decode()


def new_cert(base, ca_base, cn, orgs=(), usages=("clientAuth",), sans=(), algorithm="RSA-2048"):
    """Writes base.key and base.crt signed by ca_base."""
    new_key(base + ".key", algorithm)
    pem = sign_csr(make_csr(base + ".key", cn, orgs), ca_base, usages, sans)
    host.write(base + ".crt", pem)


def ca_cert_hash(cert_pem):
    """kubeadm's discovery hash: sha256 of the CA's DER SubjectPublicKeyInfo."""
    pub = _openssl("x509", "-noout", "-pubkey", stdin=cert_pem.encode())
    der = _openssl("pkey", "-pubin", "-outform", "DER", stdin=pub)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def subject_of(cert_pem):
    out = _openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", stdin=cert_pem.encode()).decode()
    return out.strip().split("=", 1)[1] if out.startswith("subject=") else out.strip()


def new_sa_keypair():
    new_key(PKI + "/sa.key", "RSA-2048")
    pub = _openssl("pkey", "-in", host.path(PKI + "/sa.key"), "-pubout")
    host.write(PKI + "/sa.pub", pub.decode())


def write_kubeconfig(dest, server, cn, orgs, algorithm="RSA-2048"):
    """Kubeconfig with an embedded client cert signed by the cluster CA (like kubeadm)."""
    with tempfile.TemporaryDirectory() as d:
        key = d + "/client.key"
        _genkey(key, algorithm)
        csr = _csr(key, cn, orgs)
        pem = sign_csr(csr, PKI + "/ca", ("clientAuth",))
        with open(key) as f:
            key_pem = f.read()
    host.write(dest, kubeconfig_text(server, cn, pem, key_pem), 0o600)


def kubeconfig_text(server, user, cert_pem, key_pem):
    ca = host.read(PKI + "/ca.crt")
    ctx = "%s@kubernetes" % user
    enc = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    return (
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n"
        "    server: %s\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n"
        "    user: %s\n  name: %s\ncurrent-context: %s\nkind: Config\npreferences: {}\n"
        "users:\n- name: %s\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n"
    ) % (enc(ca), server, user, ctx, ctx, user, enc(cert_pem), enc(key_pem))
