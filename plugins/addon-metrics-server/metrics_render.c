#include <stdio.h>

#include "addon-metrics-server_scripts.h"
#include "addon.h"
#include "metrics_render.h"

char *metrics_render(const struct metrics_opts *o, char *bad, size_t bad_size)
{
        static const char *const base[] = {
                "--cert-dir=/tmp",
                "--secure-port=10250",
                "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                "--kubelet-use-node-status-port",
                "--metric-resolution=15s",
        };
        struct abuf args, image;
        abuf_init(&args);
        abuf_init(&image);
        abuf_puts(&args, "[");
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
                abuf_puts(&args, i ? ", " : "");
                abuf_json_str(&args, base[i]);
        }
        if (o->kubelet_insecure_tls) {
                abuf_puts(&args, ", ");
                abuf_json_str(&args, "--kubelet-insecure-tls");
        }
        for (size_t i = 0; i < o->n_extra_args; i++) {
                abuf_puts(&args, ", ");
                abuf_json_str(&args, o->extra_args[i]);
        }
        abuf_puts(&args, "]");
        abuf_json_str(&image, o->image ? o->image : METRICS_IMAGE);
        char replicas[32];
        snprintf(replicas, sizeof(replicas), "%ld", o->replicas > 0 ? o->replicas : 1);
        char *out = NULL;
        if (args.ok && image.ok) {
                const struct addon_var vars[] = {
                        {"IMAGE", image.s},
                        {"ARGS", args.s},
                        {"REPLICAS", replicas},
                };
                out = addon_render(script_metrics_server_yml, vars, sizeof(vars) / sizeof(vars[0]),
                                   bad, bad_size);
        } else {
                snprintf(bad, bad_size, "out of memory");
        }
        abuf_free(&args);
        abuf_free(&image);
        return out;
}
