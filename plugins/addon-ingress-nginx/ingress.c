/*
 * addon-ingress-nginx: the NGINX ingress controller as the "ingress-nginx"
 * stack while addons.ingress-nginx.enabled, with the original's options.
 * Its admission webhook (admission_webhook.enabled) gets its certificate
 * from cert-manager, so it needs addons.cert-manager and runs after it.
 */
#include <stdlib.h>

#include <pharos/plugin.h>
#include <pharos/refuse.h>

#include "addon.h"
#include "ingress_render.h"

static const char *const kinds[] = {"DaemonSet", "Deployment", NULL};
static const char *const policies[] = {"Cluster", "Local", NULL};
static const struct pharos_config_field deployment_fields[] = {
        {.key = "replicas",
         .type = PHAROS_CFG_INT,
         .default_value = "2",
         .min = 1,
         .max = 100,
         .help = "controller replicas when kind is Deployment"},
        {0},
};
static const struct pharos_config_field service_fields[] = {
        {.key = "external_traffic_policy",
         .type = PHAROS_CFG_STRING,
         .enum_values = policies,
         .default_value = "Cluster",
         .help = "Local keeps client addresses (only nodes with a controller answer)"},
        {0},
};
static const struct pharos_config_field backend_fields[] = {
        {.key = "image",
         .type = PHAROS_CFG_STRING,
         .help = "image of a default backend (default: the controller's own 404 page)"},
        {0},
};
static const struct pharos_config_field admission_fields[] = {
        {.key = "enabled",
         .type = PHAROS_CFG_BOOL,
         .default_value = "false",
         .help = "reject Ingresses nginx cannot load (certificate from addons.cert-manager)"},
        {0},
};
static const struct pharos_config_field string_item = {.type = PHAROS_CFG_STRING};
static const struct pharos_config_field any_item = {.type = PHAROS_CFG_ANY};

static const struct pharos_config_field fields[] = {
        {.key = "kind",
         .type = PHAROS_CFG_STRING,
         .enum_values = kinds,
         .default_value = "DaemonSet",
         .help = "run the controller on every node (DaemonSet, host ports 80/443) or as a "
                 "Deployment"},
        {.key = "deployment",
         .type = PHAROS_CFG_MAP,
         .fields = deployment_fields,
         .help = "Deployment settings"},
        {.key = "service",
         .type = PHAROS_CFG_MAP,
         .fields = service_fields,
         .help = "Service settings"},
        {.key = "configmap",
         .type = PHAROS_CFG_STRING_MAP,
         .help = "ingress-nginx ConfigMap options"},
        {.key = "node_selector",
         .type = PHAROS_CFG_STRING_MAP,
         .help = "labels of the nodes the controller runs on"},
        {.key = "default_backend",
         .type = PHAROS_CFG_MAP,
         .fields = backend_fields,
         .help = "default backend"},
        {.key = "tolerations",
         .type = PHAROS_CFG_LIST,
         .item = &any_item,
         .help = "tolerations of the controller pods (Kubernetes form)"},
        {.key = "extra_args",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "more controller arguments"},
        {.key = "image",
         .type = PHAROS_CFG_STRING,
         .default_value = INGRESS_IMAGE,
         .help = "controller image"},
        {.key = "admission_webhook",
         .type = PHAROS_CFG_MAP,
         .fields = admission_fields,
         .help = "the validating admission webhook"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

/* The pairs of a string map option (malloc'd; strings owned by the core). */
static struct ingress_kv *pairs(const struct addon *a, const char *key, size_t *n)
{
        const struct pharos_config_node *m = addon_opt(a, key);
        *n = a->H->config_len(m);
        struct ingress_kv *kv = calloc(*n ? *n : 1, sizeof(*kv));
        for (size_t i = 0; kv && i < *n; i++) {
                kv[i].key = a->H->config_key_at(m, i);
                kv[i].value = a->H->config_string(a->H->config_at(m, i));
                if (!kv[i].value)
                        kv[i].value = "";
        }
        return kv;
}

static char *render(const struct addon *a, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = a->H;
        int64_t replicas = 2;
        H->config_int(addon_opt(a, "deployment.replicas"), &replicas);
        struct ingress_opts o = {
                .kind = addon_str(a, "kind", "DaemonSet"),
                .replicas = (long)replicas,
                .image = addon_str(a, "image", INGRESS_IMAGE),
                .external_traffic_policy =
                        addon_str(a, "service.external_traffic_policy", "Cluster"),
                .default_backend_image = addon_str(a, "default_backend.image", NULL),
                .admission_webhook = addon_bool(a, "admission_webhook.enabled", 0),
        };
        struct ingress_kv *cm = pairs(a, "configmap", &o.n_configmap);
        struct ingress_kv *sel = pairs(a, "node_selector", &o.n_node_selector);
        const char **args = addon_strings(a, "extra_args", &o.n_extra_args);
        struct abuf tol;
        abuf_init(&tol);
        const struct pharos_config_node *t = addon_opt(a, "tolerations");
        if (t)
                addon_json(a, t, 0, &tol);
        char bad[64] = "out of memory";
        char *yaml = NULL;
        if (cm && sel && args && tol.ok) {
                o.configmap = cm;
                o.node_selector = sel;
                o.extra_args = args;
                o.tolerations = tol.s;
                yaml = ingress_render(&o, bad, sizeof(bad));
        }
        free(cm);
        free(sel);
        free(args);
        abuf_free(&tol);
        if (!yaml)
                H->step_fail(ctx, "cannot render the ingress-nginx manifests (%s)", bad);
        return yaml;
}

/* cert-manager's webhook validates the Issuer and Certificate of the admission webhook. */
static int ready(const struct addon *a, struct pharos_step_ctx *ctx)
{
        if (!addon_bool(a, "admission_webhook.enabled", 0))
                return 0;
        return addon_wait_deployment(a, ctx, "cert-manager", "cert-manager-webhook", 180);
}

static int check(const struct addon *a, struct pharos_step_ctx *ctx)
{
        if (addon_bool(a, "admission_webhook.enabled", 0) && !addon_enabled(a, "cert-manager")) {
                pharos_refuse(a->H, ctx,
                              "addons.ingress-nginx.admission_webhook: its certificate "
                              "comes from cert-manager: enable addons.cert-manager, or "
                              "disable the webhook");
                return -1;
        }
        return 0;
}

static const struct addon_stack stacks[] = {
        {.name = "ingress-nginx", .render = render, .ready = ready}};

static struct addon addon = {
        .key = "ingress-nginx", .stacks = stacks, .n_stacks = 1, .check = check};

static const char *const after[] = {"?addon-cert-manager.apply", NULL};

static int ingress_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        *state = &addon;
        return addon_register(&addon, after, "addon-ingress-nginx.apply",
                              "addon-ingress-nginx.dependencies",
                              "apply or remove the ingress-nginx stack");
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-ingress-nginx",
        .version = "1.12.0",
        .description = "ingress-nginx: HTTP(S) ingress controller",
        .config_section = "addons.ingress-nginx",
        .config_schema = &schema,
        .init = ingress_init,
};

PHAROS_PLUGIN_DECLARE(addon_ingress_nginx, desc)
