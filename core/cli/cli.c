#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_load_plugins(struct cli_ctx *ctx)
{
        if (ctx->plugins_loaded)
                return;
        ctx->plugins_loaded = 1;
        ctx->lopts.paths = ctx->plugin_paths;
        ctx->lopts.n_paths = ctx->n_plugin_paths;
        ctx->plugins_rejected = loader_load_all(&ctx->reg, &ctx->lopts);
}

void cli_usage(const struct cli_command *c, FILE *f)
{
        fputs(c->usage, f);
}

int cli_usage_error(const struct cli_command *c, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "pharos %s: ", c->name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nRun 'pharos %s --help' for usage.\n", c->name);
        return 2;
}

int cli_is_help(const char *arg)
{
        return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}
