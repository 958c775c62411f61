#include <string.h>

#include "ssh/target_cfg.h"

void tp_target_from_host(const struct cfg_host *h, struct tp_target *t, struct tp_target *bastion)
{
        memset(t, 0, sizeof(*t));
        t->address = h->address;
        t->port = h->ssh_port;
        t->user = h->user;
        t->key_path = h->ssh_key_path;
        t->proxy_command = h->ssh_proxy_command;
        if (h->bastion) {
                memset(bastion, 0, sizeof(*bastion));
                bastion->address = h->bastion->address;
                bastion->port = h->bastion->ssh_port;
                bastion->user = h->bastion->user ? h->bastion->user : h->user;
                bastion->key_path =
                        h->bastion->ssh_key_path ? h->bastion->ssh_key_path : h->ssh_key_path;
                bastion->proxy_command = h->bastion->ssh_proxy_command;
                t->bastion = bastion;
        }
        t->local = tp_address_is_local(h->address) && !h->bastion && !h->ssh_proxy_command;
}
