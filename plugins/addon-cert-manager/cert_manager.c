/*
 * addon-cert-manager: cert-manager as the "cert-manager" stack and the
 * issuers of cluster.yml as the "cert-manager-issuers" stack, applied once
 * cert-manager's webhook answers (it validates every issuer), while
 * addons.cert-manager.enabled. Disabling removes the issuers first.
 */
#include <stdlib.h>

#include <pharos/plugin.h>

#include "addon.h"
#include "cm_render.h"

static const char *const issuer_kinds[] = {"ClusterIssuer", "Issuer", NULL};
static const struct pharos_config_field issuer_fields[] = {
        {.key = "name",
         .type = PHAROS_CFG_STRING,
         .flags = PHAROS_CFG_REQUIRED,
         .help = "object name"},
        {.key = "kind",
         .type = PHAROS_CFG_STRING,
         .enum_values = issuer_kinds,
         .default_value = "ClusterIssuer",
         .help = "ClusterIssuer (whole cluster) or Issuer (one namespace)"},
        {.key = "namespace",
         .type = PHAROS_CFG_STRING,
         .default_value = "default",
         .help = "namespace of an Issuer"},
        {.key = "spec",
         .type = PHAROS_CFG_ANY,
         .flags = PHAROS_CFG_REQUIRED,
         .help = "the issuer's spec (acme, ca, vault, selfSigned ...), as cert-manager takes it"},
        {0},
};
static const struct pharos_config_field issuer_item = {.type = PHAROS_CFG_MAP,
                                                       .fields = issuer_fields};
static const struct pharos_config_field ca_fields[] = {
        {.key = "enabled",
         .type = PHAROS_CFG_BOOL,
         .default_value = "false",
         .help = "create a self-signed root CA and a CA ClusterIssuer"},
        {.key = "name",
         .type = PHAROS_CFG_STRING,
         .default_value = "pharos-ca",
         .help = "name of the CA ClusterIssuer and of its secret"},
        {0},
};
static const struct pharos_config_field string_item = {.type = PHAROS_CFG_STRING};

static const struct pharos_config_field fields[] = {
        {.key = "issuers",
         .type = PHAROS_CFG_LIST,
         .item = &issuer_item,
         .help = "Issuers and ClusterIssuers to create"},
        {.key = "ca_issuer",
         .type = PHAROS_CFG_MAP,
         .fields = ca_fields,
         .help = "a cluster CA issuer"},
        {.key = "image_repository",
         .type = PHAROS_CFG_STRING,
         .default_value = CM_REPOSITORY,
         .help = "where the cert-manager-* images come from"},
        {.key = "extra_args",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "more cert-manager controller arguments"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

static char *render(const struct addon *a, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = a->H;
        struct cm_opts o = {.repository = addon_str(a, "image_repository", CM_REPOSITORY)};
        const char **args = addon_strings(a, "extra_args", &o.n_extra_args);
        char bad[64] = "out of memory";
        char *yaml = NULL;
        if (args) {
                o.extra_args = args;
                yaml = cm_render(&o, bad, sizeof(bad));
        }
        free(args);
        if (!yaml)
                H->step_fail(ctx, "cannot render the cert-manager manifests (%s)", bad);
        return yaml;
}

static char *render_issuers(const struct addon *a, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = a->H;
        const struct pharos_config_node *list = addon_opt(a, "issuers");
        size_t n = H->config_len(list);
        struct cm_issuer *is = calloc(n ? n : 1, sizeof(*is));
        struct abuf *specs = calloc(n ? n : 1, sizeof(*specs));
        char *yaml = NULL;
        int ok = is && specs;
        for (size_t i = 0; ok && i < n; i++) {
                const struct pharos_config_node *item = H->config_at(list, i);
                is[i].name = H->config_string(H->config_get(item, "name"));
                is[i].kind = H->config_string(H->config_get(item, "kind"));
                is[i].namespace = H->config_string(H->config_get(item, "namespace"));
                abuf_init(&specs[i]);
                addon_json(a, H->config_get(item, "spec"), 0, &specs[i]);
                is[i].spec = specs[i].s;
                ok = specs[i].ok && is[i].name;
        }
        if (ok)
                yaml = cm_render_issuers(is, n,
                                         addon_bool(a, "ca_issuer.enabled", 0)
                                                 ? addon_str(a, "ca_issuer.name", "pharos-ca")
                                                 : NULL);
        for (size_t i = 0; specs && i < n; i++)
                abuf_free(&specs[i]);
        free(specs);
        free(is);
        if (!yaml)
                H->step_fail(ctx, "cannot render the cert-manager issuers");
        return yaml;
}

/* The webhook validates issuers: until it answers, the API server refuses them. */
static int webhook_ready(const struct addon *a, struct pharos_step_ctx *ctx)
{
        return addon_wait_deployment(a, ctx, "cert-manager", "cert-manager-webhook", 180);
}

static const struct addon_stack stacks[] = {
        {.name = "cert-manager", .render = render},
        {.name = "cert-manager-issuers", .render = render_issuers, .ready = webhook_ready},
};

static struct addon addon = {.key = "cert-manager", .stacks = stacks, .n_stacks = 2};

static int cm_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        *state = &addon;
        return addon_register(&addon, NULL, "addon-cert-manager.apply", NULL,
                              "apply or remove cert-manager and its issuers");
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-cert-manager",
        .version = CM_VERSION,
        .description = "cert-manager: certificates from ACME, CA, Vault ... issuers",
        .config_section = "addons.cert-manager",
        .config_schema = &schema,
        .init = cm_init,
};

PHAROS_PLUGIN_DECLARE(addon_cert_manager, desc)
