#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "kube/json.h"
#include "kube/json_yaml.h"
#include "kube/kubeconfig.h"
#include "kube/yaml_json.h"

static char *b64_decode(const char *in)
{
        size_t len = strlen(in);
        if (len % 4)
                return NULL;
        char *out = malloc(len / 4 * 3 + 1);
        if (!out)
                return NULL;
        int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
        if (n < 0) {
                free(out);
                return NULL;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        for (size_t i = len; i > 0 && in[i - 1] == '='; i--)
                n--;
        out[n] = '\0';
        return out;
}

static char *b64_encode(const char *in)
{
        size_t len = strlen(in);
        char *out = malloc((len + 2) / 3 * 4 + 1);
        if (out)
                EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
        return out;
}

/* The entry of list `key` whose name is `name`, then its inner object `inner`. */
static yajl_val named(yajl_val root, const char *key, const char *name, const char *inner)
{
        yajl_val list = json_get(root, key);
        for (size_t i = 0; name && YAJL_IS_ARRAY(list) && i < list->u.array.len; i++) {
                const char *n = json_get_str(list->u.array.values[i], "name");
                if (n && strcmp(n, name) == 0)
                        return json_get(list->u.array.values[i], inner);
        }
        return NULL;
}

static char *dup_str(const char *s)
{
        return s ? strdup(s) : NULL;
}

int kubeconfig_parse(const char *text, const char *source, struct kubeconfig *out,
                     struct pharos_error *err)
{
        struct json_docs docs;
        memset(out, 0, sizeof(*out));
        int rc = yaml_to_json(text, strlen(text), source, &docs, err);
        if (rc < 0)
                return rc;
        char msg[128];
        yajl_val root = docs.n == 1 ? json_parse(docs.json[0], msg, sizeof(msg)) : NULL;
        json_docs_free(&docs);
        if (!root)
                return perr_set(err, PERR_FAIL, "%s: not a kubeconfig", source);
        const char *ctx = json_get_str(root, "current-context");
        yajl_val c = named(root, "contexts", ctx, "context");
        const char *cluster = json_get_str(c, "cluster"), *user = json_get_str(c, "user");
        yajl_val cl = named(root, "clusters", cluster, "cluster");
        yajl_val us = named(root, "users", user, "user");
        const char *server = json_get_str(cl, "server");
        const char *ca = json_get_str(cl, "certificate-authority-data");
        const char *cert = json_get_str(us, "client-certificate-data");
        const char *key = json_get_str(us, "client-key-data");
        if (!server || !ca || !cert || !key) {
                yajl_tree_free(root);
                return perr_set(err, PERR_FAIL,
                                "%s: the current context has no server, embedded CA, client "
                                "certificate or key",
                                source);
        }
        out->context = dup_str(ctx);
        out->cluster = dup_str(cluster);
        out->user = dup_str(user);
        out->server = dup_str(server);
        out->ca_pem = b64_decode(ca);
        out->cert_pem = b64_decode(cert);
        out->key_pem = b64_decode(key);
        yajl_tree_free(root);
        if (!out->context || !out->cluster || !out->user || !out->server || !out->ca_pem ||
            !out->cert_pem || !out->key_pem) {
                kubeconfig_free(out);
                return perr_set(err, PERR_FAIL, "%s: bad base64 data in the current context",
                                source);
        }
        return 0;
}

void kubeconfig_free(struct kubeconfig *kc)
{
        if (kc->key_pem) {
                volatile char *p = kc->key_pem;
                while (*p)
                        *p++ = 0;
        }
        free(kc->cluster);
        free(kc->user);
        free(kc->context);
        free(kc->server);
        free(kc->ca_pem);
        free(kc->cert_pem);
        free(kc->key_pem);
        memset(kc, 0, sizeof(*kc));
}

static void gs(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* The entries kc contributes to one of the three lists. */
static void gen_entry(yajl_gen g, const struct kubeconfig *kc, const char *list)
{
        yajl_gen_map_open(g);
        gs(g, "name");
        if (!strcmp(list, "clusters")) {
                char *ca = b64_encode(kc->ca_pem);
                gs(g, kc->cluster);
                gs(g, "cluster");
                yajl_gen_map_open(g);
                gs(g, "certificate-authority-data");
                gs(g, ca ? ca : "");
                gs(g, "server");
                gs(g, kc->server);
                yajl_gen_map_close(g);
                free(ca);
        } else if (!strcmp(list, "users")) {
                char *cert = b64_encode(kc->cert_pem), *key = b64_encode(kc->key_pem);
                gs(g, kc->user);
                gs(g, "user");
                yajl_gen_map_open(g);
                gs(g, "client-certificate-data");
                gs(g, cert ? cert : "");
                gs(g, "client-key-data");
                gs(g, key ? key : "");
                yajl_gen_map_close(g);
                free(cert);
                free(key);
        } else {
                gs(g, kc->context);
                gs(g, "context");
                yajl_gen_map_open(g);
                gs(g, "cluster");
                gs(g, kc->cluster);
                gs(g, "user");
                gs(g, kc->user);
                yajl_gen_map_close(g);
        }
        yajl_gen_map_close(g);
}

static const char *entry_name(const struct kubeconfig *kc, const char *list)
{
        if (!strcmp(list, "clusters"))
                return kc->cluster;
        return strcmp(list, "users") == 0 ? kc->user : kc->context;
}

/* Builds the merged document as JSON, then renders it as YAML. */
static char *build(yajl_val old, const struct kubeconfig *kc)
{
        static const char *const lists[] = {"clusters", "users", "contexts"};
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        yajl_gen_map_open(g);
        gs(g, "apiVersion");
        gs(g, "v1");
        gs(g, "kind");
        gs(g, "Config");
        for (size_t l = 0; l < 3; l++) {
                yajl_val have = json_get(old, lists[l]);
                gs(g, lists[l]);
                yajl_gen_array_open(g);
                for (size_t i = 0; YAJL_IS_ARRAY(have) && i < have->u.array.len; i++) {
                        const char *n = json_get_str(have->u.array.values[i], "name");
                        if (n && strcmp(n, entry_name(kc, lists[l])) == 0)
                                continue;
                        json_emit(g, have->u.array.values[i], 0);
                }
                gen_entry(g, kc, lists[l]);
                yajl_gen_array_close(g);
        }
        gs(g, "current-context");
        gs(g, kc->context);
        yajl_val prefs = json_get(old, "preferences");
        gs(g, "preferences");
        if (prefs) {
                json_emit(g, prefs, 0);
        } else {
                yajl_gen_map_open(g);
                yajl_gen_map_close(g);
        }
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        char msg[128];
        yajl_val doc = json_parse((const char *)buf, msg, sizeof(msg));
        yajl_gen_free(g);
        char *yaml = doc ? json_to_yaml(doc) : NULL;
        yajl_tree_free(doc);
        return yaml;
}

char *kubeconfig_render(const struct kubeconfig *kc)
{
        return build(NULL, kc);
}

int kubeconfig_merge(const char *existing, const char *source, const struct kubeconfig *kc,
                     char **out, struct pharos_error *err)
{
        yajl_val old = NULL;
        if (existing && *existing) {
                struct json_docs docs;
                int rc = yaml_to_json(existing, strlen(existing), source, &docs, err);
                if (rc < 0)
                        return rc;
                char msg[128];
                old = docs.n == 1 ? json_parse(docs.json[0], msg, sizeof(msg)) : NULL;
                json_docs_free(&docs);
                if (!YAJL_IS_OBJECT(old)) {
                        yajl_tree_free(old);
                        return perr_set(err, PERR_USAGE, "%s: not a kubeconfig file", source);
                }
        }
        *out = build(old, kc);
        yajl_tree_free(old);
        return *out ? 0 : perr_set(err, PERR_NOMEM, "out of memory");
}
