/* The metrics-server stack from its options (pure: unit-tested). */
#ifndef PHAROS_ADDON_METRICS_RENDER_H
#define PHAROS_ADDON_METRICS_RENDER_H

#include <stddef.h>

#define METRICS_IMAGE "registry.k8s.io/metrics-server/metrics-server:v0.7.2"

struct metrics_opts {
        const char *image;
        long replicas;
        /* kubeadm's kubelets serve self-signed certificates: without a signer
         * for kubelet serving certificates metrics-server must skip verification. */
        int kubelet_insecure_tls;
        const char *const *extra_args;
        size_t n_extra_args;
};

/* The stack's YAML (malloc'd), or NULL with the failing template name in bad. */
char *metrics_render(const struct metrics_opts *o, char *bad, size_t bad_size);

#endif
