/* Inside the cluster lock (run/lock.h): what lock.c and lock_lease.c share. */
#ifndef PHAROS_CORE_RUN_LOCK_IMPL_H
#define PHAROS_CORE_RUN_LOCK_IMPL_H

#include <pthread.h>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "run/run.h"
#include "run/tunnel.h"

struct run_lock {
        struct run *r;
        size_t master;                /* index of the first master in r->hosts */
        int api_hint;                 /* the acquire saw admin.conf (1) or not (0); -1: ask */
        unsigned long api_absent_gen; /* 1 + r->pf_gen when admin.conf was last seen absent */
        struct transport *tp;         /* a connection of the lock's own to it */
        char token[128];              /* this run's identity: host:pid:random */
        char holder[256];             /* "host H, pid P, user U, started T", one line */
        double timeout_s;             /* how long one wait for another run may last */
        pthread_mutex_t mu;           /* tp, kube and the Lease fields */
        pthread_cond_t wake;          /* ends the renewal thread's wait early */
        pthread_t renewer;
        int renewing;            /* the renewal thread runs */
        int stopping;            /* asks it to end */
        char lost[400];          /* why a renewal found another holder, "" while held */
        struct kubeconfig admin; /* admin credentials (a secret), read once */
        int have_admin;
        struct kube_client *kube; /* the lock's own API client, NULL before */
        size_t api_master;        /* the master it talks to */
        struct run_tunnel tunnel; /* its way to that master's API port */
        int lease_held;
        char lease_rv[64];    /* resourceVersion of the Lease as last written */
        long transitions;     /* spec.leaseTransitions */
        char acquired_at[40]; /* spec.acquireTime when taken */
};

/* "2026-12-03T22:50:00.000000Z": the MicroTime of a Lease. */
void lock_micro_time(char *buf, size_t size);

/* Takes the Lease, waiting (up to l->timeout_s) while another run holds it.
 * Called with l->mu held. Returns 0, PERR_FAIL naming the holder (or the
 * interrupt), or PERR_TRANSIENT when the API does not answer. */
int lease_take(struct run_lock *l, struct pharos_error *err);

/* Renews the Lease (with l->mu held). PERR_FAIL when another run took it. */
int lease_renew(struct run_lock *l, struct pharos_error *err);

/* Gives the Lease up (holderIdentity cleared), frees the client and wipes the
 * credentials. */
void lease_release(struct run_lock *l);

#endif
