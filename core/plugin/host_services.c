#include <stdarg.h>
#include <stdio.h>

#include <pharos/plugin.h>
#include <pharos/version.h>

#include "config/config.h"
#include "config/node_api.h"
#include "plugin/host_services.h"
#include "plugin/registry.h"
#include "run/step_ctx.h"
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

static int hs_register_kube_packages(struct pharos_plugin *self,
                                     int (*install)(struct pharos_step_ctx *ctx, void *state,
                                                    const char *const *packages,
                                                    const char *version))
{
        if (self->desc.kind != PHAROS_KIND_OS) {
                snprintf(self->error, sizeof(self->error),
                         "register_kube_packages: only an OS plugin installs packages");
                return -1;
        }
        self->kube_packages = install;
        return 0;
}

static int hs_register_command(struct pharos_plugin *self, const struct pharos_command *cmd)
{
        struct pharos_error err = {0};
        int rc = registry_add_command(self, cmd, &err);
        if (rc < 0)
                snprintf(self->error, sizeof(self->error), "%.500s", err.msg);
        return rc;
}

/* The configuration of this run; one cluster.yml per process. */
static const struct cluster_config *active_config;

void host_services_set_config(const struct cluster_config *cfg)
{
        active_config = cfg;
}

static const struct pharos_config_node *hs_config_section(struct pharos_plugin *self)
{
        if (!active_config || !self || !self->desc.config_section)
                return NULL;
        return cfg_doc_section(active_config->doc, self->desc.config_section);
}

static const struct pharos_config_node *hs_config_root(struct pharos_plugin *self)
{
        (void)self;
        return active_config ? active_config->doc->tree : NULL;
}

static const char *hs_config_file(struct pharos_plugin *self)
{
        (void)self;
        return active_config ? active_config->source : NULL;
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
        .config_section = hs_config_section,
        .config_kind = cfg_api_kind,
        .config_get = cfg_api_get,
        .config_string = cfg_api_string,
        .config_int = cfg_api_int,
        .config_bool = cfg_api_bool,
        .config_double = cfg_api_double,
        .config_len = cfg_api_len,
        .config_at = cfg_api_at,
        .config_key_at = cfg_api_key_at,
        .config_root = hs_config_root,
        .step_fact = step_svc_fact,
        .step_host = step_svc_host,
        .step_exec = step_svc_exec,
        .step_script = step_svc_script,
        .step_upload = step_svc_upload,
        .step_read_file = step_svc_read_file,
        .step_changed = step_svc_changed,
        .step_fail = step_svc_fail,
        .step_reason = step_svc_reason,
        .kube_apply_stack = step_svc_kube_apply,
        .kube_delete_stack = step_svc_kube_delete,
        .kube_request = step_svc_kube_request,
        .config_file = hs_config_file,
        .https_request = step_svc_https,
        .step_refuse = step_svc_refuse,
        .kube_stack_differs = step_svc_kube_stack_differs,
        .register_kube_packages = hs_register_kube_packages,
        .step_kube_packages = step_svc_kube_packages,
        .kube_drain = step_svc_kube_drain,
        .kube_uncordon = step_svc_kube_uncordon,
};

const struct pharos_host *host_services(void)
{
        return &table;
}
