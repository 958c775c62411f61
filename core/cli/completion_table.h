/*
 * What completes after each command path ("", "plugins", "good echo"), built
 * from the same command table `pharos help` prints: the built-in commands'
 * usage texts (usage_scan.h) and the plugin commands' declared parameters.
 */
#ifndef PHAROS_CORE_CLI_COMPLETION_TABLE_H
#define PHAROS_CORE_CLI_COMPLETION_TABLE_H

#include <stddef.h>

#include "cli/cli.h"

/* One key and its space-separated words. */
struct ct_entry {
        char *key;   /* a command path, or "PATH|OPTION" in ct.args (owned) */
        char *words; /* owned */
};

/* A list of keys with their words, in the order first added. */
struct ct_list {
        struct ct_entry *e;
        size_t n;
};

struct completion_table {
        struct ct_list next; /* path -> the subcommand words that may follow */
        struct ct_list opts; /* path -> its option names */
        /* "PATH|OPTION" -> what its value is: "file", "dir", "values A B", "any" */
        struct ct_list args;
        struct ct_list raw; /* paths after whose first argument nothing is an option */
};

/* Fills t from the built-in commands and the commands registered in ctx->reg
 * (plugins already loaded). Returns 0, or -1 when out of memory. */
int ct_build(struct completion_table *t, const struct cli_ctx *ctx);

void ct_free(struct completion_table *t);

#endif
