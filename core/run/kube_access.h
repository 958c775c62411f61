/*
 * The run's way into the Kubernetes API: admin.conf read over SSH from the
 * first master that has one and answers, the TCP connection an SSH tunnel
 * (direct-tcpip) to that master's API port — through its bastion when it has
 * one — so nothing but SSH has to be reachable from where pharos runs.
 */
#ifndef PHAROS_CORE_KUBE_ACCESS_H
#define PHAROS_CORE_KUBE_ACCESS_H

#include "kube/client.h"
#include "run/run.h"

/* The API server's port on the masters (kubeadm's default). */
#define KUBE_API_PORT 6443
/* Where kubeadm leaves the admin kubeconfig on a master. */
#define KUBE_ADMIN_CONF "/etc/kubernetes/admin.conf"
/* The stacked etcd member's data: with admin.conf, what makes a master one that
 * runs a control plane (the kubeadm plugin's rule too): an init that failed
 * before etcd first ran leaves admin.conf only. */
#define KUBE_ETCD_MEMBER_DIR "/var/lib/etcd/member"
/* The core's own question to a master (run/state.c): has it a control plane? */
#define KUBE_CONTROL_PLANE_TEST "test -f " KUBE_ADMIN_CONF " && test -d " KUBE_ETCD_MEMBER_DIR

struct kubeconfig;

/* Reads and parses a master's admin.conf over its transport (the text, which
 * holds the admin key, is wiped). `address` names the host in errors. */
int kube_read_admin_conf(struct transport *tp, const char *address, struct kubeconfig *kc,
                         struct pharos_error *err);

/* The same for a host of a run: from its prefetched answers when they hold
 * admin.conf (run/prefetch.h), else over its transport. */
int run_admin_conf(struct run_host *h, struct kubeconfig *kc, struct pharos_error *err);

/*
 * Returns the run's client (created on first use; owned by the run, freed by
 * run_free), or PERR_FAIL with err saying why no master's API can be used.
 * Callers serialise their use with r->kube_mu.
 */
int run_kube(struct run *r, struct kube_client **out, struct pharos_error *err);

/* Closes the client (run_free calls it). */
void run_kube_close(struct run *r);

#endif
