/* The pharos command line: the built-in commands and what they share. */
#ifndef PHAROS_CORE_CLI_H
#define PHAROS_CORE_CLI_H

#include <stdio.h>

#include "plugin/loader.h"
#include "plugin/registry.h"
#include "util/error.h"

/* State shared by every command of one invocation. */
struct cli_ctx {
        struct registry reg; /* loaded plugins (after cli_load_plugins) */
        int plugins_loaded;
        size_t plugins_rejected;   /* how many plugin files were refused */
        struct loader_opts lopts;  /* paths taken from plugin_paths when loading */
        const char **plugin_paths; /* --plugin-path values (malloc'd array, main frees) */
        size_t n_plugin_paths;
};

/* An option as --help, the man page and the completion scripts show it. */
struct cli_option {
        const char *short_name; /* "-v", or NULL */
        const char *long_name;  /* "--verbose" */
        const char *arg;        /* the value's placeholder ("DIR"), NULL for a flag */
        const char *help;       /* one line */
};

/* The global options, ending with an all-NULL entry. */
extern const struct cli_option cli_global_options[];

/* Texts shared by `pharos help` and `pharos man`. */
extern const char cli_about[];       /* what pharos is: one paragraph */
extern const char cli_environment[]; /* the environment variables read */
extern const char cli_exit_status[]; /* the exit codes */

/*
 * Takes the global option at argv[*i] (and its value, moving *i past it).
 * Returns 1 if it was one, 0 if not, or PERR_USAGE/PERR_NOMEM with err set.
 * --version and --help are not taken: they mean something before the command only.
 */
int cli_take_global(struct cli_ctx *ctx, int argc, char **argv, int *i, struct pharos_error *err);

/* "-v, --verbose" or "--plugin-path DIR" into buf. */
void cli_option_names(const struct cli_option *o, char *buf, size_t size);

/* The "Global options:" block of --help. */
void cli_print_global_options(FILE *f);

enum cli_flags {
        /* The command's own parser decides where its options end (a remote
         * command line follows them) and takes global options among its own
         * (cli_take_global); main passes its arguments untouched. */
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

/* Loads the plugins once (search order in plugin/loader.h), with the
 * --plugin-path values taken so far. */
void cli_load_plugins(struct cli_ctx *ctx);

/* Prints the command's usage to f. */
void cli_usage(const struct cli_command *c, FILE *f);

/* Reports a usage error for command c and returns exit code 2. */
int cli_usage_error(const struct cli_command *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* True if arg is -h or --help. */
int cli_is_help(const char *arg);

#endif
