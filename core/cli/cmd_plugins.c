#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "cli/cli.h"
#include "plugin/loader.h"
#include "plugin/step_order.h"
#include "seq/sequencer.h"
#include "seq/phases.h"
#include "util/log.h"

extern const struct cli_command cmd_plugins;

static const char *kind_name(uint32_t kind)
{
        static const char *const names[] = {
                "?", "os", "runtime", "network", "addon", "control-plane", "other"};
        return kind <= PHAROS_KIND_OTHER ? names[kind] : "?";
}

static void gen_str(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static int list_json(const struct registry *r)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return 1;
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_array_open(g);
        for (size_t i = 0; i < r->n_plugins; i++) {
                const struct pharos_plugin *p = r->plugins[i];
                char abi[32];
                snprintf(abi, sizeof(abi), "%u.%u", p->desc.abi_major, p->desc.abi_minor);
                yajl_gen_map_open(g);
                gen_str(g, "name");
                gen_str(g, p->desc.name);
                gen_str(g, "kind");
                gen_str(g, kind_name(p->desc.kind));
                gen_str(g, "version");
                gen_str(g, p->desc.version);
                gen_str(g, "abi");
                gen_str(g, abi);
                gen_str(g, "origin");
                gen_str(g, p->origin);
                gen_str(g, "description");
                gen_str(g, p->desc.description);
                gen_str(g, "steps");
                yajl_gen_integer(g, (long long)registry_count_steps(r, p));
                gen_str(g, "commands");
                yajl_gen_integer(g, (long long)registry_count_commands(r, p));
                yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        fwrite(buf, 1, len, stdout);
        yajl_gen_free(g);
        return 0;
}

static int list_table(const struct registry *r)
{
        printf("%-22s %-13s %-10s %-5s %-6s %-8s %s\n", "NAME", "KIND", "VERSION", "ABI", "STEPS",
               "COMMANDS", "ORIGIN");
        for (size_t i = 0; i < r->n_plugins; i++) {
                const struct pharos_plugin *p = r->plugins[i];
                char abi[32];
                snprintf(abi, sizeof(abi), "%u.%u", p->desc.abi_major, p->desc.abi_minor);
                printf("%-22s %-13s %-10s %-5s %-6zu %-8zu %s\n", p->desc.name,
                       kind_name(p->desc.kind), p->desc.version, abi, registry_count_steps(r, p),
                       registry_count_commands(r, p), p->origin);
        }
        if (!r->n_plugins)
                printf("(no plugins found; see 'pharos help' for the plugin search path)\n");
        return 0;
}

static int cmd_list(struct cli_ctx *ctx, int argc, char **argv)
{
        const char *output = "table";
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--output") == 0 || strcmp(argv[i], "-o") == 0) {
                        if (++i >= argc)
                                return cli_usage_error(&cmd_plugins, "%s needs table or json",
                                                       argv[i - 1]);
                        output = argv[i];
                } else if (strncmp(argv[i], "--output=", 9) == 0) {
                        output = argv[i] + 9;
                } else {
                        return cli_usage_error(&cmd_plugins, "list: unexpected argument '%s'",
                                               argv[i]);
                }
        }
        if (strcmp(output, "json") != 0 && strcmp(output, "table") != 0)
                return cli_usage_error(&cmd_plugins, "--output must be table or json, not '%s'",
                                       output);
        cli_load_plugins(ctx);
        return strcmp(output, "json") == 0 ? list_json(&ctx->reg) : list_table(&ctx->reg);
}

/* Resolves the steps of two registries together (the loaded set plus the checked file). */
static int resolve_together(const struct registry *a, const struct registry *b,
                            struct pharos_error *err)
{
        size_t n = a->n_steps + b->n_steps;
        struct seq_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
        size_t *order = calloc(n ? n : 1, sizeof(*order));
        int rc = PERR_NOMEM;
        if (nodes && order) {
                for (size_t i = 0; i < n; i++) {
                        const struct pharos_step *s =
                                i < a->n_steps ? &a->steps[i].step : &b->steps[i - a->n_steps].step;
                        nodes[i] = (struct seq_node){s->id, s->phase, s->after, s->before};
                }
                rc = seq_resolve(phase_names, phase_count(), nodes, n, order, err);
        } else {
                perr_set(err, rc, "out of memory");
        }
        free(nodes);
        free(order);
        return rc;
}

static int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc != 2)
                return cli_usage_error(&cmd_plugins, "check needs exactly one FILE");
        const char *path = argv[1];
        struct registry scratch;
        struct pharos_error err = {0};
        int rc = 1;

        /* The loaded set is needed to check references into other plugins' steps. */
        cli_load_plugins(ctx);
        registry_init(&scratch);
        /* Checking the steps a plugin registers means running it: say so first. */
        printf("%s: loading it into this pharos and running its init() to see what it "
               "registers\n",
               path);
        fflush(stdout);
        if (loader_load_file(&scratch, path, &err) < 0) {
                printf("%s\n", err.msg);
                goto out;
        }
        const struct pharos_plugin *p = scratch.plugins[0];
        const struct pharos_plugin *same = registry_find(&ctx->reg, p->desc.name);
        char real_a[PATH_MAX], real_b[PATH_MAX];
        int same_file = same && realpath(path, real_a) && realpath(same->origin, real_b) &&
                        strcmp(real_a, real_b) == 0;
        struct registry empty;
        registry_init(&empty);
        const struct registry *others = same_file ? &empty : &ctx->reg;
        if (same && !same_file) {
                printf("%s: plugin '%s' is already provided by %s; this file would be ignored\n",
                       path, p->desc.name, same->origin);
                goto out;
        }
        if (resolve_together(others, &scratch, &err) < 0) {
                printf("%s: rejected: %s\n", path, err.msg);
                goto out;
        }
        printf("%s: ok: plugin '%s' (%s) version %s, ABI %u.%u, %zu steps, %zu commands\n", path,
               p->desc.name, kind_name(p->desc.kind), p->desc.version, p->desc.abi_major,
               p->desc.abi_minor, scratch.n_steps, scratch.n_cmds);
        rc = 0;
out:
        registry_free(&scratch);
        return rc;
}

static int cmd_steps(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc != 1)
                return cli_usage_error(&cmd_plugins, "steps: unexpected argument '%s'", argv[1]);
        cli_load_plugins(ctx);
        size_t *order = NULL;
        struct pharos_error err = {0};
        if (steps_resolve(&ctx->reg, &order, &err) < 0) {
                log_error("%s", err.msg);
                return 2;
        }
        for (const struct phase_sequence *seq = phase_sequences; seq->name; seq++) {
                printf("%s:\n", seq->name);
                for (const char *const *ph = seq->phases; *ph; ph++) {
                        printf("  %s\n", *ph);
                        for (size_t k = 0; k < ctx->reg.n_steps; k++) {
                                const struct reg_step *s = &ctx->reg.steps[order[k]];
                                if (strcmp(s->step.phase, *ph) == 0)
                                        printf("    %-32s [%s] %s\n", s->step.id,
                                               s->owner->desc.name,
                                               s->step.description ? s->step.description : "");
                        }
                }
        }
        free(order);
        return 0;
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc < 2 || cli_is_help(argv[1])) {
                cli_usage(&cmd_plugins, argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        for (int i = 2; i < argc; i++)
                if (cli_is_help(argv[i])) {
                        cli_usage(&cmd_plugins, stdout);
                        return 0;
                }
        if (strcmp(argv[1], "list") == 0)
                return cmd_list(ctx, argc - 1, argv + 1);
        if (strcmp(argv[1], "check") == 0)
                return cmd_check(ctx, argc - 1, argv + 1);
        if (strcmp(argv[1], "steps") == 0)
                return cmd_steps(ctx, argc - 1, argv + 1);
        return cli_usage_error(&cmd_plugins, "unknown subcommand '%s'", argv[1]);
}

const struct cli_command cmd_plugins = {
        .name = "plugins",
        .summary = "List, check and order the loaded plugins",
        .usage = "usage: pharos plugins list [--output table|json]\n"
                 "       pharos plugins check FILE\n"
                 "       pharos plugins steps\n"
                 "\n"
                 "list    the loaded plugins: name, kind, version, ABI, steps, commands and\n"
                 "        origin (builtin or the .so path)\n"
                 "check   validate a plugin file without registering it (exit 0, or 1 and why);\n"
                 "        this loads FILE and runs its init(), so its code runs as you\n"
                 "steps   the registered steps per sequence and phase, in execution order\n"
                 "\n"
                 "Plugins are searched in: --plugin-path DIR, PHAROS_PLUGIN_PATH (colon list),\n"
                 "the plugins built into pharos, then the installed plugin directory. The\n"
                 "first plugin of a name wins. A plugin file or directory, or a directory above\n"
                 "it, that is writable by group or others or owned by another user than root\n"
                 "or you is refused.\n",
        .run = run,
};
