/*
 * os-el: RHEL-family 9 hosts (Rocky, Alma, RHEL). The steps are shared with
 * the Debian-family plugins (plugins/os-common); the dnf host scripts and
 * SELinux handling are this plugin's own (scripts/).
 */
#include <pharos/plugin.h>

#include "os_family.h"
#include "os-el_scripts.h"

/* ID_LIKE of Rocky and Alma is "rhel centos fedora"; RHEL's own ID is rhel. */
static const char *const ids[] = {"rhel", "rocky", "almalinux", NULL};
static const char *const versions[] = {"9", NULL};

static struct os_family el = {
        OS_FAMILY_STEP_IDS("os-el"),
        .ids = ids,
        .versions = versions,
        .pkg = OS_PKG_DNF,
        .essentials_script = script_essentials_sh,
        .packages_script = script_kube_packages_sh,
};

static int el_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        return os_family_init(&el, host, self, state);
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OS,
        .name = "os-el",
        .version = "1.0.0",
        .description = "RHEL-family 9 hosts (Rocky, Alma, RHEL): packages, SELinux, kernel "
                       "settings, pkgs.k8s.io",
        .init = el_init,
};

PHAROS_PLUGIN_DECLARE(os_el, desc)
