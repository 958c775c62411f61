#include <stdarg.h>
#include <stdio.h>

#include <pharos/plugin.h>
#include <pharos/version.h>

#include "plugin/host_services.h"
#include "plugin/registry.h"
#include "util/log.h"

static void hs_log(struct pharos_plugin *self, int level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, self ? self->desc.name : NULL, fmt, ap);
        va_end(ap);
}

static void hs_set_error(struct pharos_plugin *self, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(self->error, sizeof(self->error), fmt, ap);
        va_end(ap);
}

static int hs_register_step(struct pharos_plugin *self, const struct pharos_step *step)
{
        struct pharos_error err = {0};
        int rc = registry_add_step(self, step, &err);
        if (rc < 0)
                snprintf(self->error, sizeof(self->error), "%.500s", err.msg);
        return rc;
}

static int hs_register_command(struct pharos_plugin *self, const struct pharos_command *cmd)
{
        struct pharos_error err = {0};
        int rc = registry_add_command(self, cmd, &err);
        if (rc < 0)
                snprintf(self->error, sizeof(self->error), "%.500s", err.msg);
        return rc;
}

static const struct pharos_host table = {
        .struct_size = sizeof(struct pharos_host),
        .abi_major = PHAROS_ABI_MAJOR,
        .abi_minor = PHAROS_ABI_MINOR,
        .pharos_version = PHAROS_VERSION,
        .log = hs_log,
        .set_error = hs_set_error,
        .register_step = hs_register_step,
        .register_command = hs_register_command,
};

const struct pharos_host *host_services(void)
{
        return &table;
}
