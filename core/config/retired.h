/*
 * Keys and values of the original's cluster.yml that pharos refuses: what
 * Kubernetes or the original dropped, and what pharos does not do
 * (node-local-dns). The
 * validator reports them with what to use instead, rather than "unknown key"
 * or, worse, accepting them and doing nothing.
 */
#ifndef PHAROS_CORE_CONFIG_RETIRED_H
#define PHAROS_CORE_CONFIG_RETIRED_H

#include <stddef.h>

/*
 * What replaced the key at schema path `path` ("network.trusted_subnets",
 * '*' for a list item), or NULL when it is not refused. With value non-NULL,
 * what replaced that value of the key (a scalar's normalised text), or NULL.
 * The text is static.
 */
const char *cfg_retired(const char *path, const char *value);

/* Entry i of the table: its why, with *path and *value (NULL: the whole key) set;
 * NULL past the end. For the key reference. */
const char *cfg_retired_at(size_t i, const char **path, const char **value);

#endif
