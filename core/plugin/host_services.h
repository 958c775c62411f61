/* The struct pharos_host table the core hands to every plugin's init(). */
#ifndef PHAROS_CORE_HOST_SERVICES_H
#define PHAROS_CORE_HOST_SERVICES_H

#include <pharos/host.h>

/* Static table, valid for the whole process. */
const struct pharos_host *host_services(void);

#endif
