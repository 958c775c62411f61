/*
 * A helper for plugin steps, header-only so it costs the ABI nothing:
 * refusing what cluster.yml asks for on whichever core loads the plugin.
 */
#ifndef PHAROS_REFUSE_H
#define PHAROS_REFUSE_H

#include <stdarg.h>
#include <stdio.h>

#include <pharos/host.h>

/*
 * cluster.yml (or the command line) asks for something the step can't do:
 * the run stops with exit status 2 on cores that offer step_refuse (ABI
 * 1.2), and fails the step on older ones. Meant for steps that changed
 * nothing yet, like validation. The message is cut at 2 KiB.
 */
static inline void pharos_refuse(const struct pharos_host *h, struct pharos_step_ctx *ctx,
                                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void pharos_refuse(const struct pharos_host *h, struct pharos_step_ctx *ctx,
                                 const char *fmt, ...)
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

#endif
