/* pharos addons: the addon plugins pharos has loaded, their state in cluster.yml and options. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"

extern const struct cli_command cmd_addons;

#define ADDONS_PREFIX "addons."

static const char *type_name(uint32_t t)
{
        static const char *const names[] = {"?",   "string", "integer",        "boolean", "number",
                                            "map", "list",   "map of strings", "any"};
        return t <= PHAROS_CFG_ANY ? names[t] : "?";
}

/* One schema field and, for maps and lists of maps, the fields under it. */
static void print_field(const struct pharos_config_field *f, int depth)
{
        if (depth > 8)
                return;
        const struct pharos_config_field *inner = f->type == PHAROS_CFG_MAP ? f->fields : NULL;
        char type[64];
        if (f->type == PHAROS_CFG_LIST && f->item) {
                snprintf(type, sizeof(type), "list of %s", type_name(f->item->type));
                if (f->item->type == PHAROS_CFG_MAP)
                        inner = f->item->fields;
        } else {
                snprintf(type, sizeof(type), "%s", type_name(f->type));
        }
        printf("%*s%s: %s", 4 + 2 * depth, "", f->key, type);
        if (f->flags & PHAROS_CFG_REQUIRED)
                printf(", required");
        if (f->enum_values) {
                printf(", one of ");
                for (const char *const *e = f->enum_values; *e; e++)
                        printf("%s%s", e == f->enum_values ? "" : "|", *e);
        }
        if (f->type == PHAROS_CFG_INT && f->max > f->min)
                printf(", %lld..%lld", (long long)f->min, (long long)f->max);
        if (f->default_value)
                printf(", default %s", f->default_value);
        if (f->help)
                printf("  # %s", f->help);
        printf("\n");
        for (size_t i = 0; inner && inner[i].key; i++)
                print_field(&inner[i], depth + 1);
}

/* "enabled", "disabled" or, without a cluster.yml, "-". */
static const char *state_of(const struct cluster_config *cfg, const char *name)
{
        if (!cfg)
                return "-";
        for (size_t i = 0; i < cfg->doc->n_addons; i++)
                if (strcmp(cfg->doc->addons[i].name, name) == 0)
                        return cfg->doc->addons[i].enabled ? "enabled" : "disabled";
        return "disabled";
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        const char *file = NULL;
        for (int i = 1; i < argc; i++) {
                if (cli_is_help(argv[i])) {
                        cli_usage(&cmd_addons, stdout);
                        return 0;
                }
                if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
                        if (++i >= argc)
                                return cli_usage_error(&cmd_addons, "%s needs a file", argv[i - 1]);
                        file = argv[i];
                } else if (strncmp(argv[i], "--config=", 9) == 0) {
                        file = argv[i] + 9;
                } else {
                        return cli_usage_error(&cmd_addons, "unexpected argument '%s'", argv[i]);
                }
        }
        cli_load_plugins(ctx);
        struct cluster_config *cfg = NULL;
        /* Without -c the listing works outside a cluster directory too. */
        if (file || access("cluster.yml", F_OK) == 0) {
                struct pharos_error err = {0};
                if (cfg_load(file ? file : "cluster.yml", &ctx->reg, &cfg, &err) < 0) {
                        fprintf(stderr, "error: %s\n", err.msg);
                        return perr_exit_code(err.code);
                }
        }
        size_t shown = 0;
        for (size_t i = 0; i < ctx->reg.n_plugins; i++) {
                const struct pharos_plugin_desc *d = &ctx->reg.plugins[i]->desc;
                const char *sec = d->config_section;
                if (d->kind != PHAROS_KIND_ADDON || !sec ||
                    strncmp(sec, ADDONS_PREFIX, strlen(ADDONS_PREFIX)) != 0)
                        continue;
                const char *name = sec + strlen(ADDONS_PREFIX);
                printf("%s%-20s %-9s %s %s\n", shown++ ? "\n" : "", name, state_of(cfg, name),
                       d->name, d->version);
                printf("    %s\n", d->description);
                printf("    enabled: boolean, default false\n");
                const struct pharos_config_schema *s = d->config_schema;
                for (size_t k = 0; s && s->fields && s->fields[k].key; k++)
                        print_field(&s->fields[k], 0);
        }
        if (!shown)
                printf("(no addon plugins loaded; see 'pharos help' for the plugin search path)\n");
        cfg_free(cfg);
        return 0;
}

const struct cli_command cmd_addons = {
        .name = "addons",
        .summary = "List the addons, whether cluster.yml enables them, and their options",
        .usage = "usage: pharos addons [-c FILE]\n"
                 "\n"
                 "Lists every loaded addon plugin: the addon's name (its key under `addons:`),\n"
                 "whether FILE enables it (enabled, disabled; - without a cluster.yml), the\n"
                 "plugin and its version, then the options it takes with their types and\n"
                 "defaults.\n"
                 "\n"
                 "-c, --config FILE   the configuration (default ./cluster.yml if it exists;\n"
                 "                    - reads stdin); it is validated first (exit 2 on errors)\n",
        .run = run,
};
