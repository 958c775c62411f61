#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "kube/json.h"
#include "kube/stack.h"

#define INVENTORY_NS "kube-system"

static void gen_str(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static char *gen_take(yajl_gen g)
{
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        char *out = malloc(len + 1);
        if (out) {
                memcpy(out, buf, len);
                out[len] = '\0';
        }
        yajl_gen_free(g);
        return out;
}

/* Emits map `m` (may be NULL) with extra key/value pairs replacing same-named keys. */
static void emit_map_with(yajl_gen g, yajl_val m, const char *const *extra, size_t n_extra)
{
        yajl_gen_map_open(g);
        for (size_t i = 0; YAJL_IS_OBJECT(m) && i < m->u.object.len; i++) {
                int replaced = 0;
                for (size_t k = 0; k < n_extra; k++)
                        replaced |= strcmp(m->u.object.keys[i], extra[2 * k]) == 0;
                if (replaced)
                        continue;
                gen_str(g, m->u.object.keys[i]);
                json_emit(g, m->u.object.values[i], 0);
        }
        for (size_t k = 0; k < n_extra; k++) {
                gen_str(g, extra[2 * k]);
                gen_str(g, extra[2 * k + 1]);
        }
        yajl_gen_map_close(g);
}

char *stack_object_body(yajl_val obj, const char *stack, const char *checksum,
                        const char *canonical)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        const char *labels[] = {STACK_LABEL, stack};
        const char *annotations[] = {STACK_CHECKSUM, checksum, STACK_LAST_APPLIED, canonical};
        yajl_gen_map_open(g);
        for (size_t i = 0; i < obj->u.object.len; i++) {
                const char *key = obj->u.object.keys[i];
                yajl_val v = obj->u.object.values[i];
                gen_str(g, key);
                if (strcmp(key, "metadata") != 0 || !YAJL_IS_OBJECT(v)) {
                        json_emit(g, v, 0);
                        continue;
                }
                yajl_gen_map_open(g);
                for (size_t j = 0; j < v->u.object.len; j++) {
                        const char *mk = v->u.object.keys[j];
                        if (!strcmp(mk, "labels") || !strcmp(mk, "annotations"))
                                continue;
                        gen_str(g, mk);
                        json_emit(g, v->u.object.values[j], 0);
                }
                gen_str(g, "labels");
                emit_map_with(g, json_get(v, "labels"), labels, 1);
                gen_str(g, "annotations");
                emit_map_with(g, json_get(v, "annotations"), annotations, 2);
                yajl_gen_map_close(g);
        }
        yajl_gen_map_close(g);
        return gen_take(g);
}

static yajl_val member(yajl_val obj, const char *key)
{
        for (size_t i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
                if (strcmp(obj->u.object.keys[i], key) == 0)
                        return obj->u.object.values[i];
        return NULL;
}

/* want, plus null for every key `last` had that want dropped (recursively in maps). */
static void emit_patch(yajl_gen g, yajl_val want, yajl_val last)
{
        if (!YAJL_IS_OBJECT(want) || !YAJL_IS_OBJECT(last)) {
                json_emit(g, want, 0);
                return;
        }
        yajl_gen_map_open(g);
        for (size_t i = 0; i < want->u.object.len; i++) {
                gen_str(g, want->u.object.keys[i]);
                emit_patch(g, want->u.object.values[i], member(last, want->u.object.keys[i]));
        }
        for (size_t i = 0; i < last->u.object.len; i++) {
                if (member(want, last->u.object.keys[i]))
                        continue;
                gen_str(g, last->u.object.keys[i]);
                yajl_gen_null(g);
        }
        yajl_gen_map_close(g);
}

char *stack_merge_patch(yajl_val want, yajl_val last_applied)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        emit_patch(g, want, last_applied);
        return gen_take(g);
}

/* One object of the stack, parsed and addressed. */
struct item {
        yajl_val doc;
        const char *api_version, *kind, *name, *ns;
        char *canonical;
        char checksum[65];
        char line[768]; /* inventory line "apiVersion|kind|namespace|name" */
};

static int parse_item(const char *json, int index, const char *stack, struct item *it,
                      struct pharos_error *err)
{
        char msg[256];
        memset(it, 0, sizeof(*it));
        it->doc = json_parse(json, msg, sizeof(msg));
        if (!it->doc || !YAJL_IS_OBJECT(it->doc))
                return perr_set(err, PERR_FAIL, "stack %s, document %d: not an object", stack,
                                index + 1);
        it->api_version = json_get_str(it->doc, "apiVersion");
        it->kind = json_get_str(it->doc, "kind");
        it->name = json_get_str(it->doc, "metadata.name");
        it->ns = json_get_str(it->doc, "metadata.namespace");
        if (!it->api_version || !it->kind || !it->name)
                return perr_set(err, PERR_FAIL,
                                "stack %s, document %d: apiVersion, kind and metadata.name are "
                                "required",
                                stack, index + 1);
        it->canonical = json_canonical(it->doc);
        if (!it->canonical)
                return perr_set(err, PERR_NOMEM, "out of memory");
        json_sha256_hex(it->canonical, strlen(it->canonical), it->checksum);
        return 0;
}

static void item_free(struct item *it)
{
        yajl_tree_free(it->doc);
        free(it->canonical);
}

/* Looks the kind up; waits for kinds a CRD of this stack has just added. */
static int lookup(struct kube_client *kc, const struct item *it, int wait_crd,
                  struct kube_resource *res, struct pharos_error *err)
{
        for (int tries = 0;; tries++) {
                int rc = kube_resource_lookup(kc, it->api_version, it->kind, res, err);
                if (rc == 0 || !wait_crd || tries >= 30)
                        return rc;
                struct timespec ts = {1, 0};
                nanosleep(&ts, NULL);
        }
}

static int http_fail(struct pharos_error *err, const char *what, const char *path,
                     const struct kube_response *r)
{
        const char *body = r->body ? r->body : "";
        int code = kube_status_transient(r->status) ? PERR_TRANSIENT : PERR_FAIL;
        return perr_set(err, code, "%s %s: HTTP %ld: %.300s", what, path, r->status, body);
}

/* Addresses the object (it->line, path, coll) and reads it: *live is the cluster's
 * copy (NULL when missing), *current whether its checksum is the stack's. */
static int probe_item(struct kube_client *kc, struct item *it, int wait_crd, char *path, char *coll,
                      size_t size, yajl_val *live, int *current, struct pharos_error *err)
{
        struct kube_resource res;
        *live = NULL;
        *current = 0;
        int rc = lookup(kc, it, wait_crd, &res, err);
        if (rc < 0)
                return rc;
        const char *ns = res.namespaced ? (it->ns ? it->ns : "default") : NULL;
        snprintf(it->line, sizeof(it->line), "%s|%s|%s|%s", it->api_version, it->kind, ns ? ns : "",
                 it->name);
        if (kube_object_path(&res, ns, it->name, path, size) < 0 ||
            kube_object_path(&res, ns, NULL, coll, size) < 0)
                return perr_set(err, PERR_FAIL, "object path too long for %s", it->name);

        struct kube_response r = {0};
        if ((rc = kube_request(kc, "GET", path, NULL, NULL, &r, err)) < 0)
                return rc;
        if (r.status == 200) {
                char msg[128];
                *live = json_parse(r.body, msg, sizeof(msg));
        } else if (r.status != 404) {
                rc = http_fail(err, "GET", path, &r);
                kube_response_free(&r);
                return rc;
        }
        kube_response_free(&r);

        /* Annotation keys contain dots, so json_get can't address them. */
        yajl_val have_v = member(json_get(*live, "metadata.annotations"), STACK_CHECKSUM);
        const char *have = YAJL_IS_STRING(have_v) ? have_v->u.string : NULL;
        *current = *live && have && strcmp(have, it->checksum) == 0;
        return 0;
}

static int apply_item(struct kube_client *kc, const char *stack, struct item *it, int wait_crd,
                      struct stack_stats *st, struct pharos_error *err)
{
        char path[1024], coll[1024];
        yajl_val live;
        int current;
        int rc = probe_item(kc, it, wait_crd, path, coll, sizeof(path), &live, &current, err);
        if (rc < 0)
                return rc;
        if (current) {
                yajl_tree_free(live);
                st->unchanged++;
                return 0;
        }
        struct kube_response r = {0};
        char *body = stack_object_body(it->doc, stack, it->checksum, it->canonical);
        if (!body) {
                yajl_tree_free(live);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        if (!live) {
                rc = kube_request(kc, "POST", coll, NULL, body, &r, err);
                if (rc == 0 && r.status != 201 && r.status != 200)
                        rc = http_fail(err, "POST", coll, &r);
                if (rc == 0)
                        st->created++;
        } else {
                /* Annotation keys contain dots, so json_get can't address them. */
                yajl_val ann = json_get(live, "metadata.annotations");
                yajl_val last_text = member(ann, STACK_LAST_APPLIED);
                char msg[128];
                yajl_val last = YAJL_IS_STRING(last_text)
                                        ? json_parse(last_text->u.string, msg, sizeof(msg))
                                        : NULL;
                yajl_val want = json_parse(body, msg, sizeof(msg));
                char *patch = want ? stack_merge_patch(want, last) : NULL;
                yajl_tree_free(last);
                yajl_tree_free(want);
                if (!patch) {
                        rc = perr_set(err, PERR_NOMEM, "out of memory");
                } else {
                        rc = kube_request(kc, "PATCH", path, "application/merge-patch+json", patch,
                                          &r, err);
                        if (rc == 0 && r.status != 200)
                                rc = http_fail(err, "PATCH", path, &r);
                        if (rc == 0)
                                st->updated++;
                }
                free(patch);
        }
        if (rc == 0)
                kube_response_free(&r);
        free(body);
        yajl_tree_free(live);
        return rc;
}

/* Reads the stack's inventory: newline-separated lines; NULL text when it does not exist. */
static int read_inventory(struct kube_client *kc, const char *stack, char **text, int *exists,
                          struct pharos_error *err)
{
        char path[512];
        struct kube_response r = {0};
        snprintf(path, sizeof(path),
                 "/api/v1/namespaces/" INVENTORY_NS "/configmaps/pharos-stack-%s", stack);
        *text = NULL;
        *exists = 0;
        int rc = kube_request(kc, "GET", path, NULL, NULL, &r, err);
        if (rc < 0)
                return rc;
        if (r.status == 404) {
                kube_response_free(&r);
                return 0;
        }
        if (r.status != 200) {
                rc = http_fail(err, "GET", path, &r);
                kube_response_free(&r);
                return rc;
        }
        char msg[128];
        yajl_val cm = json_parse(r.body, msg, sizeof(msg));
        kube_response_free(&r);
        *exists = 1;
        const char *objects = json_get_str(cm, "data.objects");
        *text = strdup(objects ? objects : "");
        yajl_tree_free(cm);
        return *text ? 0 : perr_set(err, PERR_NOMEM, "out of memory");
}

static int write_inventory(struct kube_client *kc, const char *stack, const char *text, int exists,
                           struct pharos_error *err)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        char name[300];
        snprintf(name, sizeof(name), "pharos-stack-%s", stack);
        yajl_gen_map_open(g);
        gen_str(g, "apiVersion");
        gen_str(g, "v1");
        gen_str(g, "kind");
        gen_str(g, "ConfigMap");
        gen_str(g, "metadata");
        yajl_gen_map_open(g);
        gen_str(g, "name");
        gen_str(g, name);
        gen_str(g, "namespace");
        gen_str(g, INVENTORY_NS);
        yajl_gen_map_close(g);
        gen_str(g, "data");
        yajl_gen_map_open(g);
        gen_str(g, "objects");
        gen_str(g, text);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        char *body = gen_take(g);
        char path[512];
        struct kube_response r = {0};
        snprintf(path, sizeof(path), "/api/v1/namespaces/" INVENTORY_NS "/configmaps%s%s",
                 exists ? "/" : "", exists ? name : "");
        int rc = body ? kube_request(kc, exists ? "PUT" : "POST", path, NULL, body, &r, err)
                      : perr_set(err, PERR_NOMEM, "out of memory");
        free(body);
        if (rc < 0)
                return rc;
        if (r.status != 200 && r.status != 201)
                rc = http_fail(err, exists ? "PUT" : "POST", path, &r);
        kube_response_free(&r);
        return rc;
}

/* Deletes the object an inventory line names, if it still belongs to the stack. */
static int prune_line(struct kube_client *kc, const char *stack, char *line, struct stack_stats *st,
                      struct pharos_error *err)
{
        char *fields[4] = {0}, *rest = line;
        for (int i = 0; i < 4 && rest; i++)
                fields[i] = strsep(&rest, "|");
        if (!fields[3] || rest)
                return 0; /* a line we did not write: leave it */
        struct kube_resource res;
        if (kube_resource_lookup(kc, fields[0], fields[1], &res, err) < 0)
                return 0; /* the kind itself is gone (its CRD was removed) */
        char path[1024];
        if (kube_object_path(&res, *fields[2] ? fields[2] : NULL, fields[3], path, sizeof(path)) <
            0)
                return 0;
        struct kube_response r = {0};
        int rc = kube_request(kc, "GET", path, NULL, NULL, &r, err);
        if (rc < 0)
                return rc;
        char msg[128];
        yajl_val live = r.status == 200 ? json_parse(r.body, msg, sizeof(msg)) : NULL;
        kube_response_free(&r);
        yajl_val labels = json_get(live, "metadata.labels");
        yajl_val owner = member(labels, STACK_LABEL);
        int ours = YAJL_IS_STRING(owner) && strcmp(owner->u.string, stack) == 0;
        yajl_tree_free(live);
        if (!ours)
                return 0;
        if ((rc = kube_request(kc, "DELETE", path, NULL, NULL, &r, err)) < 0)
                return rc;
        if (r.status != 200 && r.status != 202 && r.status != 404)
                rc = http_fail(err, "DELETE", path, &r);
        else
                st->pruned++;
        kube_response_free(&r);
        return rc;
}

static int line_in(const char *line, char *const *lines, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(lines[i], line) == 0)
                        return 1;
        return 0;
}

static int cmp_line(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prunes what the old inventory has and `keep` lacks, newest first. */
static int prune(struct kube_client *kc, const char *stack, const char *old, char *const *keep,
                 size_t n_keep, struct stack_stats *st, struct pharos_error *err)
{
        char *copy = strdup(old ? old : "");
        if (!copy)
                return perr_set(err, PERR_NOMEM, "out of memory");
        char *lines[4096];
        size_t n = 0;
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l && n < 4096; l = strtok_r(NULL, "\n", &save))
                lines[n++] = l;
        int rc = 0;
        for (size_t i = n; i-- > 0 && rc == 0;)
                if (!line_in(lines[i], keep, n_keep))
                        rc = prune_line(kc, stack, lines[i], st, err);
        free(copy);
        return rc;
}

static char *join_lines(char **lines, size_t n)
{
        size_t len = 1;
        for (size_t i = 0; i < n; i++)
                len += strlen(lines[i]) + 1;
        char *out = malloc(len), *p = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s\n", lines[i]);
        *p = '\0';
        return out;
}

int stack_apply(struct kube_client *kc, const char *stack, const struct json_docs *docs,
                struct stack_stats *st, struct pharos_error *err)
{
        struct item *items = calloc(docs->n ? docs->n : 1, sizeof(*items));
        char **lines = calloc(docs->n ? docs->n : 1, sizeof(*lines));
        char *old = NULL, *now = NULL;
        int exists = 0, rc = 0, crd_seen = 0;
        memset(st, 0, sizeof(*st));
        if (!items || !lines) {
                rc = perr_set(err, PERR_NOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < docs->n && rc == 0; i++)
                rc = parse_item(docs->json[i], (int)i, stack, &items[i], err);
        if (rc == 0)
                rc = read_inventory(kc, stack, &old, &exists, err);
        for (size_t i = 0; i < docs->n && rc == 0; i++) {
                rc = apply_item(kc, stack, &items[i], crd_seen, st, err);
                crd_seen |= strcmp(items[i].kind, "CustomResourceDefinition") == 0;
                lines[i] = items[i].line;
        }
        if (rc == 0) {
                qsort(lines, docs->n, sizeof(*lines), cmp_line);
                now = join_lines(lines, docs->n);
                rc = now ? 0 : perr_set(err, PERR_NOMEM, "out of memory");
        }
        if (rc == 0)
                rc = prune(kc, stack, old, lines, docs->n, st, err);
        if (rc == 0 && (!exists || strcmp(old, now) != 0))
                rc = write_inventory(kc, stack, now, exists, err);
out:
        for (size_t i = 0; items && i < docs->n; i++)
                item_free(&items[i]);
        free(items);
        free(lines);
        free(old);
        free(now);
        return rc;
}

int stack_delete(struct kube_client *kc, const char *stack, struct stack_stats *st,
                 struct pharos_error *err)
{
        char *old = NULL;
        int exists = 0;
        memset(st, 0, sizeof(*st));
        int rc = read_inventory(kc, stack, &old, &exists, err);
        if (rc == 0 && exists)
                rc = prune(kc, stack, old, NULL, 0, st, err);
        if (rc == 0 && exists) {
                char path[512];
                struct kube_response r = {0};
                snprintf(path, sizeof(path),
                         "/api/v1/namespaces/" INVENTORY_NS "/configmaps/pharos-stack-%s", stack);
                rc = kube_request(kc, "DELETE", path, NULL, NULL, &r, err);
                if (rc == 0)
                        kube_response_free(&r);
        }
        free(old);
        return rc;
}

int stack_differs(struct kube_client *kc, const char *stack, const struct json_docs *docs,
                  struct pharos_error *err)
{
        struct item *items = calloc(docs->n ? docs->n : 1, sizeof(*items));
        char **lines = calloc(docs->n ? docs->n : 1, sizeof(*lines));
        char *old = NULL, *now = NULL;
        int exists = 0, rc = 0, differs = 0;
        if (!items || !lines) {
                rc = perr_set(err, PERR_NOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < docs->n && rc == 0; i++)
                rc = parse_item(docs->json[i], (int)i, stack, &items[i], err);
        if (rc == 0)
                rc = read_inventory(kc, stack, &old, &exists, err);
        differs = !exists;
        /* The first difference settles it: a kind this stack's own new CRD adds
         * can't be looked up before that CRD exists. */
        for (size_t i = 0; i < docs->n && rc == 0 && !differs; i++) {
                char path[1024], coll[1024];
                yajl_val live;
                int current;
                rc = probe_item(kc, &items[i], 0, path, coll, sizeof(path), &live, &current, err);
                yajl_tree_free(live);
                differs = !current;
                lines[i] = items[i].line;
        }
        if (rc == 0 && !differs) {
                qsort(lines, docs->n, sizeof(*lines), cmp_line);
                now = join_lines(lines, docs->n);
                rc = now ? 0 : perr_set(err, PERR_NOMEM, "out of memory");
                /* The same objects as the inventory: nothing to prune, nothing to record. */
                differs = now && strcmp(old, now) != 0;
        }
out:
        for (size_t i = 0; items && i < docs->n; i++)
                item_free(&items[i]);
        free(items);
        free(lines);
        free(old);
        free(now);
        return rc < 0 ? rc : differs;
}
