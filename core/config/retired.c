#include <stddef.h>
#include <string.h>

#include "config/retired.h"

struct retired {
        const char *path;
        const char *value; /* NULL: the key whatever its value */
        const char *why;
};

/* Kubernetes removed the last in-tree cloud provider in 1.31; every cloud now
 * runs as an external cloud-controller-manager. */
#define IN_TREE_GONE                                                                               \
        "in-tree cloud providers were removed from Kubernetes (the last in 1.31): set "            \
        "cloud.provider: external and deploy the provider's cloud-controller-manager (kubectl "    \
        "apply after pharos up: it tolerates the uninitialized taint); cloud.config is "           \
        "copied to the masters as /etc/kubernetes/pharos/cloud-config for it"
/* The original deployed these cloud controllers itself; pharos does not. */
#define NO_CCM(name)                                                                               \
        "pharos does not deploy " name ": set cloud.provider: external and deploy it "             \
        "yourself; cloud.config is copied to the masters as /etc/kubernetes/pharos/cloud-config"

static const struct retired table[] = {
        {"telemetry", NULL,
         "removed by the original in 3.0, with no replacement: pharos sends no usage data; "
         "delete the section"},
        {"addon_paths", NULL,
         "removed by the original in 3.0: addons are plugins now; put addon-NAME.so in a "
         "directory given with --plugin-path or PHAROS_PLUGIN_PATH and enable it under "
         "addons.NAME"},
        {"network.trusted_subnets", NULL,
         "replaced by network.weave.trusted_subnets (subnets weave leaves unencrypted) and "
         "network.firewalld.trusted_subnets (firewalld's trusted zone)"},
        {"pod_security_policy", NULL,
         "PodSecurityPolicy was removed in Kubernetes 1.25; use pod_security (Pod Security "
         "Admission), e.g. pod_security: {enforce: baseline}"},
        {"cloud.provider", "aws", IN_TREE_GONE},
        {"cloud.provider", "azure", IN_TREE_GONE},
        {"cloud.provider", "cloudstack", IN_TREE_GONE},
        {"cloud.provider", "gce", IN_TREE_GONE},
        {"cloud.provider", "openstack", IN_TREE_GONE},
        {"cloud.provider", "ovirt", IN_TREE_GONE},
        {"cloud.provider", "photon", IN_TREE_GONE},
        {"cloud.provider", "vsphere", IN_TREE_GONE},
        {"cloud.provider", "hcloud", NO_CCM("Hetzner's hcloud-cloud-controller-manager")},
        {"cloud.provider", "packet", NO_CCM("Equinix Metal's cloud-provider-equinix-metal")},
        {"cloud.provider", "pharos", NO_CCM("Kontena's pharos-cloud-controller")},
        {"hosts.*.container_runtime", "custom_docker",
         "'custom_docker' (a Docker Engine pharos does not install) is no longer supported: "
         "Kubernetes 1.24 dropped the kubelet's Docker support; use container_runtime: docker "
         "(Docker Engine with cri-dockerd, installed by pharos) or containerd"},
};

const char *cfg_retired(const char *path, const char *value)
{
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                const struct retired *r = &table[i];
                if (strcmp(r->path, path) != 0)
                        continue;
                if (!r->value ? !value : value && strcmp(r->value, value) == 0)
                        return r->why;
        }
        return NULL;
}

const char *cfg_retired_at(size_t i, const char **path, const char **value)
{
        if (i >= sizeof(table) / sizeof(table[0]))
                return NULL;
        *path = table[i].path;
        *value = table[i].value;
        return table[i].why;
}
