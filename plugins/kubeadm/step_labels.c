/* Labels and taints of cluster.yml on the Node objects, through the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/names.h>
#include <yajl/yajl_tree.h>

#include "kadm.h"

static void json_string(struct kbuf *b, const char *s)
{
        kb_printf(b, "\"");
        for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
                if (*c == '"' || *c == '\\')
                        kb_printf(b, "\\%c", *c);
                else if (*c < 0x20)
                        kb_printf(b, "\\u%04x", *c);
                else
                        kb_printf(b, "%c", *c);
        }
        kb_printf(b, "\"");
}

static const char *node_string(yajl_val obj, const char *key)
{
        const char *path[] = {key, NULL};
        yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
        return v ? YAJL_GET_STRING(v) : NULL;
}

static int same(const char *a, const char *b)
{
        return !strcmp(a ? a : "", b ? b : "");
}

/* The wanted labels: the host's own, its role and the original's address labels. */
static int wanted_labels(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kadm_kvs *out,
                         char *role_label, size_t role_len)
{
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *hn = h->step_host(ctx);
        const struct pharos_config_node *labels = h->config_get(hn, "labels");
        size_t n = h->config_len(labels);
        out->v = calloc(n + 3, sizeof(*out->v));
        if (!out->v)
                return -1;
        snprintf(role_label, role_len, "node-role.kubernetes.io/%s", h->step_fact(ctx, "role"));
        out->v[out->n++] = (struct kadm_kv){role_label, ""};
        out->v[out->n++] = (struct kadm_kv){"node-address.kontena.io/external-ip",
                                            h->config_string(h->config_get(hn, "address"))};
        out->v[out->n++] =
                (struct kadm_kv){"node-address.kontena.io/internal-ip", kadm_peer_address(h, hn)};
        for (size_t i = 0; i < n; i++)
                out->v[out->n++] = (struct kadm_kv){h->config_key_at(labels, i),
                                                    h->config_string(h->config_at(labels, i))};
        return 0;
}

static size_t array_len(yajl_val v)
{
        return v && YAJL_IS_ARRAY(v) ? v->u.array.len : 0;
}

static int taint_listed(yajl_val list, const char *key, const char *value, const char *effect)
{
        for (size_t i = 0; i < array_len(list); i++) {
                yajl_val t = list->u.array.values[i];
                if (same(node_string(t, "key"), key) && same(node_string(t, "value"), value) &&
                    same(node_string(t, "effect"), effect))
                        return 1;
        }
        return 0;
}

/* Whether `item` is one of the comma-separated words of list (NULL: none). */
static int in_list(const char *list, const char *item, size_t item_len)
{
        for (const char *p = list; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                if (n == item_len && !memcmp(p, item, n))
                        return 1;
                p = comma ? comma + 1 : NULL;
        }
        return 0;
}

/* "key:effect", how the taint annotation names a taint. */
static size_t taint_id(char *buf, size_t len, const char *key, const char *effect)
{
        int n = snprintf(buf, len, "%s:%s", key ? key : "", effect ? effect : "");
        return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

struct want_taint {
        const char *key, *value, *effect;
};

static void taint_json(struct kbuf *b, const char *key, const char *value, const char *effect,
                       const char *added)
{
        kb_printf(b, "{\"key\":");
        json_string(b, key ? key : "");
        if (value) {
                kb_printf(b, ",\"value\":");
                json_string(b, value);
        }
        kb_printf(b, ",\"effect\":");
        json_string(b, effect ? effect : "");
        if (added) {
                kb_printf(b, ",\"timeAdded\":");
                json_string(b, added);
        }
        kb_printf(b, "}");
}

/*
 * The Node's taints with cluster.yml's applied: the ones pharos put there
 * before (annotation `managed`) and no longer wanted are dropped, a wanted
 * one replaces a taint of the same key and effect, every other taint stays.
 * Returns whether the list differs from the Node's.
 */
static int merge_taints(yajl_val have, const char *managed, const struct want_taint *want,
                        size_t n_want, struct kbuf *out)
{
        char id[600];
        size_t kept = 0, n_have = array_len(have);
        int differ = 0;
        kb_printf(out, "[");
        for (size_t i = 0; i < n_have; i++) {
                yajl_val t = have->u.array.values[i];
                const char *key = node_string(t, "key"), *effect = node_string(t, "effect");
                size_t idn = taint_id(id, sizeof(id), key, effect);
                int wanted = 0, exact = 0;
                for (size_t w = 0; w < n_want; w++) {
                        if (same(want[w].key, key) && same(want[w].effect, effect)) {
                                wanted = 1;
                                exact = same(want[w].value, node_string(t, "value"));
                        }
                }
                if ((wanted && !exact) || (!wanted && in_list(managed, id, idn))) {
                        differ = 1;
                        continue;
                }
                kb_printf(out, "%s", kept++ ? "," : "");
                taint_json(out, key, node_string(t, "value"), effect, node_string(t, "timeAdded"));
        }
        for (size_t w = 0; w < n_want; w++) {
                if (taint_listed(have, want[w].key, want[w].value, want[w].effect))
                        continue;
                differ = 1;
                kb_printf(out, "%s", kept++ ? "," : "");
                taint_json(out, want[w].key, want[w].value, want[w].effect, NULL);
        }
        kb_printf(out, "]");
        return differ;
}

/* Adds `"key":value` (value JSON text, or a string when quoted) to an object being built. */
static void member(struct kbuf *b, size_t *n, const char *key, const char *value, int quoted)
{
        kb_printf(b, "%s", (*n)++ ? "," : "");
        json_string(b, key);
        kb_printf(b, ":");
        if (quoted)
                json_string(b, value);
        else
                kb_printf(b, "%s", value);
}

/*
 * The merge patch that brings the Node to cluster.yml (b stays empty when it
 * already is). Which labels and taints pharos manages is kept on the Node in
 * two annotations, so that those dropped from cluster.yml are removed while
 * the ones others set are never touched.
 */
static int node_patch(struct kadm_state *st, struct pharos_step_ctx *ctx, yajl_val node,
                      struct kbuf *b, int with_version)
{
        const struct pharos_host *h = st->host;
        struct kadm_kvs want = {0};
        char role_label[128];
        const struct pharos_config_node *taints = h->config_get(h->step_host(ctx), "taints");
        size_t n_want_t = h->config_len(taints);
        struct want_taint *want_t = calloc(n_want_t ? n_want_t : 1, sizeof(*want_t));
        if (!want_t || wanted_labels(st, ctx, &want, role_label, sizeof(role_label)) < 0) {
                free(want_t);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        for (size_t i = 0; i < n_want_t; i++) {
                const struct pharos_config_node *t = h->config_at(taints, i);
                want_t[i] = (struct want_taint){h->config_string(h->config_get(t, "key")),
                                                h->config_string(h->config_get(t, "value")),
                                                h->config_string(h->config_get(t, "effect"))};
        }
        const char *lpath[] = {"metadata", "labels", NULL};
        const char *apath[] = {"metadata", "annotations", NULL};
        const char *tpath[] = {"spec", "taints", NULL};
        yajl_val have = yajl_tree_get(node, lpath, yajl_t_object);
        yajl_val notes = yajl_tree_get(node, apath, yajl_t_object);
        const char *had_labels = notes ? node_string(notes, KADM_MANAGED_LABELS) : NULL;
        const char *had_taints = notes ? node_string(notes, KADM_MANAGED_TAINTS) : NULL;

        struct kbuf labels = {0}, managed = {0}, managed_t = {0}, annotations = {0}, list = {0};
        size_t n_labels = 0, n_notes = 0;
        for (size_t i = 0; i < want.n; i++) {
                if (!want.v[i].value)
                        continue;
                kb_printf(&managed, "%s%s", managed.len ? "," : "", want.v[i].key);
                const char *cur = have ? node_string(have, want.v[i].key) : NULL;
                if (!cur || strcmp(cur, want.v[i].value) != 0)
                        member(&labels, &n_labels, want.v[i].key, want.v[i].value, 1);
        }
        /* Labels pharos put there before and cluster.yml no longer names. */
        for (size_t i = 0; have && i < have->u.object.len; i++) {
                const char *k = have->u.object.keys[i];
                if (in_list(had_labels, k, strlen(k)) && !in_list(managed.p, k, strlen(k)))
                        member(&labels, &n_labels, k, "null", 0);
        }
        for (size_t i = 0; i < n_want_t; i++) {
                char id[600];
                taint_id(id, sizeof(id), want_t[i].key, want_t[i].effect);
                kb_printf(&managed_t, "%s%s", managed_t.len ? "," : "", id);
        }
        if (!same(had_labels, managed.p))
                member(&annotations, &n_notes, KADM_MANAGED_LABELS, managed.p ? managed.p : "", 1);
        if (!same(had_taints, managed_t.p))
                member(&annotations, &n_notes, KADM_MANAGED_TAINTS,
                       managed_t.len ? managed_t.p : "null", managed_t.len > 0);
        int taints_differ = merge_taints(yajl_tree_get(node, tpath, yajl_t_array), had_taints,
                                         want_t, n_want_t, &list);
        if (n_labels || n_notes || taints_differ) {
                kb_printf(b, "{");
                const char *vpath[] = {"metadata", "resourceVersion", NULL};
                yajl_val version = yajl_tree_get(node, vpath, yajl_t_string);
                int versioned = with_version && taints_differ && version;
                if (n_labels || n_notes || versioned) {
                        kb_printf(b, "\"metadata\":{");
                        if (versioned) {
                                kb_printf(b, "\"resourceVersion\":");
                                json_string(b, YAJL_GET_STRING(version));
                                kb_printf(b, "%s", n_labels || n_notes ? "," : "");
                        }
                        if (n_labels)
                                kb_printf(b, "\"labels\":{%s}%s", labels.p, n_notes ? "," : "");
                        if (n_notes)
                                kb_printf(b, "\"annotations\":{%s}", annotations.p);
                        kb_printf(b, "}");
                }
                if (taints_differ)
                        kb_printf(b, "%s\"spec\":{\"taints\":%s}",
                                  n_labels || n_notes || versioned ? "," : "", list.p);
                kb_printf(b, "}");
        }
        int oom = labels.oom || managed.oom || managed_t.oom || annotations.oom || list.oom;
        kb_free(&labels);
        kb_free(&managed);
        kb_free(&managed_t);
        kb_free(&annotations);
        kb_free(&list);
        free(want.v);
        free(want_t);
        if (b->oom || oom) {
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

static int node_path(struct kadm_state *st, struct pharos_step_ctx *ctx, char *path, size_t len)
{
        const char *name = st->host->step_fact(ctx, "hostname");
        char node[PHAROS_DNS1123_SUBDOMAIN_MAX + 1], why[160];
        if (pharos_node_name_of_host(name, node, sizeof(node), why, sizeof(why)) < 0) {
                st->host->step_fail(ctx, "the host's name '%.64s' %s", name ? name : "", why);
                return -1;
        }
        snprintf(path, len, "/api/v1/nodes/%s", node);
        return 0;
}

/* Parses an API answer, failing the step when it is not JSON. */
static yajl_val parse(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *json)
{
        char err[200];
        yajl_val v = yajl_tree_parse(json, err, sizeof(err));
        if (!v)
                st->host->step_fail(ctx, "cannot parse the API's answer: %s", err);
        return v;
}

/*
 * The Node named `name` from one list of all Nodes read for the whole run:
 * one API round trip instead of one per host (the API client is shared, so
 * per-host reads queue one behind the other). NULL when it is not listed.
 */
static yajl_val listed_node(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *name)
{
        pthread_mutex_lock(&st->mu);
        if (!st->nodes_read) {
                long status = 0;
                const char *resp = NULL;
                st->nodes_read = 1;
                if (st->host->kube_request(ctx, "GET", "/api/v1/nodes", NULL, &status, &resp) ==
                            0 &&
                    status == 200)
                        st->nodes = yajl_tree_parse(resp, NULL, 0);
        }
        const char *ipath[] = {"items", NULL};
        yajl_val items = st->nodes ? yajl_tree_get(st->nodes, ipath, yajl_t_array) : NULL;
        yajl_val found = NULL;
        const char *npath[] = {"metadata", "name", NULL};
        for (size_t i = 0; !found && i < array_len(items); i++) {
                yajl_val n = yajl_tree_get(items->u.array.values[i], npath, yajl_t_string);
                const char *text = n ? YAJL_GET_STRING(n) : NULL;
                if (text && !strcmp(text, name))
                        found = items->u.array.values[i];
        }
        pthread_mutex_unlock(&st->mu);
        return found;
}

static int labels_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char path[300];
        if (node_path(st, ctx, path, sizeof(path)) < 0)
                return -1;
        /* Before the cluster exists (as under --plan) there is no API to ask. */
        yajl_val node = listed_node(st, ctx, path + 14);
        if (!node) {
                st->host->step_reason(ctx, "Node %s is not registered yet", path + 14);
                return 1;
        }
        struct kbuf b = {0};
        int rc = node_patch(st, ctx, node, &b, 0);
        if (rc == 0 && b.len)
                st->host->step_reason(ctx, "labels or taints of Node %s differ from cluster.yml",
                                      path + 14);
        rc = rc < 0 ? -1 : b.len > 0;
        kb_free(&b);
        return rc;
}

static int labels_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char path[300];
        if (node_path(st, ctx, path, sizeof(path)) < 0)
                return -1;
        /* A taint list patch carries the resourceVersion it was computed from:
         * when the Node changed meanwhile (409) it is read and computed again. */
        for (int attempt = 0;; attempt++) {
                long status = 0;
                const char *resp = NULL;
                if (st->host->kube_request(ctx, "GET", path, NULL, &status, &resp) < 0)
                        return -1;
                if (status != 200) {
                        st->host->step_fail(ctx, "GET %s: HTTP %ld", path, status);
                        return -1;
                }
                yajl_val node = parse(st, ctx, resp);
                if (!node)
                        return -1;
                struct kbuf b = {0};
                int rc = node_patch(st, ctx, node, &b, 1);
                yajl_tree_free(node);
                if (rc == 0 && b.len)
                        rc = st->host->kube_request(ctx, "PATCH", path, b.p, &status, &resp);
                int patched = rc == 0 && b.len > 0;
                kb_free(&b);
                if (rc < 0 || !patched)
                        return rc;
                if (status == 409 && attempt < 5)
                        continue;
                if (status < 200 || status > 299) {
                        st->host->step_fail(ctx, "PATCH %s: HTTP %ld: %.300s", path, status,
                                            resp ? resp : "");
                        return -1;
                }
                st->host->step_changed(ctx, "labels and taints of Node %s", path + 14);
                return 0;
        }
}

const struct pharos_step kadm_step_labels = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.labels",
        .phase = "labels",
        .description = "put the host's labels and taints on its Node",
        .applies = labels_applies,
        .run = labels_run,
};
