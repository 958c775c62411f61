#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "etcd_plan.h"

static const char *str_at(yajl_val obj, const char *key)
{
        const char *path[] = {key, NULL};
        yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
        if (YAJL_IS_STRING(v))
                return YAJL_GET_STRING(v);
        /* A gateway may write the uint64 ID as a number: keep its text. */
        if (YAJL_IS_NUMBER(v))
                return YAJL_GET_NUMBER(v);
        return NULL;
}

int kadm_members_parse(const char *json, struct kadm_members *out)
{
        memset(out, 0, sizeof(*out));
        char msg[128];
        yajl_val root = yajl_tree_parse(json, msg, sizeof(msg));
        if (!YAJL_IS_OBJECT(root)) {
                yajl_tree_free(root);
                return -1;
        }
        const char *path[] = {"members", NULL};
        yajl_val list = yajl_tree_get(root, path, yajl_t_any);
        if (list && !YAJL_IS_ARRAY(list)) {
                yajl_tree_free(root);
                return -1;
        }
        size_t n = list ? list->u.array.len : 0;
        out->v = calloc(n ? n : 1, sizeof(*out->v));
        if (!out->v) {
                yajl_tree_free(root);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                yajl_val m = list->u.array.values[i];
                const char *id = str_at(m, "ID"), *name = str_at(m, "name");
                const char *ppath[] = {"peerURLs", NULL};
                yajl_val peers = yajl_tree_get(m, ppath, yajl_t_array);
                if (!id)
                        continue;
                struct kadm_member *dst = &out->v[out->n++];
                snprintf(dst->id, sizeof(dst->id), "%s", id);
                /* A member added but not started yet has no name. */
                snprintf(dst->name, sizeof(dst->name), "%s", name ? name : "");
                if (peers && peers->u.array.len && YAJL_IS_STRING(peers->u.array.values[0]))
                        snprintf(dst->peer, sizeof(dst->peer), "%s",
                                 YAJL_GET_STRING(peers->u.array.values[0]));
        }
        yajl_tree_free(root);
        return 0;
}

void kadm_members_free(struct kadm_members *m)
{
        free(m->v);
        memset(m, 0, sizeof(*m));
}

void kadm_peer_url(const char *address, char *buf, size_t size)
{
        snprintf(buf, size, strchr(address, ':') ? "https://[%s]:%d" : "https://%s:%d", address,
                 KADM_ETCD_PEER_PORT);
}

static int named(const char *const *peers, size_t n, const char *peer)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(peers[i], peer))
                        return 1;
        return 0;
}

static int announced(const struct kadm_members *m, const char *peer)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->v[i].peer, peer))
                        return 1;
        return 0;
}

size_t kadm_etcd_missing(const struct kadm_members *m, const char *const *peers, size_t n_peers,
                         unsigned char *missing)
{
        size_t n = 0;
        for (size_t i = 0; i < n_peers; i++) {
                missing[i] = !announced(m, peers[i]);
                n += missing[i];
        }
        return n;
}

size_t kadm_etcd_extra(const struct kadm_members *m, const char *const *peers, size_t n_peers,
                       size_t *extra)
{
        size_t n = 0;
        for (size_t i = 0; i < m->n; i++)
                if (!named(peers, n_peers, m->v[i].peer))
                        extra[n++] = i;
        return n;
}

/* "host-3 (https://...:2380), host-4 (...)" */
static void describe(const struct kadm_members *m, const size_t *idx, size_t n, char *buf,
                     size_t size)
{
        size_t off = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < n && off < size; k++) {
                const struct kadm_member *x = &m->v[idx[k]];
                off += (size_t)snprintf(buf + off, size - off, "%s%s (%s)", k ? ", " : "",
                                        x->name[0] ? x->name : x->id, x->peer);
        }
}

int kadm_etcd_plan(const struct kadm_etcd_view *v, size_t *remove, size_t *n_remove, char *why,
                   size_t why_len)
{
        *n_remove = 0;
        if (!v->members) {
                if (v->n_keep_in_cluster == 0)
                        return 0; /* no control plane yet: nothing to compare */
                snprintf(why, why_len,
                         "no master that stays in the cluster has a healthy etcd member (%s), so "
                         "the etcd member list can't be checked or changed: etcd needs a majority "
                         "of its members up. Start the stopped masters or their etcd again and "
                         "re-run. Nothing was changed.",
                         v->unhealthy && v->unhealthy[0] ? v->unhealthy : "none answered");
                return -1;
        }
        const struct kadm_members *m = v->members;
        *n_remove = kadm_etcd_extra(m, v->keep_peers, v->n_keep, remove);
        if (*n_remove == 0)
                return 0;
        char names[700];
        describe(m, remove, *n_remove, names, sizeof(names));
        if (m->n > 1 && v->n_keep == 1) {
                snprintf(why, why_len,
                         "%s leaves one master, but etcd has %zu members; removing %s would take "
                         "the control plane from %zu members back to one, which pharos does not do "
                         "automatically (quorum). Keep at least two masters, removing one per run, "
                         "or remove the members by hand with etcdctl if you are sure. Nothing was "
                         "changed.",
                         v->what, m->n, names, m->n);
                *n_remove = 0;
                return -1;
        }
        if (2 * *n_remove >= m->n) {
                snprintf(why, why_len,
                         "%s would remove %zu of the %zu etcd members (%s): that is half or more, "
                         "and etcd loses its majority. Remove fewer masters per run (less than "
                         "half of the members each time, waiting for each run to finish). Nothing "
                         "was changed.",
                         v->what, *n_remove, m->n, names);
                *n_remove = 0;
                return -1;
        }
        return 0;
}
