/* The cert-manager stacks from their options (pure: unit-tested). */
#ifndef PHAROS_ADDON_CM_RENDER_H
#define PHAROS_ADDON_CM_RENDER_H

#include <stddef.h>

#define CM_VERSION    "v1.16.2"
#define CM_REPOSITORY "quay.io/jetstack"

struct cm_opts {
        const char *repository; /* images are <repository>/cert-manager-<part>:<version> */
        const char *const *extra_args;
        size_t n_extra_args;
};

/* One Issuer or ClusterIssuer of addons.cert-manager.issuers. */
struct cm_issuer {
        const char *name;
        const char *kind;      /* "Issuer" or "ClusterIssuer" */
        const char *namespace; /* Issuer only */
        const char *spec;      /* JSON object */
};

/* The "cert-manager" stack: CRDs, controller, cainjector, webhook. NULL with bad set. */
char *cm_render(const struct cm_opts *o, char *bad, size_t bad_size);

/*
 * The "cert-manager-issuers" stack: the configured issuers and, with
 * ca_name, a self-signed root CA and a CA ClusterIssuer of that name.
 * "" when there is nothing to create. NULL only when out of memory.
 */
char *cm_render_issuers(const struct cm_issuer *issuers, size_t n, const char *ca_name);

#endif
