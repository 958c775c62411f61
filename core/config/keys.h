/*
 * `pharos config keys`: every key cluster.yml takes, from the core schema and
 * the loaded plugins' section schemas, with its type, default, allowed values
 * and one line of help. Derived from the schemas, so it cannot miss a key.
 */
#ifndef PHAROS_CORE_CONFIG_KEYS_H
#define PHAROS_CORE_CONFIG_KEYS_H

#include <stdio.h>

struct registry;

/* Prints the reference to out; reg (may be NULL) adds the loaded plugins' sections.
 * Returns how many core keys have no help line (keys_help.c), for the tests. */
int cfg_keys_print(FILE *out, const struct registry *reg);

/* The help line of a core schema path ("hosts.*.role"), or NULL. Static text. */
const char *cfg_key_help(const char *path);

#endif
