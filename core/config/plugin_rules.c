#include <stdio.h>
#include <string.h>

#include "config/plugin_rules.h"

#define NETWORK_PREFIX "network-"

void cfg_plugin_rules(const cfg_node *root, const struct registry *reg, struct cfg_diags *d)
{
        const cfg_node *net = root ? cfg_map_get(root, "network", NULL) : NULL;
        const cfg_node *p = net ? cfg_map_get(net, "provider", NULL) : NULL;
        if (!p || p->kind != PHAROS_CONFIG_SCALAR || !p->text || p->bad)
                return;
        char loaded[600] = "";
        size_t used = 0, n_net = 0;
        for (size_t i = 0; reg && i < reg->n_plugins; i++) {
                const struct pharos_plugin *pl = reg->plugins[i];
                const char *name = pl->desc.name;
                if (pl->desc.kind != PHAROS_KIND_NETWORK)
                        continue;
                const char *provider = strncmp(name, NETWORK_PREFIX, strlen(NETWORK_PREFIX)) == 0
                                               ? name + strlen(NETWORK_PREFIX)
                                               : name;
                if (strcmp(provider, p->text) == 0)
                        return;
                n_net++;
                if (used < sizeof(loaded))
                        used += (size_t)snprintf(loaded + used, sizeof(loaded) - used, "%s%s",
                                                 used ? ", " : "", provider);
        }
        /* Only a provider cluster.yml names: without one, a run that loads no
         * network plugin (or another) just installs no default network. */
        if (p->dflt)
                return;
        if (n_net)
                cfg_error(d, p->line, p->col,
                          "network.provider: no loaded network plugin provides '%s' (it would be "
                          "'" NETWORK_PREFIX "%s'); loaded providers: %s",
                          p->text, p->text, loaded);
        else
                cfg_error(d, p->line, p->col,
                          "network.provider: no loaded network plugin provides '%s' (it would be "
                          "'" NETWORK_PREFIX "%s'); no network plugin is loaded",
                          p->text, p->text);
}
