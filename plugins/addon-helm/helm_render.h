/* The helm-controller and HelmChart stacks from their options (pure: unit-tested). */
#ifndef PHAROS_ADDON_HELM_RENDER_H
#define PHAROS_ADDON_HELM_RENDER_H

#include <stddef.h>

#define HELM_CONTROLLER_IMAGE "docker.io/rancher/helm-controller:v0.16.5"
#define HELM_JOB_IMAGE        "docker.io/rancher/klipper-helm:v0.9.3-build20241008"

struct helm_kv {
        const char *key;
        const char *value;
};

/* One entry of addons.helm.charts. */
struct helm_chart {
        const char *name;      /* chart reference: "nginx", "bitnami/nginx", an oci:// URL */
        const char *release;   /* HelmChart name / release; NULL: from the chart name */
        const char *repo;      /* repository URL or NULL */
        const char *version;   /* or NULL for the newest */
        const char *namespace; /* target namespace */
        const char *values;    /* values as YAML text, or NULL */
        const struct helm_kv *set;
        size_t n_set;
};

/* The "helm-controller" stack. NULL with bad set. */
char *helm_render_controller(const char *image, const char *job_image, char *bad, size_t bad_size);

/* The release name of a chart: release, else the chart name's last path part made a DNS label. */
void helm_release_name(const struct helm_chart *c, char *out, size_t size);

/* The "helm-charts" stack: one HelmChart per chart in kube-system; "" for none. */
char *helm_render_charts(const struct helm_chart *charts, size_t n);

#endif
