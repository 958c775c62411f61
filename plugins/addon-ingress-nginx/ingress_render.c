#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon-ingress-nginx_scripts.h"
#include "addon.h"
#include "ingress_render.h"

static void json_map(struct abuf *b, const struct ingress_kv *kv, size_t n, const char *def_key,
                     const char *def_value)
{
        int have_def = !def_key;
        for (size_t i = 0; i < n && !have_def; i++)
                have_def = strcmp(kv[i].key, def_key) == 0;
        abuf_puts(b, "{");
        size_t k = 0;
        if (!have_def) {
                abuf_json_str(b, def_key);
                abuf_puts(b, ": ");
                abuf_json_str(b, def_value);
                k++;
        }
        for (size_t i = 0; i < n; i++, k++) {
                abuf_puts(b, k ? ", " : "");
                abuf_json_str(b, kv[i].key);
                abuf_puts(b, ": ");
                abuf_json_str(b, kv[i].value);
        }
        abuf_puts(b, "}");
}

static void args(struct abuf *b, const struct ingress_opts *o)
{
        static const char *const base[] = {
                "/nginx-ingress-controller",
                "--election-id=ingress-nginx-leader",
                "--controller-class=k8s.io/ingress-nginx",
                "--ingress-class=nginx",
                "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
        };
        abuf_puts(b, "[");
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
                abuf_puts(b, i ? ", " : "");
                abuf_json_str(b, base[i]);
        }
        if (o->default_backend_image) {
                abuf_puts(b, ", ");
                abuf_json_str(b, "--default-backend-service=$(POD_NAMESPACE)/default-http-backend");
        }
        if (o->admission_webhook) {
                abuf_puts(b, ", ");
                abuf_json_str(b, "--validating-webhook=:8443");
                abuf_puts(b, ", ");
                abuf_json_str(b, "--validating-webhook-certificate=/usr/local/certificates/cert");
                abuf_puts(b, ", ");
                abuf_json_str(b, "--validating-webhook-key=/usr/local/certificates/key");
        }
        for (size_t i = 0; i < o->n_extra_args; i++) {
                abuf_puts(b, ", ");
                abuf_json_str(b, o->extra_args[i]);
        }
        abuf_puts(b, "]");
}

static void ports(struct abuf *b, int daemonset, int webhook)
{
        /* As a DaemonSet the controller takes ports 80 and 443 of its node. */
        abuf_printf(b,
                    "[{\"name\": \"http\", \"containerPort\": 80%s, \"protocol\": \"TCP\"}, "
                    "{\"name\": \"https\", \"containerPort\": 443%s, \"protocol\": \"TCP\"}",
                    daemonset ? ", \"hostPort\": 80" : "", daemonset ? ", \"hostPort\": 443" : "");
        if (webhook)
                abuf_puts(b, ", {\"name\": \"webhook\", \"containerPort\": 8443, \"protocol\": "
                             "\"TCP\"}");
        abuf_puts(b, "]");
}

/* Appends "---\n" and the rendered template to all. */
static int append(struct abuf *all, const char *tmpl, const struct addon_var *vars, size_t n,
                  char *bad, size_t bad_size)
{
        char *doc = addon_render(tmpl, vars, n, bad, bad_size);
        if (!doc)
                return -1;
        if (all->len)
                abuf_puts(all, "---\n");
        abuf_puts(all, doc);
        free(doc);
        return 0;
}

char *ingress_render(const struct ingress_opts *o, char *bad, size_t bad_size)
{
        int daemonset = !o->kind || strcmp(o->kind, "DaemonSet") == 0;
        struct abuf image, data, selector, argv, scale, backend, port_list, all;
        abuf_init(&image);
        abuf_init(&data);
        abuf_init(&selector);
        abuf_init(&argv);
        abuf_init(&scale);
        abuf_init(&backend);
        abuf_init(&port_list);
        abuf_init(&all);
        abuf_json_str(&image, o->image ? o->image : INGRESS_IMAGE);
        json_map(&data, o->configmap, o->n_configmap, NULL, NULL);
        json_map(&selector, o->node_selector, o->n_node_selector, "kubernetes.io/os", "linux");
        args(&argv, o);
        if (daemonset)
                abuf_puts(&scale, "updateStrategy: {type: RollingUpdate}");
        else
                abuf_printf(&scale, "replicas: %ld", o->replicas > 0 ? o->replicas : 1);
        abuf_json_str(&backend, o->default_backend_image ? o->default_backend_image : "");
        ports(&port_list, daemonset, o->admission_webhook);
        const char *mounts = o->admission_webhook ? "[{\"name\": \"webhook-cert\", \"mountPath\": "
                                                    "\"/usr/local/certificates/\", \"readOnly\": "
                                                    "true}]"
                                                  : "[]";
        const char *volumes =
                o->admission_webhook
                        ? "[{\"name\": \"webhook-cert\", \"secret\": {\"secretName\": "
                          "\"ingress-nginx-admission\", \"items\": [{\"key\": \"tls.crt\", "
                          "\"path\": \"cert\"}, {\"key\": \"tls.key\", \"path\": \"key\"}]}}]"
                        : "[]";
        char *out = NULL;
        if (image.ok && data.ok && selector.ok && argv.ok && scale.ok && backend.ok &&
            port_list.ok) {
                const struct addon_var vars[] = {
                        {"KIND", daemonset ? "DaemonSet" : "Deployment"},
                        {"SCALE", scale.s},
                        {"IMAGE", image.s},
                        {"ARGS", argv.s},
                        {"PORTS", port_list.s},
                        {"MOUNTS", mounts},
                        {"VOLUMES", volumes},
                        {"CONFIG_DATA", data.s},
                        {"NODE_SELECTOR", selector.s},
                        {"TOLERATIONS", o->tolerations ? o->tolerations : "[]"},
                        {"EXTERNAL_TRAFFIC_POLICY",
                         o->external_traffic_policy &&
                                         strcmp(o->external_traffic_policy, "Local") == 0
                                 ? "Local"
                                 : "Cluster"},
                        {"BACKEND_IMAGE", backend.s},
                };
                size_t n = sizeof(vars) / sizeof(vars[0]);
                int rc = append(&all, script_ingress_nginx_yml, vars, n, bad, bad_size);
                if (rc == 0 && o->default_backend_image)
                        rc = append(&all, script_default_backend_yml, vars, n, bad, bad_size);
                if (rc == 0 && o->admission_webhook)
                        rc = append(&all, script_admission_yml, vars, n, bad, bad_size);
                if (rc == 0) {
                        out = abuf_take(&all);
                        if (!out)
                                snprintf(bad, bad_size, "out of memory");
                }
        } else {
                snprintf(bad, bad_size, "out of memory");
        }
        abuf_free(&image);
        abuf_free(&data);
        abuf_free(&selector);
        abuf_free(&argv);
        abuf_free(&scale);
        abuf_free(&backend);
        abuf_free(&port_list);
        abuf_free(&all);
        return out;
}
