/* Labels and taints of cluster.yml on the Node objects, through the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The merge patch that brings the Node to cluster.yml (b stays empty when it already is). */
static int node_patch(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node_json,
                      struct kbuf *b)
{
        const struct pharos_host *h = st->host;
        char err[200];
        yajl_val node = yajl_tree_parse(node_json, err, sizeof(err));
        if (!node) {
                h->step_fail(ctx, "cannot parse the Node object: %s", err);
                return -1;
        }
        struct kadm_kvs want = {0};
        char role_label[128];
        if (wanted_labels(st, ctx, &want, role_label, sizeof(role_label)) < 0) {
                yajl_tree_free(node);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        const char *lpath[] = {"metadata", "labels", NULL};
        yajl_val have = yajl_tree_get(node, lpath, yajl_t_object);
        size_t changed = 0;
        for (size_t i = 0; i < want.n; i++) {
                const char *cur = have ? node_string(have, want.v[i].key) : NULL;
                if (!want.v[i].value || (cur && !strcmp(cur, want.v[i].value)))
                        continue;
                kb_printf(b, changed++ ? "," : "{\"metadata\":{\"labels\":{");
                json_string(b, want.v[i].key);
                kb_printf(b, ":");
                json_string(b, want.v[i].value);
        }
        if (changed)
                kb_printf(b, "}}");
        free(want.v);

        const struct pharos_config_node *taints = h->config_get(h->step_host(ctx), "taints");
        if (taints) {
                const char *tpath[] = {"spec", "taints", NULL};
                yajl_val list = yajl_tree_get(node, tpath, yajl_t_array);
                size_t n = h->config_len(taints), n_have = array_len(list);
                int differ = n != n_have;
                for (size_t i = 0; i < n && !differ; i++) {
                        const struct pharos_config_node *t = h->config_at(taints, i);
                        differ = !taint_listed(list, h->config_string(h->config_get(t, "key")),
                                               h->config_string(h->config_get(t, "value")),
                                               h->config_string(h->config_get(t, "effect")));
                }
                if (differ) {
                        kb_printf(b, "%s\"spec\":{\"taints\":[", changed ? "," : "{");
                        for (size_t i = 0; i < n; i++) {
                                const struct pharos_config_node *t = h->config_at(taints, i);
                                const char *v = h->config_string(h->config_get(t, "value"));
                                kb_printf(b, "%s{\"key\":", i ? "," : "");
                                json_string(b, h->config_string(h->config_get(t, "key")));
                                if (v) {
                                        kb_printf(b, ",\"value\":");
                                        json_string(b, v);
                                }
                                kb_printf(b, ",\"effect\":");
                                json_string(b, h->config_string(h->config_get(t, "effect")));
                                kb_printf(b, "}");
                        }
                        kb_printf(b, "]}");
                        changed++;
                }
        }
        if (changed)
                kb_printf(b, "}");
        yajl_tree_free(node);
        if (b->oom) {
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

static int node_path(struct kadm_state *st, struct pharos_step_ctx *ctx, char *path, size_t len)
{
        const char *name = st->host->step_fact(ctx, "hostname");
        if (!name || !*name || strpbrk(name, "/?#%")) {
                st->host->step_fail(ctx, "the host's name is unknown or not a Node name");
                return -1;
        }
        int n = snprintf(path, len, "/api/v1/nodes/%s", name);
        /* kubeadm names the Node after the hostname in lower case. */
        for (char *p = path + (n - (int)strlen(name)); *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        return 0;
}

static int labels_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char path[300];
        if (node_path(st, ctx, path, sizeof(path)) < 0)
                return -1;
        long status = 0;
        const char *resp = NULL;
        /* Before the cluster exists (as under --plan) there is no API to ask. */
        if (st->host->kube_request(ctx, "GET", path, NULL, &status, &resp) < 0 || status != 200) {
                st->host->step_reason(ctx, "Node %s is not registered yet", path + 14);
                return 1;
        }
        struct kbuf b = {0};
        int rc = node_patch(st, ctx, resp, &b);
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
        long status = 0;
        const char *resp = NULL;
        if (st->host->kube_request(ctx, "GET", path, NULL, &status, &resp) < 0)
                return -1;
        if (status != 200) {
                st->host->step_fail(ctx, "GET %s: HTTP %ld", path, status);
                return -1;
        }
        struct kbuf b = {0};
        int rc = node_patch(st, ctx, resp, &b);
        if (rc == 0 && b.len) {
                rc = st->host->kube_request(ctx, "PATCH", path, b.p, &status, &resp);
                if (rc == 0 && (status < 200 || status > 299)) {
                        st->host->step_fail(ctx, "PATCH %s: HTTP %ld: %.300s", path, status,
                                            resp ? resp : "");
                        rc = -1;
                }
                if (rc == 0)
                        st->host->step_changed(ctx, "labels and taints of Node %s", path + 14);
        }
        kb_free(&b);
        return rc;
}

const struct pharos_step kadm_step_labels = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.labels",
        .phase = "labels",
        .description = "put the host's labels and taints on its Node",
        .applies = labels_applies,
        .run = labels_run,
};
