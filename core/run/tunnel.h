/*
 * TCP connections that leave from a host of the run: an SSH direct-tcpip
 * channel to ADDRESS:PORT opened on that host (or on its bastion, when it
 * sits behind one), so a service that listens only inside the cluster (the
 * API on :6443, etcd on :2379) is reachable from wherever pharos runs.
 */
#ifndef PHAROS_CORE_RUN_TUNNEL_H
#define PHAROS_CORE_RUN_TUNNEL_H

#include <stddef.h>

#include "ssh/transport.h"

struct run;

struct run_tunnel {
        struct run *run;
        struct tp_target jump; /* the SSH server the channels are opened on */
        char address[256];     /* where they lead, as seen from there */
        int port;
};

/* Prepares channels from host `host` of r to address:port. */
void run_tunnel_init(struct run *r, size_t host, const char *address, int port,
                     struct run_tunnel *t);

/* A new connected socket (the caller closes it), or -1: kube_conn.open_socket. */
int run_tunnel_open(void *tunnel);

/* "https://ADDRESS:PORT", bracketing an IPv6 address. */
void run_https_url(const char *address, int port, char *buf, size_t size);

#endif
