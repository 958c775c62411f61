/*
 * control_plane.use_proxy (the original's, and `pharos worker up
 * --control-plane-proxy`): the host's http_proxy/https_proxy/no_proxy from its
 * `environment` are kept for kubeadm and given to the kubelet (a systemd
 * drop-in). Without it they are left out, as the original did, so a proxy meant
 * for package downloads does not carry the cluster's own API traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kadm.h"

#define KADM_KUBELET_PROXY "/etc/systemd/system/kubelet.service.d/10-pharos-proxy.conf"

static int is_proxy_var(const char *k)
{
        return !strcasecmp(k, "http_proxy") || !strcasecmp(k, "https_proxy") ||
               !strcasecmp(k, "no_proxy");
}

static int use_proxy(struct kadm_state *st)
{
        const struct pharos_host *h = st->host;
        int on = 0;
        if (h->config_bool(h->config_get(h->config_get(h->config_root(st->self), "control_plane"),
                                         "use_proxy"),
                           &on) < 0)
                return 0;
        return on;
}

/*
 * Calls fn for each proxy variable of the step's host when use_proxy is on.
 * -1 (the step failed, naming the variable) when fn cannot write one.
 */
static int each_proxy(struct kadm_state *st, struct pharos_step_ctx *ctx,
                      int (*fn)(struct kbuf *b, const char *k, const char *v), struct kbuf *b)
{
        if (!use_proxy(st))
                return 0;
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *env = h->config_get(h->step_host(ctx), "environment");
        for (size_t i = 0; i < h->config_len(env); i++) {
                const char *k = h->config_key_at(env, i);
                const char *v = h->config_string(h->config_at(env, i));
                if (k && v && is_proxy_var(k) && fn(b, k, v) < 0) {
                        h->step_fail(ctx, "environment: %s cannot go into a systemd unit", k);
                        return -1;
                }
        }
        return 0;
}

size_t kadm_proxy_env(struct kadm_state *st, struct pharos_step_ctx *ctx, struct pharos_env *env)
{
        if (!use_proxy(st))
                return 0;
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *vars = h->config_get(h->step_host(ctx), "environment");
        size_t n = 0;
        for (size_t i = 0; i < h->config_len(vars) && n < KADM_PROXY_VARS; i++) {
                const char *k = h->config_key_at(vars, i);
                const char *v = h->config_string(h->config_at(vars, i));
                if (k && v && is_proxy_var(k))
                        env[n++] = (struct pharos_env){k, v};
        }
        return n;
}

int kadm_kubelet_proxy(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        struct kbuf lines = {0};
        if (each_proxy(st, ctx, kadm_render_proxy_env, &lines) < 0) {
                kb_free(&lines);
                return -1;
        }
        if (!lines.len) {
                kb_free(&lines);
                return 0;
        }
        struct kbuf b = {0};
        kb_printf(&b, "# Written by pharos: control_plane.use_proxy\n[Service]\n%s", lines.p);
        kb_free(&lines);
        int rc = b.oom ? -1 : 0;
        if (rc < 0)
                st->host->step_fail(ctx, "out of memory");
        const char *old = NULL;
        size_t old_len = 0;
        int same = rc == 0 &&
                   st->host->step_read_file(ctx, KADM_KUBELET_PROXY, &old, &old_len) == 0 &&
                   old_len == b.len && memcmp(old, b.p, b.len) == 0;
        if (rc == 0 && !same) {
                rc = st->host->step_exec(ctx, "mkdir -p /etc/systemd/system/kubelet.service.d",
                                         PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
                if (rc == 0)
                        rc = st->host->step_upload(ctx, KADM_KUBELET_PROXY, b.p, b.len, 0644, NULL);
                if (rc == 0)
                        rc = st->host->step_exec(ctx, "systemctl daemon-reload",
                                                 PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
                if (rc == 0)
                        st->host->step_changed(ctx, "kubelet proxy settings");
        }
        kb_free(&b);
        return rc < 0 ? -1 : 0;
}
