/* The struct pharos_host table the core hands to every plugin's init(). */
#ifndef PHAROS_CORE_HOST_SERVICES_H
#define PHAROS_CORE_HOST_SERVICES_H

#include <pharos/host.h>

/* Static table, valid for the whole process. */
const struct pharos_host *host_services(void);

/*
 * Makes cfg the configuration plugins read through config_section(); the
 * caller keeps it alive until it sets another one or NULL.
 */
struct cluster_config;
void host_services_set_config(const struct cluster_config *cfg);

#endif
