/*
 * The calico stack from network.calico's options: pure text work, no host,
 * so the unit tests run it directly.
 */
#ifndef PHAROS_NETWORK_CALICO_RENDER_H
#define PHAROS_NETWORK_CALICO_RENDER_H

#include <stddef.h>

#include "template.h"

#define CALICO_DEFAULT_VERSION          "3.29.4"
#define CALICO_DEFAULT_IMAGE_REPOSITORY "docker.io/calico"
/* Bytes an IPIP header takes from the host MTU. */
#define CALICO_IPIP_OVERHEAD 20

struct calico_env {
        const char *name;
        const char *value;
};

struct calico_opts {
        const char *pool_cidr; /* network.pod_network_cidr */
        const char *ipip_mode; /* Always, CrossSubnet or Never */
        int nat_outgoing;      /* 0 or 1 */
        int mtu;               /* MTU of the hosts' network */
        const char *image_repository;
        const char *version;          /* "3.29.4": images are tagged v<version> */
        const char *autodetect;       /* address calico-node's IP detection aims at */
        const struct calico_env *env; /* network.calico.environment */
        size_t n_env;
};

/* MTU of the pod interfaces and of the tunnel: the host's, less IPIP's header when IPIP is on. */
int calico_pod_mtu(const struct calico_opts *o);

/* 0 when name may be set through environment, else -1 with why[] filled. */
int calico_env_name_ok(const char *name, char *why, size_t why_size);

/*
 * The stack's YAML: the CRDs, then the template (manifests/calico.yml)
 * filled in. malloc'ed, or NULL with *err set.
 */
char *calico_render(const char *crds, const char *tmpl, const struct calico_opts *o,
                    struct tmpl_error *err);

#endif
