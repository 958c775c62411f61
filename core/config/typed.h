/*
 * The validated tree -> struct cfg_doc. libcyaml maps the core sections
 * with the same schema validation walked (schema.h), reading the tree's
 * YAML form; the free-form maps (labels, environment, feature gates ...),
 * the addons and the hosts' positions are filled from the tree, which the
 * document then owns.
 */
#ifndef PHAROS_CORE_CONFIG_TYPED_H
#define PHAROS_CORE_CONFIG_TYPED_H

#include "config/config.h"
#include "config/node.h"
#include "util/error.h"

/* Takes root (also on failure). */
int cfg_typed_build(cfg_node *root, struct cfg_doc **out, struct pharos_error *err);
void cfg_typed_free(struct cfg_doc *doc);

#endif
