/*
 * The effective configuration tree as YAML (libyaml's emitter) or JSON
 * (yajl_gen). The YAML form is also what libcyaml maps into struct
 * cfg_doc, so `config show` prints exactly what pharos uses.
 */
#ifndef PHAROS_CORE_CONFIG_EMIT_H
#define PHAROS_CORE_CONFIG_EMIT_H

#include <stddef.h>

#include "config/node.h"

/*
 * *out is malloc'ed (caller frees), *len its length. Return 0 or a negative
 * code. With as_input, "${" in values is written as "$${" so that reading
 * the output as cluster.yml gives back the same values.
 */
int cfg_emit_yaml(const cfg_node *root, int as_input, char **out, size_t *len);
int cfg_emit_json(const cfg_node *root, char **out, size_t *len);

#endif
