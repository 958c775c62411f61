/*
 * etcd membership: masters dropped from cluster.yml (pharos up) or reset
 * (pharos reset -a/-r/-l) lose their etcd member, asked of the etcd of a
 * master that stays, through its client port and kubeadm's client
 * certificate. The validate phase probes every master and decides, so a
 * refusal (quorum rules, etcd_plan.h) comes before anything changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pharos/names.h>

#include "kadm.h"

#define KADM_PKI "/etc/kubernetes/pki"

/* How long a removal is retried: etcd refuses it as unhealthy while a member
 * that just joined is not yet active, as kubeadm's backoff allows for. */
#define REMOVE_RETRY_S 30
/* How long an etcd answering unhealthy is asked again before it counts as such. */
#define ELECTION_WAIT_S 15

void kadm_etcd_request(const char *via, const char *peer, const char *method, const char *path,
                       const char *body, uint32_t timeout_ms, struct pharos_https_request *q)
{
        *q = (struct pharos_https_request){
                .struct_size = sizeof(*q),
                .via = via,
                .address = peer,
                .port = KADM_ETCD_CLIENT_PORT,
                .ca_file = KADM_PKI "/etcd/ca.crt",
                .cert_file = KADM_PKI "/apiserver-etcd-client.crt",
                .key_file = KADM_PKI "/apiserver-etcd-client.key",
                .method = method,
                .path = path,
                .body = body,
                .timeout_ms = timeout_ms,
        };
}

static struct kadm_etcd_probe *probe_slot(struct kadm_state *st, long idx)
{
        size_t n = st->host->config_len(kadm_hosts(st));
        if (!st->etcd) {
                st->etcd = calloc(n ? n : 1, sizeof(*st->etcd));
                st->n_etcd = st->etcd ? n : 0;
        }
        return st->etcd && idx >= 0 && (size_t)idx < st->n_etcd ? &st->etcd[idx] : NULL;
}

static int probe_applies(struct pharos_step_ctx *ctx, void *state)
{
        return !kadm_etcd_external(state) && kadm_is_master(state, ctx);
}

/* Reads whether the master runs a control plane and how its etcd member is. */
static int probe_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const struct pharos_host *h = st->host;
        struct kadm_etcd_probe p = {.probed = 1};
        int in = kadm_control_plane_exists(st, ctx);
        if (in < 0)
                return -1;
        p.in_cluster = in;
        const char *peer = kadm_peer_address(h, h->step_host(ctx));
        if (in) {
                struct pharos_https_request q;
                long status = 0;
                const char *body = NULL;
                /* An etcd that answers unhealthy may be electing a leader (a stopped
                 * master was the leader): that takes about an election timeout. */
                time_t deadline = time(NULL) + ELECTION_WAIT_S;
                for (;;) {
                        kadm_etcd_request(NULL, peer, "GET", "/health", NULL, 5000, &q);
                        if (h->https_request(ctx, &q, &status, &body) < 0) {
                                snprintf(p.why, sizeof(p.why), "%s", "etcd does not answer");
                                break;
                        }
                        if (status == 200 && strstr(body, "\"health\":\"true\"")) {
                                p.healthy = 1;
                                break;
                        }
                        snprintf(p.why, sizeof(p.why), "etcd unhealthy (HTTP %ld)", status);
                        if (time(NULL) >= deadline)
                                break;
                        sleep(1);
                }
                if (p.healthy) {
                        kadm_etcd_request(NULL, peer, "POST", "/v3/cluster/member/list", "{}", 5000,
                                          &q);
                        if (h->https_request(ctx, &q, &status, &body) == 0 && status == 200)
                                p.members_json = strdup(body);
                        if (!p.members_json) {
                                p.healthy = 0;
                                snprintf(p.why, sizeof(p.why), "etcd lists no members");
                        }
                }
        }
        pthread_mutex_lock(&st->mu);
        struct kadm_etcd_probe *slot = probe_slot(st, kadm_host_index(st, ctx));
        if (slot) {
                free(slot->members_json);
                *slot = p;
        }
        pthread_mutex_unlock(&st->mu);
        if (!slot) {
                free(p.members_json);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

/* prefetch(): what probe_run() reads on the host, the TLS files of its
 * request to etcd included (the core reads them for https_request). */
static void probe_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!probe_applies(ctx, state))
                return;
        (void)kadm_control_plane_exists(st, ctx);
        struct pharos_https_request q;
        kadm_etcd_request(NULL, "", "GET", "/health", NULL, 0, &q);
        const char *const files[] = {q.ca_file, q.cert_file, q.key_file};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                const char *data;
                size_t len;
                (void)st->host->step_read_file(ctx, files[i], &data, &len);
        }
}

const struct pharos_step kadm_step_etcd_probe = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.etcd-probe",
        .phase = "validate",
        .description = "read whether the master's etcd member is healthy, and the member list",
        .applies = probe_applies,
        .prefetch = probe_prefetch,
        .run = probe_run,
};

/* Parses step_fact("selected") ("0,2") into flags by cluster.yml index. */
static int selected_flags(const char *sel, unsigned char *flags, size_t n)
{
        memset(flags, 0, n);
        for (const char *p = sel; p && *p;) {
                char *end;
                unsigned long i = strtoul(p, &end, 10);
                if (end == p)
                        return -1;
                if (i < n)
                        flags[i] = 1;
                p = *end == ',' ? end + 1 : end;
        }
        return 0;
}

struct check_input {
        char (*peers)[300];
        const char **keep;
        size_t *keep_at;        /* cluster.yml index of keep[k] */
        unsigned char *keep_cp; /* keep[k] runs a control plane */
        unsigned char *leaving;
        char unhealthy[900];
};

static void check_input_free(struct check_input *in)
{
        free(in->peers);
        free(in->keep);
        free(in->keep_at);
        free(in->keep_cp);
        free(in->leaving);
}

/*
 * A staying master that runs a control plane but has no etcd member (it was
 * dropped from cluster.yml while it ran, then added back): etcd refuses its old
 * data for good ("the member has been permanently removed from the cluster"),
 * so it is reset and joins again like a new master. The first master makes the
 * join data with its own control plane, so it cannot be the one.
 */
static int plan_rejoins(struct kadm_state *st, struct pharos_step_ctx *ctx,
                        const struct check_input *in, const struct kadm_etcd_view *v)
{
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *hosts = kadm_hosts(st);
        size_t n = h->config_len(hosts);
        unsigned char *missing = calloc(v->n_keep ? v->n_keep : 1, 1);
        unsigned char *rejoin = calloc(n ? n : 1, 1);
        if (!missing || !rejoin) {
                free(missing);
                free(rejoin);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        kadm_etcd_missing(v->members, v->keep_peers, v->n_keep, missing);
        long first = kadm_first_master(st);
        int rc = 0;
        for (size_t k = 0; k < v->n_keep && rc == 0; k++) {
                if (!missing[k] || !in->keep_cp[k])
                        continue;
                const char *addr = h->config_string(
                        h->config_get(h->config_at(hosts, in->keep_at[k]), "address"));
                if ((long)in->keep_at[k] == first) {
                        h->step_refuse(
                                ctx,
                                "%s runs a control plane but etcd has no member for it (%s): "
                                "it was removed, and etcd will not take its old data back. It "
                                "is the first master of cluster.yml, which makes the join data "
                                "with its own control plane: list a master that is an etcd "
                                "member first under hosts and re-run pharos up, which then "
                                "resets %s and joins it again. Nothing was changed.",
                                addr, v->keep_peers[k], addr);
                        rc = -1;
                        break;
                }
                rejoin[in->keep_at[k]] = 1;
                h->log(st->self, PHAROS_LOG_WARN,
                       "%s runs a control plane but etcd has no member for it (%s): its control "
                       "plane is reset and it joins again",
                       addr, v->keep_peers[k]);
        }
        free(missing);
        if (rc < 0) {
                free(rejoin);
                return -1;
        }
        pthread_mutex_lock(&st->mu);
        free(st->rejoin);
        st->rejoin = rejoin;
        st->n_rejoin = n;
        pthread_mutex_unlock(&st->mu);
        return 0;
}

static int keep_removal(struct kadm_state *st, const struct kadm_members *m, const size_t *idx,
                        size_t n, const char *via, const char *via_peer)
{
        struct kadm_etcd_removal *r = &st->removal;
        free(r->v);
        memset(r, 0, sizeof(*r));
        if (!n || !m->v)
                return 0;
        r->v = calloc(n, sizeof(*r->v));
        if (!r->v)
                return -1;
        for (size_t k = 0; k < n; k++)
                r->v[k] = m->v[idx[k]];
        r->n = n;
        snprintf(r->via, sizeof(r->via), "%s", via);
        snprintf(r->via_peer, sizeof(r->via_peer), "%s", via_peer);
        return 0;
}

/* An external etcd's members are not the masters' to manage. */
static int check_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)ctx;
        return !kadm_etcd_external(state);
}

/* Decides the removals from the probes; refuses what the quorum rules forbid. */
static int check_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const struct pharos_host *h = st->host;
        const char *seq = h->step_fact(ctx, "sequence");
        const char *sel = h->step_fact(ctx, "selected");
        int reset = seq && !strcmp(seq, "reset");
        if (reset && !sel)
                return 0; /* every host goes: no member has to be removed first */
        const struct pharos_config_node *hosts = kadm_hosts(st);
        size_t n = h->config_len(hosts);
        struct check_input in = {0};
        in.peers = calloc(n ? n : 1, sizeof(*in.peers));
        in.keep = calloc(n ? n : 1, sizeof(*in.keep));
        in.keep_at = calloc(n ? n : 1, sizeof(*in.keep_at));
        in.keep_cp = calloc(n ? n : 1, 1);
        in.leaving = calloc(n ? n : 1, 1);
        if (!in.peers || !in.keep || !in.keep_at || !in.keep_cp || !in.leaving ||
            selected_flags(reset ? sel : NULL, in.leaving, n) < 0) {
                check_input_free(&in);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        struct kadm_etcd_view v = {.keep_peers = in.keep,
                                   .what = reset ? "this reset" : "cluster.yml",
                                   .unhealthy = in.unhealthy};
        struct kadm_members members = {0};
        const char *via = NULL, *via_peer = NULL;
        int rc = 0;
        pthread_mutex_lock(&st->mu);
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct pharos_config_node *hn = h->config_at(hosts, i);
                const char *role = h->config_string(h->config_get(hn, "role"));
                if (!role || strcmp(role, "master") != 0 || in.leaving[i])
                        continue;
                const char *peer = kadm_peer_address(h, hn);
                kadm_peer_url(peer, in.peers[v.n_keep], sizeof(in.peers[0]));
                in.keep[v.n_keep] = in.peers[v.n_keep];
                in.keep_at[v.n_keep] = i;
                const struct kadm_etcd_probe *p = i < st->n_etcd ? &st->etcd[i] : NULL;
                in.keep_cp[v.n_keep++] = p && p->in_cluster;
                if (!p || !p->in_cluster)
                        continue;
                v.n_keep_in_cluster++;
                if (p->healthy && !via) {
                        if (kadm_members_parse(p->members_json, &members) == 0) {
                                via = h->config_string(h->config_get(hn, "address"));
                                via_peer = peer;
                                v.members = &members;
                        }
                } else if (!p->healthy) {
                        size_t used = strlen(in.unhealthy);
                        snprintf(in.unhealthy + used, sizeof(in.unhealthy) - used, "%s%s: %s",
                                 used ? "; " : "", h->config_string(h->config_get(hn, "address")),
                                 p->why);
                }
        }
        pthread_mutex_unlock(&st->mu);
        size_t *remove = calloc(members.n ? members.n : 1, sizeof(*remove));
        size_t n_remove = 0;
        char why[1400];
        int planned = remove ? kadm_etcd_plan(&v, remove, &n_remove, why, sizeof(why)) : 0;
        if (planned < 0) {
                h->step_refuse(ctx, "%s", why);
                rc = -1;
        } else if (!remove || keep_removal(st, &members, remove, n_remove, via ? via : "",
                                           via_peer ? via_peer : "") < 0) {
                h->step_fail(ctx, "out of memory");
                rc = -1;
        }
        if (rc == 0 && !reset && v.members && plan_rejoins(st, ctx, &in, &v) < 0)
                rc = -1;
        for (size_t k = 0; rc == 0 && k < n_remove; k++)
                h->log(st->self, PHAROS_LOG_INFO,
                       "etcd member %s (%s) belongs to no master %s keeps: it is to be removed",
                       members.v[remove[k]].name, members.v[remove[k]].peer, v.what);
        free(remove);
        kadm_members_free(&members);
        check_input_free(&in);
        return rc;
}

const struct pharos_step kadm_step_etcd_check = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.etcd-check",
        .phase = "validate",
        .after = (const char *const[]){"kubeadm.etcd-probe", NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "compare the etcd members with the masters; refuse what breaks quorum",
        .applies = check_applies,
        .run = check_run,
};

static int remove_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!st->removal.n)
                return 0;
        st->host->step_reason(ctx, "%zu etcd member%s to remove", st->removal.n,
                              st->removal.n == 1 ? "" : "s");
        return 1;
}

static int remove_member(struct kadm_state *st, struct pharos_step_ctx *ctx,
                         const struct kadm_member *m)
{
        const struct pharos_host *h = st->host;
        char body[96];
        snprintf(body, sizeof(body), "{\"ID\":\"%s\"}", m->id);
        struct pharos_https_request q;
        kadm_etcd_request(st->removal.via, st->removal.via_peer, "POST",
                          "/v3/cluster/member/remove", body, 10000, &q);
        time_t deadline = time(NULL) + REMOVE_RETRY_S;
        long delay_ms = 200;
        for (;;) {
                long status = 0;
                const char *resp = NULL;
                int rc = h->https_request(ctx, &q, &status, &resp);
                if (rc == 0 && status == 200)
                        return 0;
                /* Already gone (removed by hand or by an earlier, interrupted run). */
                if (rc == 0 && strstr(resp, "member not found"))
                        return 0;
                if (time(NULL) >= deadline) {
                        if (rc == 0)
                                h->step_fail(ctx, "removing etcd member %s: HTTP %ld: %.300s",
                                             m->name, status, resp);
                        return -1;
                }
                struct timespec pause = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
                nanosleep(&pause, NULL);
                if (delay_ms < 2000)
                        delay_ms *= 2;
        }
}

/* The Node of a removed master: deleted with --prune, else the command is printed. */
static int after_removal(struct kadm_state *st, struct pharos_step_ctx *ctx,
                         const struct kadm_member *m)
{
        const struct pharos_host *h = st->host;
        const char *seq = h->step_fact(ctx, "sequence");
        if (!m->name[0] || (seq && !strcmp(seq, "reset")))
                return 0; /* reset deletes the Node itself */
        if (!h->step_fact(ctx, "prune")) {
                h->log(st->self, PHAROS_LOG_WARN,
                       "etcd member %s removed; its Node stays in the API until you run: "
                       "kubectl delete node %s (or re-run with pharos up --prune). If the host "
                       "still runs, shut it down first: its kubelet would register the Node again",
                       m->name, m->name);
                return 0;
        }
        char path[300], why[160];
        /* etcd members are named by the hosts that joined: checked like any Node name. */
        if (pharos_dns1123_subdomain_check(m->name, why, sizeof(why)) < 0) {
                h->step_fail(ctx, "etcd member '%.64s' %s: its Node is left alone", m->name, why);
                return -1;
        }
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", m->name);
        long status = 0;
        const char *resp = NULL;
        if (h->kube_request(ctx, "DELETE", path, NULL, &status, &resp) < 0)
                return -1;
        if (status != 200 && status != 202 && status != 404) {
                h->step_fail(ctx, "deleting Node %s: HTTP %ld: %.300s", m->name, status, resp);
                return -1;
        }
        if (status != 404)
                h->step_changed(ctx,
                                "deleted Node %s (shut the host down if it still runs, or "
                                "its kubelet registers the Node again)",
                                m->name);
        return 0;
}

static int remove_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        for (size_t k = 0; k < st->removal.n; k++) {
                const struct kadm_member *m = &st->removal.v[k];
                if (remove_member(st, ctx, m) < 0)
                        return -1;
                st->host->step_changed(ctx, "removed etcd member %s (%s)", m->name, m->peer);
                if (after_removal(st, ctx, m) < 0)
                        return -1;
        }
        return 0;
}

/* Before masters join, as the original did: a replaced master's member goes first. */
const struct pharos_step kadm_step_etcd_remove = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.etcd-remove",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.init", NULL},
        .before = (const char *const[]){"kubeadm.join-token", NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "remove the etcd members of masters no longer in cluster.yml",
        .applies = remove_applies,
        .run = remove_run,
};

const struct pharos_step kadm_step_etcd_reset = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.etcd-leave",
        .phase = "reset-node",
        .flags = PHAROS_STEP_ONCE,
        .description = "remove the etcd members of the masters being reset",
        .applies = remove_applies,
        .run = remove_run,
};

void kadm_etcd_free(struct kadm_state *st)
{
        for (size_t i = 0; i < st->n_etcd; i++)
                free(st->etcd[i].members_json);
        free(st->etcd);
        free(st->removal.v);
        free(st->rejoin);
}

int kadm_rejoining(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        long idx = kadm_host_index(st, ctx);
        pthread_mutex_lock(&st->mu);
        int yes = st->rejoin && idx >= 0 && (size_t)idx < st->n_rejoin && st->rejoin[idx];
        pthread_mutex_unlock(&st->mu);
        return yes;
}
