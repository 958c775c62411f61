/*
 * A client for a master's stacked etcd member: the TLS material kubeadm
 * leaves on the master (the etcd CA and the API server's etcd client
 * certificate, read over SSH), the TCP connection an SSH tunnel to the
 * member's client port on the address it listens on (the master's
 * private_address, else its address), as the kubeadm plugin's etcd steps do.
 */
#ifndef PHAROS_CORE_RUN_ETCD_ACCESS_H
#define PHAROS_CORE_RUN_ETCD_ACCESS_H

#include "kube/client.h"
#include "run/run.h"
#include "run/tunnel.h"

/* etcd's client port on the masters. */
#define ETCD_CLIENT_PORT 2379
/* kubeadm's etcd CA, and the client certificate the API server uses for etcd. */
#define ETCD_CA_FILE   "/etc/kubernetes/pki/etcd/ca.crt"
#define ETCD_CERT_FILE "/etc/kubernetes/pki/apiserver-etcd-client.crt"
#define ETCD_KEY_FILE  "/etc/kubernetes/pki/apiserver-etcd-client.key"

/* Where master h's etcd member listens: its private_address, else its address. */
const char *etcd_member_address(const struct run_host *h);

/*
 * Opens a client to the etcd member of connected host `host` of r; each request
 * takes at most timeout_ms (0: 10 s). *tunnel is the caller's and must outlive
 * the client. The key is wiped from memory once the client holds it. Returns 0,
 * or PERR_FAIL naming the host and file when the TLS material can't be read.
 */
int etcd_client_open(struct run *r, size_t host, long timeout_ms, struct run_tunnel *tunnel,
                     struct kube_client **out, struct pharos_error *err);

/* 0 when the member answers GET /health with "health":"true"; PERR_FAIL saying
 * what it answered (or that it did not) otherwise. */
int etcd_health(struct kube_client *kc, const char *address, struct pharos_error *err);

#endif
