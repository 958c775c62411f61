/* The read-only node accessors plugins get through struct pharos_host. */
#include <stdint.h>

#include "config/node_api.h"

int cfg_api_kind(const struct pharos_config_node *n)
{
        return n ? n->kind : PHAROS_CONFIG_NONE;
}

const struct pharos_config_node *cfg_api_get(const struct pharos_config_node *n, const char *key)
{
        return n && key ? cfg_map_get(n, key, NULL) : NULL;
}

const char *cfg_api_string(const struct pharos_config_node *n)
{
        return n && n->kind == PHAROS_CONFIG_SCALAR ? n->text : NULL;
}

int cfg_api_int(const struct pharos_config_node *n, int64_t *out)
{
        long long v;
        if (!n || n->kind != PHAROS_CONFIG_SCALAR || cfg_parse_int(n->text, &v) < 0)
                return -1;
        *out = v;
        return 0;
}

int cfg_api_bool(const struct pharos_config_node *n, int *out)
{
        return n && n->kind == PHAROS_CONFIG_SCALAR ? cfg_parse_bool(n->text, out) : -1;
}

int cfg_api_double(const struct pharos_config_node *n, double *out)
{
        return n && n->kind == PHAROS_CONFIG_SCALAR ? cfg_parse_double(n->text, out) : -1;
}

size_t cfg_api_len(const struct pharos_config_node *n)
{
        return n && n->kind != PHAROS_CONFIG_SCALAR ? n->len : 0;
}

const struct pharos_config_node *cfg_api_at(const struct pharos_config_node *n, size_t i)
{
        return n && n->kind != PHAROS_CONFIG_SCALAR && i < n->len ? n->items[i] : NULL;
}

const char *cfg_api_key_at(const struct pharos_config_node *n, size_t i)
{
        return n && n->kind == PHAROS_CONFIG_MAP && i < n->len ? n->keys[i]->text : NULL;
}
