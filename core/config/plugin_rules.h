/*
 * Rules that tie cluster.yml to the loaded plugins: network.provider must
 * name a loaded network plugin ("network-<provider>"). Runs after validation,
 * before any host is contacted, for `pharos config validate` and `pharos up`.
 */
#ifndef PHAROS_CORE_CONFIG_PLUGIN_RULES_H
#define PHAROS_CORE_CONFIG_PLUGIN_RULES_H

#include "config/diag.h"
#include "config/node.h"
#include "plugin/registry.h"

void cfg_plugin_rules(const cfg_node *root, const struct registry *reg, struct cfg_diags *d);

#endif
