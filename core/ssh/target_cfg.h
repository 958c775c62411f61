/* How a cluster.yml host entry maps to a transport target. */
#ifndef PHAROS_CORE_SSH_TARGET_CFG_H
#define PHAROS_CORE_SSH_TARGET_CFG_H

#include "config/config.h"
#include "ssh/transport.h"

/* Fills t (and *bastion, which t then points to, when the host has one) with
 * strings borrowed from h. A host at localhost/127.0.0.1 without a bastion or
 * proxy command runs locally. */
void tp_target_from_host(const struct cfg_host *h, struct tp_target *t, struct tp_target *bastion);

#endif
