/*
 * addon-manifests: cluster.yml's `manifests` list (files or directories of
 * Kubernetes resources) applied as the stack "pharos-manifests", as the
 * original's ApplyManifests phase did: after the network and the addons,
 * every object labelled with the stack and its checksum, unchanged objects
 * left alone, objects no longer in the files pruned. With the key gone (or
 * an empty list) the stack is deleted, if it exists.
 *
 * The manifests are applied as written, without templating: the core checks
 * them while loading cluster.yml (core/config/manifests.c), so a missing
 * path or a broken file stops the run before any host is contacted.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/plugin.h>

#include "manifests_files.h"

#define STACK "pharos-manifests"

static const struct pharos_host *H;
static struct pharos_plugin *SELF;

static const struct pharos_config_node *entries(void)
{
        return H->config_get(H->config_root(SELF), "manifests");
}

/* 1 when the stack's inventory exists, 0 when not or when the API can't tell
 * (no control plane yet: `up --plan` before the first up). */
static int stack_exists(struct pharos_step_ctx *ctx)
{
        long status = 0;
        const char *path = "/api/v1/namespaces/kube-system/configmaps/pharos-stack-" STACK;
        return H->kube_request(ctx, "GET", path, NULL, &status, NULL) == 0 && status == 200;
}

/* The directory relative entries are taken from: cluster.yml's (NULL for stdin). */
static char *base_dir(void)
{
        const char *file = H->config_file(SELF);
        if (!file || strcmp(file, "-") == 0)
                return NULL;
        char *copy = strdup(file);
        if (!copy)
                return NULL;
        char *dir = strdup(dirname(copy));
        free(copy);
        return dir;
}

/* The files the entries name, as one YAML stream in *stream (malloc'd, NULL when
 * empty); <0 after step_fail. */
static int read_stream(struct pharos_step_ctx *ctx, const struct pharos_config_node *list,
                       char **stream, size_t *len)
{
        char *base = base_dir();
        char why[1024];
        size_t files = 0;
        int rc = 0;
        *stream = NULL;
        *len = 0;
        for (size_t i = 0; i < H->config_len(list) && rc == 0; i++) {
                const char *entry = H->config_string(H->config_at(list, i));
                rc = entry ? manifests_read(entry, base, stream, len, &files, why, sizeof(why)) : 0;
                if (rc < 0)
                        H->step_fail(ctx, "manifests: %s", why);
        }
        free(base);
        if (rc == 0)
                H->log(SELF, PHAROS_LOG_DEBUG, "stack " STACK ": %zu file%s", files,
                       files == 1 ? "" : "s");
        return rc;
}

/* Work only when the cluster's stack differs from what the entries name, so that a
 * settled cluster's `pharos up --plan` lists nothing. Without an API to ask (no
 * control plane yet), or a core too old to compare, the stack is applied. */
static int apply_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const struct pharos_config_node *list = entries();
        size_t n = H->config_len(list);
        if (!n) {
                if (!stack_exists(ctx))
                        return 0;
                H->step_reason(ctx,
                               "manifests is empty or gone from cluster.yml: delete stack " STACK);
                return 1;
        }
        int differs = 1;
        if (PHAROS_HOST_HAS(H, kube_stack_differs)) {
                char *stream;
                size_t len;
                if (read_stream(ctx, list, &stream, &len) == 0)
                        differs = H->kube_stack_differs(ctx, STACK, stream ? stream : "", len) != 0;
                free(stream);
        }
        if (differs)
                H->step_reason(ctx, "manifests lists %zu path%s: apply them as stack " STACK, n,
                               n == 1 ? "" : "s");
        return differs;
}

static int apply_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const struct pharos_config_node *list = entries();
        if (!H->config_len(list))
                return H->kube_delete_stack(ctx, STACK);
        char *stream;
        size_t len;
        int rc = read_stream(ctx, list, &stream, &len);
        if (rc == 0)
                rc = H->kube_apply_stack(ctx, STACK, stream ? stream : "", len);
        free(stream);
        return rc < 0 ? -1 : 0;
}

static const char *const apply_after[] = {
        /* The addons' resources first: a manifest may use their kinds (a
         * Certificate, a HelmChart). Optional: loaded or not, no matter. */
        "?addon-cert-manager.apply", "?addon-ingress-nginx.apply", "?addon-metrics-server.apply",
        "?addon-kured.apply",        "?addon-helm.apply",          NULL,
};

static const struct pharos_step apply_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "addon-manifests.apply",
        .phase = "addons",
        .after = apply_after,
        .flags = PHAROS_STEP_ONCE,
        .description = "apply the resources cluster.yml's manifests lists",
        .applies = apply_applies,
        .run = apply_run,
};

static int manifests_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        SELF = self;
        if (!PHAROS_HOST_HAS(host, config_file)) {
                host->set_error(self, "needs a pharos of plugin ABI 1.1 or newer (config_file)");
                return -1;
        }
        return host->register_step(self, &apply_step);
}

static const struct pharos_plugin_desc manifests_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-manifests",
        .version = "1.0.0",
        .description = "applies cluster.yml's manifests as the stack pharos-manifests",
        .init = manifests_init,
};

PHAROS_PLUGIN_DECLARE(addon_manifests, manifests_desc)
