#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addon-helm_scripts.h"
#include "addon.h"
#include "helm_render.h"

char *helm_render_controller(const char *image, const char *job_image, char *bad, size_t bad_size)
{
        struct abuf img, job;
        abuf_init(&img);
        abuf_init(&job);
        abuf_json_str(&img, image ? image : HELM_CONTROLLER_IMAGE);
        abuf_json_str(&job, job_image ? job_image : HELM_JOB_IMAGE);
        char *out = NULL;
        if (img.ok && job.ok) {
                const struct addon_var vars[] = {{"IMAGE", img.s}, {"JOB_IMAGE", job.s}};
                out = addon_render(script_helm_controller_yml, vars, 2, bad, bad_size);
        } else {
                snprintf(bad, bad_size, "out of memory");
        }
        abuf_free(&img);
        abuf_free(&job);
        return out;
}

void helm_release_name(const struct helm_chart *c, char *out, size_t size)
{
        const char *src = c->release;
        if (!src) {
                const char *slash = strrchr(c->name, '/');
                src = slash ? slash + 1 : c->name;
        }
        size_t n = 0;
        for (const char *p = src; *p && n + 1 < size && n < 53; p++) {
                char ch = (char)tolower((unsigned char)*p);
                out[n++] = isalnum((unsigned char)ch) ? ch : '-';
        }
        while (n && out[n - 1] == '-')
                n--;
        out[n] = '\0';
        if (!n)
                snprintf(out, size, "chart");
}

static void field(struct abuf *b, const char *key, const char *value)
{
        if (!value)
                return;
        abuf_printf(b, "  %s: ", key);
        abuf_json_str(b, value);
        abuf_puts(b, "\n");
}

char *helm_render_charts(const struct helm_chart *charts, size_t n)
{
        struct abuf b;
        abuf_init(&b);
        for (size_t i = 0; i < n; i++) {
                const struct helm_chart *c = &charts[i];
                char release[64];
                helm_release_name(c, release, sizeof(release));
                if (i)
                        abuf_puts(&b, "---\n");
                abuf_puts(&b, "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n"
                              "  name: ");
                abuf_json_str(&b, release);
                abuf_puts(&b, "\n  namespace: kube-system\nspec:\n");
                field(&b, "chart", c->name);
                field(&b, "repo", c->repo);
                field(&b, "version", c->version);
                field(&b, "targetNamespace", c->namespace ? c->namespace : "default");
                abuf_puts(&b, "  createNamespace: true\n");
                field(&b, "valuesContent", c->values);
                if (c->n_set) {
                        abuf_puts(&b, "  set: {");
                        for (size_t k = 0; k < c->n_set; k++) {
                                abuf_puts(&b, k ? ", " : "");
                                abuf_json_str(&b, c->set[k].key);
                                abuf_puts(&b, ": ");
                                abuf_json_str(&b, c->set[k].value);
                        }
                        abuf_puts(&b, "}\n");
                }
        }
        return abuf_take(&b);
}
