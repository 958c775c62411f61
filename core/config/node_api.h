/* Implementations of the pharos_host config_* accessors (<pharos/config.h>). */
#ifndef PHAROS_CORE_CONFIG_NODE_API_H
#define PHAROS_CORE_CONFIG_NODE_API_H

#include <stddef.h>
#include <stdint.h>

#include "config/node.h"

int cfg_api_kind(const struct pharos_config_node *n);
const struct pharos_config_node *cfg_api_get(const struct pharos_config_node *n, const char *key);
const char *cfg_api_string(const struct pharos_config_node *n);
int cfg_api_int(const struct pharos_config_node *n, int64_t *out);
int cfg_api_bool(const struct pharos_config_node *n, int *out);
int cfg_api_double(const struct pharos_config_node *n, double *out);
size_t cfg_api_len(const struct pharos_config_node *n);
const struct pharos_config_node *cfg_api_at(const struct pharos_config_node *n, size_t i);
const char *cfg_api_key_at(const struct pharos_config_node *n, size_t i);

#endif
