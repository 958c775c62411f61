/*
 * ${VAR} and ${VAR:-default} substitution in cluster.yml values, from the
 * process environment. "$${" stands for a literal "${". Done per scalar
 * after parsing, so a variable's value can never change the document's
 * structure and a problem points at the exact column of the reference.
 */
#ifndef PHAROS_CORE_CONFIG_ENVSUBST_H
#define PHAROS_CORE_CONFIG_ENVSUBST_H

#include <stddef.h>

struct cfg_subst_error {
        size_t offset; /* byte offset of the offending "${" in the input */
        char msg[512];
};

/*
 * Expands `in` into a new string *out (caller frees). Returns 0, 1 when
 * nothing needed expanding (*out is still a copy), -1 with e filled when a
 * reference is malformed or names an unset variable without default, or
 * PERR_NOMEM.
 */
int cfg_envsubst(const char *in, char **out, struct cfg_subst_error *e);

#endif
