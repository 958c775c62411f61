#include "config/private_address.h"
#include "config/node.h"
#include "util/error.h"

int cfg_learn_private_address(const struct cluster_config *cfg, size_t i, const char *addr)
{
        const cfg_node *hosts = cfg_map_get(cfg->doc->tree, "hosts", NULL);
        if (!hosts || i >= hosts->len)
                return 0;
        cfg_node *host = hosts->items[i];
        if (cfg_map_get(host, "private_address", NULL))
                return 0;
        cfg_node *k = cfg_node_scalar("private_address", host->line, host->col);
        cfg_node *v = cfg_node_scalar(addr, host->line, host->col);
        if (!k || !v || cfg_node_append(host, k, v) < 0) {
                cfg_node_free(k);
                cfg_node_free(v);
                return PERR_NOMEM;
        }
        v->type = CFG_T_STRING;
        k->dflt = v->dflt = 1;
        return 0;
}
