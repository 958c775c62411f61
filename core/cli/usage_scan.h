/*
 * Reading a built-in command's usage text (its --help) for what completion
 * and the man page need, so the usage text stays the only copy: the options
 * its option lines list ("  -c, --config FILE   text"), the subcommand words
 * of its synopsis ("usage: pharos plugins list ...", "       pharos plugins
 * check FILE", "pharos completion bash|zsh") and the values a synopsis gives an option ("[--output
 * text|json]").
 */
#ifndef PHAROS_CORE_CLI_USAGE_SCAN_H
#define PHAROS_CORE_CLI_USAGE_SCAN_H

#include <stddef.h>

/* One option line found: its names ("-c", "--config") and its value's
 * placeholder ("FILE"), "" for a flag. */
typedef void (*usage_option_fn)(void *ud, const char *const *names, size_t n, const char *arg);

/* A word found (a subcommand, or a value). */
typedef void (*usage_word_fn)(void *ud, const char *word);

/* Calls fn for each option the synopsis shows ("[--output text|json]"), then
 * for each option line of usage, in order; an option may come twice. */
void usage_scan_options(const char *usage, usage_option_fn fn, void *ud);

/* Calls fn for each distinct subcommand word of command `cmd`'s synopsis. */
void usage_scan_subcommands(const char *usage, const char *cmd, usage_word_fn fn, void *ud);

/* Calls fn for each value the synopsis lists for option `opt` ("text|json"). */
void usage_scan_values(const char *usage, const char *opt, usage_word_fn fn, void *ud);

#endif
