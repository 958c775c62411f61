/* Global options: one table that parsing, --help, the man page and the shell
 * completion scripts all read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

enum global_id { G_PLUGIN_PATH, G_VERBOSE, G_DEBUG, G_NO_COLOR, G_COLOR, G_VERSION, G_HELP };

const struct cli_option cli_global_options[] = {
        [G_PLUGIN_PATH] = {NULL, "--plugin-path", "DIR",
                           "load plugins from DIR first (repeatable)"},
        [G_VERBOSE] = {"-v", "--verbose", NULL,
                       "show debug output; not the version (that is --version)"},
        [G_DEBUG] = {NULL, "--debug", NULL, "the same as --verbose"},
        [G_NO_COLOR] = {NULL, "--no-color", NULL, "no coloured output"},
        [G_COLOR] = {NULL, "--color", NULL, "coloured output even when not on a terminal"},
        [G_VERSION] = {NULL, "--version", NULL,
                       "print the version (as 'pharos version'); before the command"},
        [G_HELP] = {"-h", "--help", NULL, "list the commands; after a command, its usage"},
        {NULL, NULL, NULL, NULL},
};

/* The value of --plugin-path given in the same word ("--plugin-path=DIR"), or NULL. */
static const char *joined_value(const char *arg, const struct cli_option *o)
{
        size_t n = strlen(o->long_name);
        return o->arg && strncmp(arg, o->long_name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

int cli_take_global(struct cli_ctx *ctx, int argc, char **argv, int *i, struct pharos_error *err)
{
        const char *a = argv[*i];
        for (int k = G_PLUGIN_PATH; k <= G_COLOR; k++) {
                const struct cli_option *o = &cli_global_options[k];
                const char *val = joined_value(a, o);
                int named = strcmp(a, o->long_name) == 0 ||
                            (o->short_name && !strcmp(a, o->short_name));
                if (!named && !val)
                        continue;
                switch (k) {
                case G_VERBOSE:
                case G_DEBUG:
                        log_set_level(PHAROS_LOG_DEBUG);
                        return 1;
                case G_NO_COLOR:
                        log_set_color(0);
                        return 1;
                case G_COLOR:
                        log_set_color(1);
                        return 1;
                default:
                        break;
                }
                if (!val) {
                        if (*i + 1 >= argc)
                                return perr_set(err, PERR_USAGE, "%s needs a directory",
                                                o->long_name);
                        val = argv[++*i];
                }
                const char **grown =
                        realloc(ctx->plugin_paths, (ctx->n_plugin_paths + 1) * sizeof(*grown));
                if (!grown)
                        return perr_set(err, PERR_NOMEM, "out of memory");
                ctx->plugin_paths = grown;
                ctx->plugin_paths[ctx->n_plugin_paths++] = val;
                return 1;
        }
        return 0;
}

void cli_option_names(const struct cli_option *o, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s%s%s%s", o->short_name ? o->short_name : "",
                 o->short_name ? ", " : "", o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_print_global_options(FILE *f)
{
        fputs("Global options (after the command too, as kubectl takes them; nothing after\n"
              "\"--\" is an option):\n",
              f);
        for (const struct cli_option *o = cli_global_options; o->long_name; o++) {
                char names[64];
                cli_option_names(o, names, sizeof(names));
                fprintf(f, "  %-22s %s\n", names, o->help);
        }
}
