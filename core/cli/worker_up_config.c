#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli/worker_up.h"
#include "run/stale_nodes.h"

static void str(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void strn(yajl_gen g, const char *s, size_t n)
{
        yajl_gen_string(g, (const unsigned char *)s, n);
}

static void kv(yajl_gen g, const char *k, const char *v)
{
        str(g, k);
        str(g, v);
}

/* K=V pairs as a map. */
static void kv_map(yajl_gen g, const char *key, const char *const *pairs, size_t n)
{
        str(g, key);
        yajl_gen_map_open(g);
        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(pairs[i], '=');
                strn(g, pairs[i], (size_t)(eq - pairs[i]));
                str(g, eq + 1);
        }
        yajl_gen_map_close(g);
}

/* K[=V]:EFFECT (checked by wu_parse_args) as cluster.yml's taint entries. */
static void taints(yajl_gen g, const struct wu_args *a)
{
        str(g, "taints");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < a->n_taints; i++) {
                const char *t = a->taints[i], *colon = strrchr(t, ':');
                const char *eq = memchr(t, '=', (size_t)(colon - t));
                yajl_gen_map_open(g);
                str(g, "key");
                strn(g, t, (size_t)((eq ? eq : colon) - t));
                if (eq) {
                        str(g, "value");
                        strn(g, eq + 1, (size_t)(colon - eq - 1));
                }
                kv(g, "effect", colon + 1);
                yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
}

/* The labels go to the kubelet, which puts them on its Node when it registers. */
static int node_labels(yajl_gen g, const struct wu_args *a)
{
        size_t len = sizeof("--node-labels=" WORKER_UP_LABEL "=true");
        for (size_t i = 0; i < a->n_labels; i++)
                len += strlen(a->labels[i]) + 1;
        char *arg = malloc(len);
        if (!arg)
                return -1;
        strcpy(arg, "--node-labels=");
        for (size_t i = 0; i < a->n_labels; i++) {
                strcat(arg, a->labels[i]);
                strcat(arg, ",");
        }
        strcat(arg, WORKER_UP_LABEL "=true");
        str(g, "kubelet");
        yajl_gen_map_open(g);
        str(g, "extra_args");
        yajl_gen_array_open(g);
        str(g, arg);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
        free(arg);
        return 0;
}

char *wu_config_text(const struct wu_args *a, const char *version, const char *address,
                     const char *user)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        yajl_gen_map_open(g);
        str(g, "hosts");
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        /* The loopback address makes the transport local; the node is known by its own. */
        kv(g, "address", "127.0.0.1");
        kv(g, "private_address", address);
        kv(g, "user", user);
        kv(g, "role", "worker");
        kv(g, "container_runtime", a->runtime);
        if (a->n_taints)
                taints(g, a);
        if (a->n_env)
                kv_map(g, "environment", a->env, a->n_env);
        yajl_gen_map_close(g);
        for (size_t i = 0; i < a->n_masters; i++) {
                char host[256], endpoint[300];
                if (wu_split_master(a->masters[i], host, sizeof(host), endpoint, sizeof(endpoint)) <
                    0)
                        continue;
                yajl_gen_map_open(g);
                kv(g, "address", host);
                kv(g, "role", "master");
                yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        str(g, "kubernetes");
        yajl_gen_map_open(g);
        kv(g, "version", version);
        yajl_gen_map_close(g);
        if (a->image_repository)
                kv(g, "image_repository", a->image_repository);
        if (a->n_registries) {
                str(g, "container_runtime");
                yajl_gen_map_open(g);
                str(g, "insecure_registries");
                yajl_gen_array_open(g);
                for (size_t i = 0; i < a->n_registries; i++)
                        str(g, a->registries[i]);
                yajl_gen_array_close(g);
                yajl_gen_map_close(g);
        }
        if (a->control_plane_proxy) {
                str(g, "control_plane");
                yajl_gen_map_open(g);
                str(g, "use_proxy");
                yajl_gen_bool(g, 1);
                yajl_gen_map_close(g);
        }
        int ok = node_labels(g, a) == 0;
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        char *text = NULL;
        if (ok && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
            (text = malloc(len + 1))) {
                memcpy(text, buf, len);
                text[len] = '\0';
        }
        yajl_gen_free(g);
        return text;
}
