/* The pharos command line: the built-in commands and what they share. */
#ifndef PHAROS_CORE_CLI_H
#define PHAROS_CORE_CLI_H

#include <stdio.h>

#include "plugin/loader.h"
#include "plugin/registry.h"

/* State shared by every command of one invocation. */
struct cli_ctx {
        struct registry reg; /* loaded plugins (after cli_load_plugins) */
        int plugins_loaded;
        size_t plugins_rejected; /* how many plugin files were refused */
        struct loader_opts lopts;
};

enum cli_flags {
        /* Global options are taken only before the command name, so everything
         * after it (a remote command line) reaches the command untouched. */
        CLI_RAW_ARGS = 1u << 0,
};

/* A built-in command. run() gets argv with argv[0] = the command name. */
struct cli_command {
        const char *name;
        const char *summary; /* one line for `pharos help` */
        const char *usage;   /* full --help text */
        unsigned flags;      /* enum cli_flags */
        int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

/* NULL-terminated table of the built-in commands (commands.c). */
extern const struct cli_command *const cli_commands[];

/* Loads the plugins once (search order in plugin/loader.h). */
void cli_load_plugins(struct cli_ctx *ctx);

/* Prints the command's usage to f. */
void cli_usage(const struct cli_command *c, FILE *f);

/* Reports a usage error for command c and returns exit code 2. */
int cli_usage_error(const struct cli_command *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* True if arg is -h or --help. */
int cli_is_help(const char *arg);

#endif
