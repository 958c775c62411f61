/*
 * network-weave: the Weave Net pod network, applied as the "weave" stack when
 * network.provider is weave. The password Secret is kept across runs: the
 * value in cluster.yml's password file, else the one the cluster already
 * has, else a new random one.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <yajl/yajl_tree.h>

#include <pharos/plugin.h>

#include "network-weave_scripts.h"

static const struct pharos_host *H;
static struct pharos_plugin *SELF;

static const struct pharos_config_field string_item = {.type = PHAROS_CFG_STRING};

static const struct pharos_config_field weave_fields[] = {
        {.key = "trusted_subnets",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "subnets whose peers talk unencrypted"},
        {.key = "known_peers",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "peer addresses (default: weave lists the cluster's Nodes itself)"},
        {.key = "password",
         .type = PHAROS_CFG_STRING,
         .help = "file holding the encryption password (default: generated and kept)"},
        {.key = "ipalloc_default_subnet",
         .type = PHAROS_CFG_STRING,
         .help = "default subnet inside pod_network_cidr"},
        {.key = "no_masq_local",
         .type = PHAROS_CFG_BOOL,
         .default_value = "false",
         .help = "keep client source addresses for local traffic"},
        {.key = "mtu",
         .type = PHAROS_CFG_INT,
         .default_value = "1376",
         .min = 576,
         .max = 65535,
         .help = "MTU of the weave bridge"},
        {.key = "image",
         .type = PHAROS_CFG_STRING,
         .default_value = "docker.io/weaveworks/weave-kube:2.8.1",
         .help = "weave-kube image"},
        {.key = "npc_image",
         .type = PHAROS_CFG_STRING,
         .default_value = "docker.io/weaveworks/weave-npc:2.8.1",
         .help = "weave-npc image"},
        {0},
};

static const struct pharos_config_schema weave_schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = weave_fields,
};

/* A growing string. */
struct buf {
        char *s;
        size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
        if (!b->s || b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *grown = realloc(b->s, cap);
                if (!grown)
                        return -1;
                b->s = grown;
                b->cap = cap;
        }
        if (n)
                memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
        return 0;
}

/* Appends s escaped for a YAML double-quoted scalar; control characters are refused. */
static int put_quoted(struct buf *b, const char *s)
{
        for (; *s; s++) {
                if ((unsigned char)*s < 0x20)
                        return -1;
                if ((*s == '"' || *s == '\\') && put(b, "\\", 1) < 0)
                        return -1;
                if (put(b, s, 1) < 0)
                        return -1;
        }
        return 0;
}

struct var {
        const char *name;
        const char *value;
};

/* The manifest with every ${NAME} replaced; unknown names are an error. */
static char *render(const char *tmpl, const struct var *vars, size_t n, char *bad, size_t bad_size)
{
        struct buf b = {0};
        for (const char *p = tmpl; *p;) {
                const char *open = strstr(p, "${");
                if (!open) {
                        put(&b, p, strlen(p));
                        break;
                }
                put(&b, p, (size_t)(open - p));
                const char *close = strchr(open, '}');
                size_t len = close ? (size_t)(close - open - 2) : 0;
                const struct var *v = NULL;
                for (size_t i = 0; close && i < n; i++)
                        if (strlen(vars[i].name) == len && !strncmp(vars[i].name, open + 2, len))
                                v = &vars[i];
                if (!v || put_quoted(&b, v->value) < 0) {
                        snprintf(bad, bad_size, "%.*s", close ? (int)len : 20, open + 2);
                        free(b.s);
                        return NULL;
                }
                p = close + 1;
        }
        return b.s;
}

static const struct pharos_config_node *get(const struct pharos_config_node *n, const char *path)
{
        char key[64];
        while (n && *path) {
                size_t len = strcspn(path, ".");
                snprintf(key, sizeof(key), "%.*s", (int)len, path);
                n = H->config_get(n, key);
                path += len + (path[len] == '.');
        }
        return n;
}

/* Joins a list of strings with sep. */
static int join_list(const struct pharos_config_node *list, const char *sep, struct buf *out)
{
        for (size_t i = 0; i < H->config_len(list); i++) {
                const char *s = H->config_string(H->config_at(list, i));
                if (!s || (i && put(out, sep, strlen(sep)) < 0) || put(out, s, strlen(s)) < 0)
                        return -1;
        }
        return 0;
}

/* known_peers, or nothing: weave-kube then asks the API for the Nodes
 * (kube-utils) when it starts and reclaims a deleted Node's address space.
 * The original listed every host here, so adding or removing a worker rolled
 * weave on every node; left empty, the DaemonSet does not change with the
 * hosts, nodes joined with `pharos worker up` are peers too, and removing a
 * worker from cluster.yml writes nothing. */
static int peers(struct buf *out)
{
        return join_list(H->config_get(H->config_section(SELF), "known_peers"), " ", out);
}

/* The password: cluster.yml's file, the cluster's Secret, or new. Writes into pw. */
static int password(struct pharos_step_ctx *ctx, char *pw, size_t size)
{
        const char *file = H->config_string(H->config_get(H->config_section(SELF), "password"));
        if (file) {
                FILE *f = fopen(file, "r");
                if (!f || !fgets(pw, (int)size, f)) {
                        if (f)
                                fclose(f);
                        H->step_fail(ctx, "network.weave.password: cannot read %s", file);
                        return -1;
                }
                fclose(f);
                pw[strcspn(pw, "\r\n")] = '\0';
                return 0;
        }
        long status = 0;
        const char *resp = NULL;
        if (H->kube_request(ctx, "GET", "/api/v1/namespaces/kube-system/secrets/weave-passwd", NULL,
                            &status, &resp) < 0)
                return -1;
        if (status == 200) {
                char msg[128];
                yajl_val v = yajl_tree_parse(resp, msg, sizeof(msg));
                const char *path[] = {"data", "weave-passwd", NULL};
                yajl_val b64 = yajl_tree_get(v, path, yajl_t_string);
                int ok = 0;
                if (b64) {
                        const char *in = YAJL_GET_STRING(b64);
                        size_t len = strlen(in);
                        unsigned char raw[256];
                        if (len % 4 == 0 && len / 4 * 3 < sizeof(raw)) {
                                int n = EVP_DecodeBlock(raw, (const unsigned char *)in, (int)len);
                                for (size_t i = len; i > 0 && in[i - 1] == '='; i--)
                                        n--;
                                if (n > 0 && (size_t)n < size) {
                                        memcpy(pw, raw, (size_t)n);
                                        pw[n] = '\0';
                                        ok = 1;
                                }
                        }
                }
                yajl_tree_free(v);
                if (ok)
                        return 0;
        }
        unsigned char rnd[24];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) || size < 2 * sizeof(rnd) + 1) {
                H->step_fail(ctx, "no random bytes for the weave password");
                return -1;
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
        return 0;
}

/* The weave stack as cluster.yml and the cluster's password make it (malloc'd, holds
 * the password: zero it before freeing), or NULL with the step's error set. */
static char *manifest(struct pharos_step_ctx *ctx)
{
        const struct pharos_config_node *root = H->config_root(SELF);
        const struct pharos_config_node *sec = H->config_section(SELF);
        char pw[128];
        if (password(ctx, pw, sizeof(pw)) < 0)
                return NULL;
        struct buf kube_peers = {0}, extra = {0}, trusted = {0};
        int rc = peers(&kube_peers);
        const char *subnet = H->config_string(H->config_get(sec, "ipalloc_default_subnet"));
        if (rc == 0 && subnet) {
                put(&extra, "--ipalloc-default-subnet=", 25);
                rc = put(&extra, subnet, strlen(subnet));
        }
        const struct pharos_config_node *ts = H->config_get(sec, "trusted_subnets");
        if (rc == 0 && H->config_len(ts)) {
                rc = join_list(ts, ",", &trusted);
                if (extra.len)
                        put(&extra, " ", 1);
                put(&extra, "--trusted-subnets=", 18);
                put(&extra, trusted.s ? trusted.s : "", trusted.len);
        }
        int masq = 0;
        H->config_bool(H->config_get(sec, "no_masq_local"), &masq);
        const char *mtu = H->config_string(H->config_get(sec, "mtu"));
        const char *image = H->config_string(H->config_get(sec, "image"));
        const char *npc = H->config_string(H->config_get(sec, "npc_image"));
        const char *range = H->config_string(get(root, "network.pod_network_cidr"));
        const struct var vars[] = {
                {"PASSWORD", pw},
                {"IMAGE", image ? image : "docker.io/weaveworks/weave-kube:2.8.1"},
                {"NPC_IMAGE", npc ? npc : "docker.io/weaveworks/weave-npc:2.8.1"},
                {"IPALLOC_RANGE", range ? range : ""},
                {"MTU", mtu ? mtu : "1376"},
                {"NO_MASQ_LOCAL", masq ? "1" : "0"},
                {"KUBE_PEERS", kube_peers.s ? kube_peers.s : ""},
                {"EXTRA_ARGS", extra.s ? extra.s : ""},
        };
        char bad[64];
        char *yaml = rc == 0 ? render(script_weave_yml, vars, sizeof(vars) / sizeof(vars[0]), bad,
                                      sizeof(bad))
                             : NULL;
        memset(pw, 0, sizeof(pw));
        free(kube_peers.s);
        free(extra.s);
        free(trusted.s);
        if (!yaml)
                H->step_fail(ctx, "cannot render the weave manifest (%s)",
                             rc == 0 ? bad : "out of memory");
        return yaml;
}

static void forget(char *yaml)
{
        memset(yaml, 0, strlen(yaml));
        free(yaml);
}

/* Work only when the cluster's weave stack differs from the one cluster.yml makes,
 * so that a settled cluster's `pharos up --plan` lists nothing. Without an API to
 * ask (no control plane yet), or a core too old to compare, the stack is applied. */
static int weave_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const char *provider = H->config_string(get(H->config_root(SELF), "network.provider"));
        if (!provider || strcmp(provider, "weave") != 0)
                return 0;
        int differs = 1;
        if (PHAROS_HOST_HAS(H, kube_stack_differs)) {
                char *yaml = manifest(ctx);
                if (yaml) {
                        differs = H->kube_stack_differs(ctx, "weave", yaml, strlen(yaml)) != 0;
                        forget(yaml);
                }
        }
        if (differs)
                H->step_reason(ctx, "network.provider is weave: apply the weave stack");
        return differs;
}

static int weave_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        char *yaml = manifest(ctx);
        if (!yaml)
                return -1;
        int rc = H->kube_apply_stack(ctx, "weave", yaml, strlen(yaml));
        forget(yaml);
        return rc;
}

static const struct pharos_step apply_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "network-weave.apply",
        .phase = "network",
        .flags = PHAROS_STEP_ONCE,
        .description = "apply the Weave Net stack",
        .applies = weave_applies,
        .run = weave_run,
};

static int weave_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        SELF = self;
        if (!PHAROS_HOST_HAS(host, kube_request)) {
                host->set_error(self, "needs a pharos with the Kubernetes step services");
                return -1;
        }
        return host->register_step(self, &apply_step);
}

static const struct pharos_plugin_desc weave_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_NETWORK,
        .name = "network-weave",
        .version = "2.8.1",
        .description = "Weave Net pod network",
        .config_section = "network.weave",
        .config_schema = &weave_schema,
        .init = weave_init,
};

PHAROS_PLUGIN_DECLARE(network_weave, weave_desc)
