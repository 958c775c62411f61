/*
 * os-ubuntu: Ubuntu 22.04 and 24.04 hosts. The steps and the apt host
 * scripts are shared with os-debian (plugins/os-common); this file says which
 * hosts are Ubuntu's and which releases are supported.
 */
#include <pharos/plugin.h>

#include "os_family.h"

static const char *const ids[] = {"ubuntu", NULL};
static const char *const versions[] = {"22.04", "24.04", NULL};

static struct os_family ubuntu = {
        OS_FAMILY_STEP_IDS("os-ubuntu"),
        .ids = ids,
        .versions = versions,
        .pkg = OS_PKG_APT,
};

static int ubuntu_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        return os_family_init(&ubuntu, host, self, state);
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OS,
        .name = "os-ubuntu",
        .version = "1.0.0",
        .description = "Ubuntu 22.04 and 24.04 hosts: packages, kernel settings, pkgs.k8s.io",
        .init = ubuntu_init,
};

PHAROS_PLUGIN_DECLARE(os_ubuntu, desc)
