/*
 * addon-helm: Helm charts from cluster.yml, installed by k3s-io's
 * helm-controller. The controller is the "helm-controller" stack, the
 * charts (HelmChart objects) the "helm-charts" stack; removing a chart
 * makes the controller uninstall its release, and disabling the addon
 * removes the charts first and waits for them to go before the controller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include <pharos/plugin.h>

#include "addon.h"
#include "helm_render.h"

static const struct pharos_config_field chart_fields[] = {
        {.key = "name",
         .type = PHAROS_CFG_STRING,
         .flags = PHAROS_CFG_REQUIRED,
         .help = "chart: a name in repo, repo/name or an oci:// reference"},
        {.key = "release",
         .type = PHAROS_CFG_STRING,
         .help = "release name (default: the chart's name)"},
        {.key = "repo", .type = PHAROS_CFG_STRING, .help = "chart repository URL"},
        {.key = "version", .type = PHAROS_CFG_STRING, .help = "chart version (default newest)"},
        {.key = "namespace",
         .type = PHAROS_CFG_STRING,
         .default_value = "default",
         .help = "namespace the release goes to (created if missing)"},
        {.key = "values", .type = PHAROS_CFG_ANY, .help = "values: a mapping, or YAML text"},
        {.key = "set", .type = PHAROS_CFG_STRING_MAP, .help = "values as with helm --set"},
        {0},
};
static const struct pharos_config_field chart_item = {.type = PHAROS_CFG_MAP,
                                                      .fields = chart_fields};

static const struct pharos_config_field fields[] = {
        {.key = "charts",
         .type = PHAROS_CFG_LIST,
         .item = &chart_item,
         .help = "charts to install"},
        {.key = "controller_image",
         .type = PHAROS_CFG_STRING,
         .default_value = HELM_CONTROLLER_IMAGE,
         .help = "helm-controller image"},
        {.key = "job_image",
         .type = PHAROS_CFG_STRING,
         .default_value = HELM_JOB_IMAGE,
         .help = "image of the Jobs that run helm"},
        {0},
};

static const struct pharos_config_schema schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = fields,
};

static char *render_controller(const struct addon *a, struct pharos_step_ctx *ctx)
{
        char bad[64];
        char *yaml = helm_render_controller(addon_str(a, "controller_image", NULL),
                                            addon_str(a, "job_image", NULL), bad, sizeof(bad));
        if (!yaml)
                a->H->step_fail(ctx, "cannot render the helm-controller manifests (%s)", bad);
        return yaml;
}

static int read_chart(const struct addon *a, const struct pharos_config_node *item,
                      struct helm_chart *c, struct abuf *values)
{
        const struct pharos_host *H = a->H;
        c->name = H->config_string(H->config_get(item, "name"));
        c->release = H->config_string(H->config_get(item, "release"));
        c->repo = H->config_string(H->config_get(item, "repo"));
        c->version = H->config_string(H->config_get(item, "version"));
        c->namespace = H->config_string(H->config_get(item, "namespace"));
        const struct pharos_config_node *v = H->config_get(item, "values");
        if (H->config_kind(v) == PHAROS_CONFIG_SCALAR) {
                c->values = H->config_string(v);
        } else if (v) {
                addon_json(a, v, 0, values);
                c->values = values->s;
        }
        const struct pharos_config_node *set = H->config_get(item, "set");
        c->n_set = H->config_len(set);
        struct helm_kv *kv = calloc(c->n_set ? c->n_set : 1, sizeof(*kv));
        for (size_t k = 0; kv && k < c->n_set; k++) {
                kv[k].key = H->config_key_at(set, k);
                kv[k].value = H->config_string(H->config_at(set, k));
                if (!kv[k].value)
                        kv[k].value = "";
        }
        c->set = kv;
        return kv && values->ok && c->name ? 0 : -1;
}

static char *render_charts(const struct addon *a, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = a->H;
        const struct pharos_config_node *list = addon_opt(a, "charts");
        size_t n = H->config_len(list);
        struct helm_chart *charts = calloc(n ? n : 1, sizeof(*charts));
        struct abuf *values = calloc(n ? n : 1, sizeof(*values));
        char *yaml = NULL;
        int ok = charts && values, clash = 0;
        for (size_t i = 0; values && i < n; i++)
                abuf_init(&values[i]);
        for (size_t i = 0; ok && i < n; i++)
                ok = read_chart(a, H->config_at(list, i), &charts[i], &values[i]) == 0;
        /* Two charts with one release name would be one HelmChart object. */
        for (size_t i = 0; ok && !clash && i < n; i++)
                for (size_t j = 0; j < i && !clash; j++) {
                        char x[64], y[64];
                        helm_release_name(&charts[i], x, sizeof(x));
                        helm_release_name(&charts[j], y, sizeof(y));
                        if (strcmp(x, y) == 0) {
                                H->step_fail(ctx,
                                             "addons.helm.charts[%zu]: release name '%s' is "
                                             "also charts[%zu]'s; set a different release",
                                             i, x, j);
                                clash = 1;
                        }
                }
        if (ok && !clash)
                yaml = helm_render_charts(charts, n);
        for (size_t i = 0; charts && i < n; i++)
                free((void *)charts[i].set);
        for (size_t i = 0; values && i < n; i++)
                abuf_free(&values[i]);
        free(charts);
        free(values);
        if (!yaml && !clash)
                H->step_fail(ctx, "cannot render the helm charts (out of memory)");
        return yaml;
}

static int crd_ready(const struct addon *a, struct pharos_step_ctx *ctx)
{
        return addon_wait_established(a, ctx, "helmcharts.helm.cattle.io", 60);
}

/* Objects left in a list response, or -1 when it is not one. */
static long items(const char *body)
{
        char msg[128];
        const char *path[] = {"items", NULL};
        yajl_val doc = yajl_tree_parse(body, msg, sizeof(msg));
        yajl_val v = yajl_tree_get(doc, path, yajl_t_array);
        long n = v ? (long)v->u.array.len : -1;
        yajl_tree_free(doc);
        return n;
}

/* Until the controller has run the uninstall Jobs, HelmCharts keep its finalizer. */
static int charts_gone(const struct addon *a, struct pharos_step_ctx *ctx)
{
        static const char path[] = "/apis/helm.cattle.io/v1/namespaces/kube-system/helmcharts"
                                   "?labelSelector=pharos.kontena.io%2Fstack%3Dhelm-charts";
        for (int waited = 0; waited <= 300; waited++) {
                long status = 0;
                const char *body = NULL;
                if (a->H->kube_request(ctx, "GET", path, NULL, &status, &body) < 0)
                        return -1;
                if (status == 404 || (status == 200 && body && items(body) == 0))
                        return 0;
                struct timespec ts = {1, 0};
                nanosleep(&ts, NULL);
        }
        a->H->step_fail(ctx, "HelmCharts of stack helm-charts still exist after 300 s");
        return -1;
}

static const struct addon_stack stacks[] = {
        {.name = "helm-controller", .render = render_controller},
        {.name = "helm-charts", .render = render_charts, .ready = crd_ready, .gone = charts_gone},
};

static struct addon addon = {.key = "helm", .stacks = stacks, .n_stacks = 2};

static int helm_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        addon.H = host;
        addon.self = self;
        *state = &addon;
        return addon_register(&addon, NULL, "addon-helm.apply", NULL,
                              "apply or remove helm-controller and the Helm charts");
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_ADDON,
        .name = "addon-helm",
        .version = "0.16.5",
        .description = "Helm charts from cluster.yml through helm-controller",
        .config_section = "addons.helm",
        .config_schema = &schema,
        .init = helm_init,
};

PHAROS_PLUGIN_DECLARE(addon_helm, desc)
