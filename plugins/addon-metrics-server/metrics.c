/*
 * addon-metrics-server: the resource metrics API (kubectl top, the
 * horizontal pod autoscaler) as the "metrics-server" stack while
 * addons.metrics-server.enabled.
 */
#include <stdlib.h>

#include <pharos/plugin.h>

#include "addon.h"
#include "metrics_render.h"

static const struct pharos_config_field string_item = {.type = PHAROS_CFG_STRING};

static const struct pharos_config_field fields[] = {
        {.key = "image",
         .type = PHAROS_CFG_STRING,
         .default_value = METRICS_IMAGE,
         .help = "metrics-server image"},
        {.key = "replicas",
         .type = PHAROS_CFG_INT,
         .default_value = "1",
         .min = 1,
         .max = 10,
         .help = "replicas of the metrics-server Deployment"},
        {.key = "kubelet_insecure_tls",
         .type = PHAROS_CFG_BOOL,
         .default_value = "true",
         .help = "skip verifying the kubelets' self-signed serving certificates"},
        {.key = "extra_args",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "more metrics-server arguments"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

static char *render(const struct addon *a, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = a->H;
        size_t n = 0;
        const char **args = addon_strings(a, "extra_args", &n);
        if (!args) {
                H->step_fail(ctx, "out of memory");
                return NULL;
        }
        int64_t replicas = 1;
        H->config_int(addon_opt(a, "replicas"), &replicas);
        const struct metrics_opts o = {
                .image = addon_str(a, "image", METRICS_IMAGE),
                .replicas = (long)replicas,
                .kubelet_insecure_tls = addon_bool(a, "kubelet_insecure_tls", 1),
                .extra_args = args,
                .n_extra_args = n,
        };
        char bad[64];
        char *yaml = metrics_render(&o, bad, sizeof(bad));
        free(args);
        if (!yaml)
                H->step_fail(ctx, "cannot render the metrics-server manifests (%s)", bad);
        return yaml;
}

static const struct addon_stack stacks[] = {{.name = "metrics-server", .render = render}};

static struct addon addon = {
        .key = "metrics-server",
        .stacks = stacks,
        .n_stacks = 1,
};

static int metrics_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        *state = &addon;
        return addon_register(&addon, NULL, "addon-metrics-server.apply", NULL,
                              "apply or remove the metrics-server stack");
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-metrics-server",
        .version = "0.7.2",
        .description = "metrics-server: the resource metrics API (kubectl top, autoscaling)",
        .config_section = "addons.metrics-server",
        .config_schema = &schema,
        .init = metrics_init,
};

PHAROS_PLUGIN_DECLARE(addon_metrics_server, desc)
