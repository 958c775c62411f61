#!/usr/bin/env python3
"""An HTTPS server that answers the two requests `pharos worker up` makes of a
master before it trusts it: the anonymous cluster-info ConfigMap (as kubeadm
init publishes it in kube-public, its kubeconfig holding the cluster CA) and
/version. Every path asked is appended to LOG, so a test can see what a
client asked before it gave up.

With FAIL_FIRST=N, the first N requests get 403 Forbidden, as a starting
kube-apiserver answers anonymous requests before its RBAC roles exist.

usage: fake_master.py CERT KEY CLUSTER_CA|- PORT_FILE LOG
"""
import base64
import http.server
import json
import os
import ssl
import sys

cert, key, cluster_ca, port_file, log = sys.argv[1:6]
failing = int(os.environ.get("FAIL_FIRST", "0"))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        global failing
        with open(log, "a") as f:
            f.write(self.path + "\n")
        if failing > 0:
            failing -= 1
            self.answer(403, {"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
                              "message": "forbidden: User \"system:anonymous\" cannot get path \"%s\""
                              % self.path})
        elif self.path == "/api/v1/namespaces/kube-public/configmaps/cluster-info" and cluster_ca != "-":
            with open(cluster_ca, "rb") as f:
                ca = base64.b64encode(f.read()).decode()
            kubeconfig = ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n"
                          "    server: https://127.0.0.1:6443\n  name: \"\"\ncontexts: null\n"
                          "current-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n" % ca)
            self.answer(200, {"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "cluster-info", "namespace": "kube-public"},
                              "data": {"kubeconfig": kubeconfig}})
        elif self.path == "/version":
            self.answer(200, {"major": "1", "minor": "37", "gitVersion": "v1.37.2"})
        else:
            self.answer(404, {"kind": "Status", "status": "Failure", "code": 404})


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file, "w") as f:
    f.write("%d\n" % server.server_address[1])
server.serve_forever()
