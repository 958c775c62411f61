/* Shared by the network plugins (compiled into each). */
#ifndef PHAROS_NETWORK_COMMON_REFUSE_H
#define PHAROS_NETWORK_COMMON_REFUSE_H

#include <pharos/host.h>

/* cluster.yml asks for something the plugin can't do: exit 2 where the core
 * offers step_refuse (ABI 1.2), a failed step on older cores. */
void net_refuse(const struct pharos_host *h, struct pharos_step_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
