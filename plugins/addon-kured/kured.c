/*
 * addon-kured: the Kubernetes reboot daemon as the "kured" stack while
 * addons.kured.enabled. It drains and reboots nodes that ask for a reboot
 * (/var/run/reboot-required), one at a time; addon-host-upgrades relies on
 * it when it must drain before rebooting.
 */
#include <stdlib.h>

#include <pharos/plugin.h>

#include "addon.h"
#include "kured_render.h"

static const struct pharos_config_field string_item = {.type = PHAROS_CFG_STRING};
static const char *const days[] = {"su", "mo", "tu", "we", "th", "fr", "sa", NULL};
static const struct pharos_config_field day_item = {.type = PHAROS_CFG_STRING, .enum_values = days};

static const struct pharos_config_field fields[] = {
        {.key = "image",
         .type = PHAROS_CFG_STRING,
         .default_value = KURED_IMAGE,
         .help = "kured image"},
        {.key = "period",
         .type = PHAROS_CFG_STRING,
         .default_value = "1h",
         .help = "how often each node checks whether it must reboot"},
        {.key = "reboot_days",
         .type = PHAROS_CFG_LIST,
         .item = &day_item,
         .help = "days reboots may happen on (su, mo ... sa; default every day)"},
        {.key = "start_time", .type = PHAROS_CFG_STRING, .help = "reboot window start, e.g. 2am"},
        {.key = "end_time", .type = PHAROS_CFG_STRING, .help = "reboot window end, e.g. 6am"},
        {.key = "time_zone",
         .type = PHAROS_CFG_STRING,
         .help = "time zone of the window (default UTC)"},
        {.key = "extra_args",
         .type = PHAROS_CFG_LIST,
         .item = &string_item,
         .help = "more kured arguments"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

static char *render(const struct addon *a, struct pharos_step_ctx *ctx)
{
        struct kured_opts o = {
                .image = addon_str(a, "image", KURED_IMAGE),
                .period = addon_str(a, "period", "1h"),
                .start_time = addon_str(a, "start_time", NULL),
                .end_time = addon_str(a, "end_time", NULL),
                .time_zone = addon_str(a, "time_zone", NULL),
        };
        const char **d = addon_strings(a, "reboot_days", &o.n_reboot_days);
        const char **x = addon_strings(a, "extra_args", &o.n_extra_args);
        char bad[64] = "out of memory";
        char *yaml = NULL;
        if (d && x) {
                o.reboot_days = d;
                o.extra_args = x;
                yaml = kured_render(&o, bad, sizeof(bad));
        }
        free(d);
        free(x);
        if (!yaml)
                a->H->step_fail(ctx, "cannot render the kured manifests (%s)", bad);
        return yaml;
}

static const struct addon_stack stacks[] = {{.name = "kured", .render = render}};

static struct addon addon = {.key = "kured", .stacks = stacks, .n_stacks = 1};

static int kured_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        *state = &addon;
        return addon_register(&addon, NULL, "addon-kured.apply", NULL,
                              "apply or remove the kured stack");
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-kured",
        .version = "1.16.0",
        .description = "kured: drains and reboots nodes that need a reboot, one at a time",
        .config_section = "addons.kured",
        .config_schema = &schema,
        .init = kured_init,
};

PHAROS_PLUGIN_DECLARE(addon_kured, desc)
