/*
 * Checks the parsed tree against the core schema (schema.h) and, for the
 * sections plugins own, against each plugin's declared schema; fills in
 * defaults, normalises scalars (integers in decimal, booleans as
 * true/false, "~/" expanded) and marks every valid scalar with its type.
 * Every problem goes to d; nothing stops at the first one.
 */
#ifndef PHAROS_CORE_CONFIG_VALIDATE_H
#define PHAROS_CORE_CONFIG_VALIDATE_H

#include "config/diag.h"
#include "config/node.h"
#include "plugin/registry.h"

/* *root may be NULL (empty document). reg may be NULL (no plugins). */
void cfg_validate(cfg_node **root, const struct registry *reg, struct cfg_diags *d);

/* The loaded plugin that owns section ("network.weave"), or NULL. */
const struct pharos_plugin *cfg_section_owner(const struct registry *reg, const char *section);

#endif
