/*
 * addon-host-upgrades: unattended package upgrades on every host, run by a
 * systemd timer (pharos-host-upgrades.timer) on the cron schedule of
 * addons.host-upgrades.schedule, spread over schedule_window. With reboot,
 * a host reboots when the upgrade needs it; with drain too, kured (which
 * must then be enabled) drains the node first. Disabling the addon, or
 * `pharos reset`, removes the timer, the service and the program.
 */
#include <stdio.h>
#include <string.h>

#include <pharos/plugin.h>
#include <pharos/refuse.h>

#include "addon-host-upgrades_scripts.h"
#include "addon.h"
#include "hu_render.h"

#define TIMER_PATH   "/etc/systemd/system/pharos-host-upgrades.timer"
#define PROGRAM_PATH "/usr/local/libexec/pharos-host-upgrades"

static const struct pharos_config_field fields[] = {
        {.key = "schedule",
         .type = PHAROS_CFG_STRING,
         .default_value = "0 3 * * *",
         .help = "when to upgrade: cron (minute hour day month weekday) or @daily ..."},
        {.key = "schedule_window",
         .type = PHAROS_CFG_STRING,
         .default_value = "0",
         .help = "spread the start over this long (30m, 1h, 2h30m ...)"},
        {.key = "reboot",
         .type = PHAROS_CFG_BOOL,
         .default_value = "false",
         .help = "reboot when an upgrade needs it"},
        {.key = "drain",
         .type = PHAROS_CFG_BOOL,
         .default_value = "true",
         .help = "drain the node before rebooting (done by kured: needs addons.kured)"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

static struct addon addon = {.key = "host-upgrades"};

/* The timer's settings from cluster.yml; <0 after pharos_refuse naming the key. */
static int settings(struct pharos_step_ctx *ctx, char *calendar, size_t cal_size, char *window,
                    size_t win_size)
{
        char why[256];
        const char *schedule = addon_str(&addon, "schedule", "0 3 * * *");
        if (hu_calendar(schedule, calendar, cal_size, why, sizeof(why)) < 0) {
                pharos_refuse(addon.H, ctx, "addons.host-upgrades.schedule: %s", why);
                return -1;
        }
        const char *w = addon_str(&addon, "schedule_window", "0");
        if (hu_window(w, window, win_size) < 0) {
                pharos_refuse(addon.H, ctx,
                              "addons.host-upgrades.schedule_window: '%s' is not a duration "
                              "(e.g. 45m, 1h30m, 2h; at most 366d)",
                              w);
                return -1;
        }
        return 0;
}

static int check(const struct addon *a, struct pharos_step_ctx *ctx)
{
        char calendar[512], window[32];
        if (settings(ctx, calendar, sizeof(calendar), window, sizeof(window)) < 0)
                return -1;
        if (addon_bool(a, "reboot", 0) && addon_bool(a, "drain", 1) && !addon_enabled(a, "kured")) {
                pharos_refuse(a->H, ctx,
                              "addons.host-upgrades.drain: draining before a reboot is "
                              "kured's job: enable addons.kured, or set drain: false");
                return -1;
        }
        return 0;
}

/* Runs the host script; *changed tells whether it changed (or, checking, would change) anything. */
static int host_script(struct pharos_step_ctx *ctx, const char *action, int *changed)
{
        const struct pharos_host *H = addon.H;
        char calendar[512] = "", window[32] = "";
        if (strcmp(action, "remove") != 0 &&
            settings(ctx, calendar, sizeof(calendar), window, sizeof(window)) < 0)
                return -1;
        const struct pharos_env env[] = {
                {"ACTION", action},
                {"CALENDAR", calendar},
                {"WINDOW", window},
                {"REBOOT", addon_bool(&addon, "reboot", 0) ? "true" : "false"},
                {"DRAIN", addon_bool(&addon, "drain", 1) ? "true" : "false"},
                {"PROGRAM", script_upgrade_sh},
        };
        struct pharos_exec_result res;
        if (H->step_script(ctx, script_host_upgrades_sh, env, sizeof(env) / sizeof(env[0]),
                           PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, &res) < 0)
                return -1;
        /* The last line says whether anything changed; the pharos-change lines say what. */
        char what[512] = "";
        size_t len = 0;
        const char *last = NULL;
        for (const char *line = res.out; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t)(nl - line) : strlen(line);
                if (n > 15 && strncmp(line, "pharos-change: ", 15) == 0 && len < sizeof(what))
                        len += (size_t)snprintf(what + len, sizeof(what) - len, "%s%.*s",
                                                len ? ", " : "", (int)(n - 15), line + 15);
                last = line;
                line = nl ? nl + 1 : NULL;
        }
        *changed = last && strncmp(last, "changed", 7) == 0;
        if (!last || (!*changed && strncmp(last, "unchanged", 9) != 0)) {
                H->step_fail(ctx, "the host-upgrades script gave no result");
                return -1;
        }
        if (*changed && strcmp(action, "check") == 0)
                H->step_reason(ctx, "%s", what);
        else if (*changed)
                H->step_changed(ctx, "%s", what);
        return 0;
}

/* 1 when the host has what the addon installs. */
static int installed(struct pharos_step_ctx *ctx)
{
        const char *data;
        size_t len;
        return addon.H->step_read_file(ctx, TIMER_PATH, &data, &len) == 0 ||
               addon.H->step_read_file(ctx, PROGRAM_PATH, &data, &len) == 0;
}

static int host_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!addon_enabled(&addon, addon.key)) {
                if (!installed(ctx))
                        return 0;
                addon.H->step_reason(ctx, "addons.host-upgrades is not enabled: remove its timer");
                return 1;
        }
        int changed = 0;
        if (host_script(ctx, "check", &changed) < 0)
                return -1;
        return changed;
}

static int host_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        int changed = 0;
        return host_script(ctx, addon_enabled(&addon, addon.key) ? "install" : "remove", &changed);
}

static int reset_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!installed(ctx))
                return 0;
        addon.H->step_reason(ctx, "remove the host upgrades timer");
        return 1;
}

static int reset_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        int changed = 0;
        return host_script(ctx, "remove", &changed);
}

/* prefetch(): these applies() only read; what they ask the host is recorded. */
static void host_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)host_applies(ctx, state);
}

static void reset_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)reset_applies(ctx, state);
}

static const char *const after_kured[] = {"?addon-kured.apply", NULL};

static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "addon-host-upgrades.dependencies",
         .phase = "validate",
         .flags = PHAROS_STEP_ONCE,
         .description = "check the schedule and that kured is enabled when it must drain",
         .applies = addon_check_applies,
         .run = addon_check_run},
        {.struct_size = sizeof(struct pharos_step),
         .id = "addon-host-upgrades.host",
         .phase = "addons",
         .after = after_kured,
         .description = "install or remove the host upgrades timer",
         .applies = host_applies,
         .run = host_run,
         .prefetch = host_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "addon-host-upgrades.reset",
         .phase = "reset-host",
         .description = "remove the host upgrades timer",
         .applies = reset_applies,
         .run = reset_run,
         .prefetch = reset_prefetch},
};

static int hu_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        addon.check = check;
        *state = &addon;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return 0;
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-host-upgrades",
        .version = "1.0.0",
        .description = "scheduled package upgrades on every host (systemd timer)",
        .config_section = "addons.host-upgrades",
        .config_schema = &schema,
        .init = hu_init,
};

PHAROS_PLUGIN_DECLARE(addon_host_upgrades, desc)
