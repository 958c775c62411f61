/*
 * cluster.yml text -> positioned tree (libyaml events). Guards against
 * hostile input: nesting depth, total node count and total scalar bytes
 * (which also bound alias expansion, so "billion laughs" documents and
 * aliases of one huge scalar stop early) and one document.
 * ${VAR} references in values are expanded here (envsubst.h).
 */
#ifndef PHAROS_CORE_CONFIG_PARSE_H
#define PHAROS_CORE_CONFIG_PARSE_H

#include <stddef.h>

#include "config/diag.h"
#include "config/node.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 200000L
/* Four times the largest file: room for ${VAR} values and a few aliases. */
#define CFG_MAX_TEXT_BYTES (16L << 20)

/*
 * Parses buf (len bytes, need not be NUL-terminated) into *root, which is
 * NULL for an empty document. Returns 0, or -1 when the text is not usable
 * YAML (the located reason is in d, which is then fatal).
 */
int cfg_parse(const char *buf, size_t len, cfg_node **root, struct cfg_diags *d);

#endif
