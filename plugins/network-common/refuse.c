#include <stdarg.h>
#include <stdio.h>

#include "refuse.h"

void net_refuse(const struct pharos_host *h, struct pharos_step_ctx *ctx, const char *fmt, ...)
{
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (PHAROS_HOST_HAS(h, step_refuse))
                h->step_refuse(ctx, "%s", msg);
        else
                h->step_fail(ctx, "%s", msg);
}
