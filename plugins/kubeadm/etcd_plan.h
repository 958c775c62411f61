/*
 * Which etcd members a run removes, and the quorum rules that refuse it
 * (the original's configure_etcd_changes and the seed's "Notes on Master
 * Nodes and etcd"). Pure: no host, no core, unit-tested on its own.
 */
#ifndef PHAROS_PLUGIN_KADM_ETCD_PLAN_H
#define PHAROS_PLUGIN_KADM_ETCD_PLAN_H

#include <stddef.h>

#define KADM_ETCD_CLIENT_PORT 2379
#define KADM_ETCD_PEER_PORT   2380

struct kadm_member {
        char id[32];    /* uint64 in decimal, as the JSON gateway writes it */
        char name[128]; /* kubeadm names the member after its Node */
        char peer[300]; /* first peer URL */
};

struct kadm_members {
        struct kadm_member *v;
        size_t n;
};

/* Parses a /v3/cluster/member/list response. Returns 0, or -1 when it is not one. */
int kadm_members_parse(const char *json, struct kadm_members *out);
void kadm_members_free(struct kadm_members *m);

/* "https://ADDRESS:2380" (IPv6 bracketed): how kubeadm announces a member's peer URL. */
void kadm_peer_url(const char *address, char *buf, size_t size);

/*
 * Compares the members with the masters of cluster.yml by peer URL (how kubeadm
 * announces a member; a member added but not started has no name yet).
 * kadm_etcd_missing sets missing[i] for each peers[i] no member announces and
 * returns how many; kadm_etcd_extra puts the indexes of the members no peer
 * names in extra[] (room for m->n) and returns how many.
 */
size_t kadm_etcd_missing(const struct kadm_members *m, const char *const *peers, size_t n_peers,
                         unsigned char *missing);
size_t kadm_etcd_extra(const struct kadm_members *m, const char *const *peers, size_t n_peers,
                       size_t *extra);

/* What is known about the masters that stay in the cluster. */
struct kadm_etcd_view {
        const struct kadm_members *members; /* as a healthy staying master lists them; NULL: none */
        const char *const *keep_peers;      /* peer URLs of the masters that stay */
        size_t n_keep;                      /* masters that stay (in cluster.yml, not reset) */
        size_t n_keep_in_cluster;           /* of those, how many already run a control plane */
        const char *unhealthy;              /* "ADDR: why; ..." for the refusal message */
        const char *what;                   /* "cluster.yml" or "this reset" (for messages) */
};

/*
 * Decides. Returns 0 with remove[0..*n_remove) (indexes into members, room
 * for members->n) to remove, or -1 with `why` saying why it refuses and what
 * to do instead: no staying master with a healthy etcd while some already run
 * a control plane; going from more than one member to one master; removing
 * half or more of the members.
 */
int kadm_etcd_plan(const struct kadm_etcd_view *v, size_t *remove, size_t *n_remove, char *why,
                   size_t why_len);

#endif
