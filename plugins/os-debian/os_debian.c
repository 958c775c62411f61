/*
 * os-debian: Debian 12 and 13 hosts. The steps and the apt host scripts are
 * shared with os-ubuntu (plugins/os-common); this file says which hosts are
 * Debian's (not Ubuntu and its derivatives, which say ID_LIKE=debian too)
 * and which releases are supported.
 */
#include <pharos/plugin.h>

#include "os_family.h"

static const char *const ids[] = {"debian", NULL};
static const char *const not_ids[] = {"ubuntu", NULL};
static const char *const versions[] = {"12", "13", NULL};

static struct os_family debian = {
        OS_FAMILY_STEP_IDS("os-debian"),
        .ids = ids,
        .not_ids = not_ids,
        .versions = versions,
        .pkg = OS_PKG_APT,
};

static int debian_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        return os_family_init(&debian, host, self, state);
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OS,
        .name = "os-debian",
        .version = "1.0.0",
        .description = "Debian 12 and 13 hosts: packages, kernel settings, pkgs.k8s.io",
        .init = debian_init,
};

PHAROS_PLUGIN_DECLARE(os_debian, desc)
