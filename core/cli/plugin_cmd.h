/*
 * Plugin commands: argv parsed by the command's declared parameter types,
 * then the plugin function called through libffi.
 */
#ifndef PHAROS_CORE_PLUGIN_CMD_H
#define PHAROS_CORE_PLUGIN_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pharos/host.h>

#include "plugin/registry.h"
#include "util/error.h"

/* One converted argument; strings point into argv or the declared default. */
struct pcmd_value {
        uint32_t type; /* enum pharos_param_type */
        union {
                const char *s;
                int64_t i;
                int b;
                double d;
        } v;
};

/* Converts one textual value by type; PERR_USAGE with err on bad input. */
int pcmd_convert(uint32_t type, const char *text, struct pcmd_value *out, struct pharos_error *err);

/*
 * Fills vals[0..n_params-1] from argv (argv[0] is the first argument after
 * the command words). Returns 0, 1 when --help was asked, or PERR_USAGE with
 * err saying what is wrong (unknown option, missing or surplus argument, a
 * value that does not fit the type).
 */
int pcmd_parse(const struct pharos_command *c, int argc, char **argv, struct pcmd_value *vals,
               struct pharos_error *err);

/* Calls c->fn(state, vals...) through libffi and stores its return in *ret. */
int pcmd_call(const struct pharos_command *c, void *state, const struct pcmd_value *vals, int *ret,
              struct pharos_error *err);

/* Writes "usage: pharos NAME ARGS..." and the parameter help to f. */
void pcmd_usage(const struct pharos_command *c, FILE *f);

/*
 * Finds the registered command whose words are the longest prefix of argv;
 * *words gets how many argv entries its name took. NULL when none matches.
 */
const struct reg_command *pcmd_find(const struct registry *r, int argc, char **argv, int *words);

/* Parses and runs a plugin command; returns the process exit code. */
int pcmd_run(const struct reg_command *rc, int argc, char **argv);

#endif
