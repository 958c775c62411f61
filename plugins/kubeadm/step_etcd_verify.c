/*
 * After the masters joined and the dropped ones' members went, etcd must have
 * one member per master of cluster.yml and no other: a run that leaves them
 * disagreeing fails, naming the hosts and what to run, rather than reporting
 * success over a control plane short of a member (or with a stranger in it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

struct masters {
        char (*peer)[300];      /* peer URL */
        const char **peers;     /* peer[k], as kadm_etcd_missing takes them */
        const char **address;   /* cluster.yml address */
        const char **peer_addr; /* where its etcd listens */
        size_t *idx;            /* cluster.yml index */
        size_t n;
};

static void masters_free(struct masters *ms)
{
        free(ms->peer);
        free(ms->peers);
        free(ms->address);
        free(ms->peer_addr);
        free(ms->idx);
}

static int masters_read(struct kadm_state *st, struct masters *ms)
{
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *hosts = kadm_hosts(st);
        size_t n = h->config_len(hosts), cap = n ? n : 1;
        *ms = (struct masters){0};
        ms->peer = calloc(cap, sizeof(*ms->peer));
        ms->peers = calloc(cap, sizeof(*ms->peers));
        ms->address = calloc(cap, sizeof(*ms->address));
        ms->peer_addr = calloc(cap, sizeof(*ms->peer_addr));
        ms->idx = calloc(cap, sizeof(*ms->idx));
        if (!ms->peer || !ms->peers || !ms->address || !ms->peer_addr || !ms->idx)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const struct pharos_config_node *hn = h->config_at(hosts, i);
                const char *role = h->config_string(h->config_get(hn, "role"));
                if (!role || strcmp(role, "master") != 0)
                        continue;
                ms->address[ms->n] = h->config_string(h->config_get(hn, "address"));
                ms->peer_addr[ms->n] = kadm_peer_address(h, hn);
                kadm_peer_url(ms->peer_addr[ms->n], ms->peer[ms->n], sizeof(ms->peer[0]));
                ms->peers[ms->n] = ms->peer[ms->n];
                ms->idx[ms->n++] = i;
        }
        return 0;
}

/* What this run still has to do: join the master (under --plan, or before its join
 * step ran). Not a disagreement yet. Called under st->mu. */
static int pending_join(struct kadm_state *st, size_t idx)
{
        return !st->status || idx >= st->n_status || st->status[idx] != KADM_JOINED;
}

/* The member list as the first master in the cluster whose etcd answers healthy has
 * it: a removed member's etcd may still answer for a moment, but never healthy.
 * Returns 0, 1 when no master is in the cluster yet (--plan before the first init:
 * nothing to compare), or -1 with the step failed. */
static int list_members(struct kadm_state *st, struct pharos_step_ctx *ctx,
                        const struct masters *ms, struct kadm_members *out)
{
        const struct pharos_host *h = st->host;
        size_t asked = 0;
        for (size_t k = 0; k < ms->n; k++) {
                pthread_mutex_lock(&st->mu);
                int pending = pending_join(st, ms->idx[k]);
                pthread_mutex_unlock(&st->mu);
                if (pending)
                        continue;
                asked++;
                struct pharos_https_request q;
                long status = 0;
                const char *body = NULL;
                kadm_etcd_request(ms->address[k], ms->peer_addr[k], "GET", "/health", NULL, 5000,
                                  &q);
                if (h->https_request(ctx, &q, &status, &body) < 0 || status != 200 ||
                    !strstr(body, "\"health\":\"true\""))
                        continue;
                kadm_etcd_request(ms->address[k], ms->peer_addr[k], "POST",
                                  "/v3/cluster/member/list", "{}", 5000, &q);
                if (h->https_request(ctx, &q, &status, &body) == 0 && status == 200 &&
                    kadm_members_parse(body, out) == 0)
                        return 0;
        }
        if (!asked)
                return 1;
        h->step_fail(ctx, "no master's etcd answered healthy with its member list, so the members "
                          "can't be compared with the masters of cluster.yml: etcd needs a "
                          "majority of its members up");
        return -1;
}

static void append(struct kbuf *b, const char *fmt, const char *a, const char *c, const char *d)
{
        kb_printf(b, "%s", b->len ? "; " : "");
        kb_printf(b, fmt, a, c, d);
}

/* A member etcd-remove takes out in this run (under --plan: would). */
static int pending_removal(const struct kadm_state *st, const struct kadm_member *x)
{
        for (size_t k = 0; k < st->removal.n; k++)
                if (!strcmp(st->removal.v[k].id, x->id))
                        return 1;
        return 0;
}

/* Appends to why how the members and the masters disagree, with what to run.
 * Returns 0, or -1 with the step failed. */
static int compare(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kbuf *why)
{
        struct masters ms;
        struct kadm_members m = {0};
        if (masters_read(st, &ms) < 0) {
                masters_free(&ms);
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        int listed = list_members(st, ctx, &ms, &m);
        if (listed != 0) {
                masters_free(&ms);
                return listed < 0 ? -1 : 0;
        }
        unsigned char *missing = calloc(ms.n ? ms.n : 1, 1);
        size_t *extra = calloc(m.n ? m.n : 1, sizeof(*extra));
        size_t n_extra = 0;
        if (missing && extra) {
                kadm_etcd_missing(&m, ms.peers, ms.n, missing);
                n_extra = kadm_etcd_extra(&m, ms.peers, ms.n, extra);
        }
        pthread_mutex_lock(&st->mu);
        for (size_t k = 0; missing && k < ms.n; k++)
                if (missing[k] && !pending_join(st, ms.idx[k]))
                        append(why,
                               "master %s has no etcd member (%s): take its control plane down "
                               "with `pharos reset -a %s -y` (same -c) and run pharos up again",
                               ms.address[k], ms.peer[k], ms.address[k]);
        for (size_t k = 0; k < n_extra; k++) {
                const struct kadm_member *x = &m.v[extra[k]];
                if (!pending_removal(st, x))
                        append(why,
                               "etcd member %s (%s) is no master of cluster.yml: add its host back "
                               "as a master, or remove it with `etcdctl member remove %s` on a "
                               "master",
                               x->name[0] ? x->name : x->id, x->peer, x->id);
        }
        pthread_mutex_unlock(&st->mu);
        int rc = 0;
        if (!missing || !extra || why->oom) {
                st->host->step_fail(ctx, "out of memory");
                rc = -1;
        }
        free(missing);
        free(extra);
        kadm_members_free(&m);
        masters_free(&ms);
        return rc;
}

static int verify_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (kadm_etcd_external(st))
                return 0;
        struct kbuf why = {0};
        int rc = compare(st, ctx, &why);
        int differ = rc == 0 && why.len > 0;
        if (differ)
                st->host->step_reason(ctx, "%s", why.p);
        kb_free(&why);
        return rc < 0 ? -1 : differ;
}

/* Fails the run when they still disagree: `up` never ends well with them apart. */
static int verify_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        struct kbuf why = {0};
        int rc = compare(st, ctx, &why);
        if (rc == 0 && why.len) {
                st->host->step_fail(
                        ctx, "etcd's members and the masters of cluster.yml disagree: %s", why.p);
                rc = -1;
        }
        kb_free(&why);
        return rc;
}

const struct pharos_step kadm_step_etcd_verify = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.etcd-verify",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.join-masters", "kubeadm.etcd-remove", NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "check that etcd has one member per master of cluster.yml, and no other",
        .applies = verify_applies,
        .run = verify_run,
};
