/* The ingress-nginx stack from its options (pure: unit-tested). */
#ifndef PHAROS_ADDON_INGRESS_RENDER_H
#define PHAROS_ADDON_INGRESS_RENDER_H

#include <stddef.h>

#define INGRESS_IMAGE "registry.k8s.io/ingress-nginx/controller:v1.12.0"

struct ingress_kv {
        const char *key;
        const char *value;
};

struct ingress_opts {
        const char *kind; /* "DaemonSet" or "Deployment" */
        long replicas;    /* Deployment only */
        const char *image;
        const char *external_traffic_policy; /* "Cluster" or "Local" */
        const struct ingress_kv *configmap;
        size_t n_configmap;
        const struct ingress_kv *node_selector;
        size_t n_node_selector;
        const char *tolerations;           /* a JSON list, or NULL for none */
        const char *default_backend_image; /* NULL: the controller's built-in 404 */
        const char *const *extra_args;
        size_t n_extra_args;
        /* The admission webhook, its certificate issued by cert-manager. */
        int admission_webhook;
};

/* The stack's YAML (malloc'd), or NULL with the failing template name in bad. */
char *ingress_render(const struct ingress_opts *o, char *bad, size_t bad_size);

#endif
