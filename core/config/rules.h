/*
 * Rules that involve more than one key (at least one master, unique
 * address:ssh_port, dns_replicas against the host count, overlapping
 * CIDRs, the etcd quorum warning) and the defaults computed from other
 * values (dns_replicas, a bastion's user and key). Runs after validation
 * and looks only at values validation accepted, so every problem is still
 * reported once.
 */
#ifndef PHAROS_CORE_CONFIG_RULES_H
#define PHAROS_CORE_CONFIG_RULES_H

#include "config/diag.h"
#include "config/node.h"

void cfg_rules(cfg_node *root, struct cfg_diags *d);

#endif
