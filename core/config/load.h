/* cfg_load() on a buffer instead of a file: for tests and the fuzz target. */
#ifndef PHAROS_CORE_CONFIG_LOAD_H
#define PHAROS_CORE_CONFIG_LOAD_H

#include <stddef.h>

#include "config/config.h"
#include "config/diag.h"

/* Inputs larger than this are refused before parsing. */
#define CFG_MAX_FILE_SIZE (4u << 20)

/*
 * Parses, validates and maps buf. Diagnostics (also warnings on success)
 * are left in d, not printed. Returns 0 and *out, or PERR_USAGE when d
 * holds errors, or another negative code with err set.
 */
int cfg_load_buffer(const char *buf, size_t len, const char *name, const struct registry *reg,
                    struct cluster_config **out, struct cfg_diags *d, struct pharos_error *err);

#endif
