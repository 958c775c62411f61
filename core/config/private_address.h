/*
 * hosts[].private_interface: the address of that interface on the host is
 * learnt with its facts and becomes its private address, as the original's
 * peer address was private_address, else the interface's, else address.
 */
#ifndef PHAROS_CORE_CONFIG_PRIVATE_ADDRESS_H
#define PHAROS_CORE_CONFIG_PRIVATE_ADDRESS_H

#include <stddef.h>

#include "config/config.h"

/*
 * Puts addr (copied) as hosts[i].private_address into the effective tree the
 * plugins read and the cluster state stores, unless cluster.yml gives one
 * (which wins). The typed struct cfg_host keeps cluster.yml's value. Callers
 * on different hosts may run at once: each touches only its host's map.
 * Returns 0, or PERR_NOMEM.
 */
int cfg_learn_private_address(const struct cluster_config *cfg, size_t i, const char *addr);

#endif
