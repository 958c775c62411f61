/*
 * kubeadm.api-proxy: a worker's node-local API proxy (api_proxy.c) set up
 * (on every host `pharos worker up` joins, to the masters given to it),
 * kept in step with the masters of cluster.yml, or taken away when the
 * cluster no longer wants it (api.endpoint set, one master left). It runs
 * after the workers joined: kubeadm's join preflight wants an empty manifest
 * directory, and a joining kubelet bootstraps against the endpoint in
 * cluster-info. The kubelet is pointed at the proxy only once the proxy
 * answered, so it never names an address nobody serves. Away from the proxy,
 * kubeadm.endpoint (control-plane phase, earlier) has already pointed the
 * kubelet back at the endpoint when this step removes it.
 */

#include "kadm.h"
#include "kubeadm_scripts.h"

int kadm_node_proxy(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *h = st->host;
        if (kadm_is_master(st, ctx))
                return 0;
        if (kadm_worker_up(st, ctx))
                return kadm_first_master(st) >= 0;
        return kadm_api_proxy(h, h->config_root(st->self));
}

/* scripts/api-proxy.sh in check or apply mode; *changes the number of its change lines,
 * listed in what. Returns 0, or <0 with the step failed. */
static int proxy_script(struct kadm_state *st, struct pharos_step_ctx *ctx, int apply,
                        unsigned *changes, char *what, size_t what_len)
{
        const struct pharos_host *h = st->host;
        int wanted = kadm_node_proxy(st, ctx);
        struct kbuf cfg = {0}, manifest = {0};
        char why[256];
        /* A worker up has only the masters given to it, each at the port given. */
        const char *given =
                kadm_worker_up(st, ctx) ? h->step_fact(ctx, "worker_up.api_endpoints") : NULL;
        if (wanted && kadm_render_api_proxy(h, h->config_root(st->self), given, &cfg, &manifest,
                                            why, sizeof(why)) < 0) {
                kb_free(&cfg);
                kb_free(&manifest);
                h->step_fail(ctx, "API proxy: %s", why);
                return -1;
        }
        const struct pharos_env env[] = {
                {"PHAROS_MODE", apply ? "apply" : "check"},
                {"WANTED", wanted ? "1" : "0"},
                {"CONFIG", KADM_API_PROXY_CONFIG},
                {"MANIFEST", KADM_API_PROXY_MANIFEST},
                {"URL", KADM_API_PROXY_URL},
                {"CONFIG_TEXT", cfg.p ? cfg.p : ""},
                {"POD_TEXT", manifest.p ? manifest.p : ""},
        };
        struct pharos_exec_result res;
        int rc = h->step_script(ctx, script_api_proxy_sh, env, sizeof(env) / sizeof(env[0]),
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, &res);
        kb_free(&cfg);
        kb_free(&manifest);
        if (rc < 0)
                return -1;
        *changes = kadm_script_changes(res.out, what, what_len);
        return 0;
}

static int proxy_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (kadm_is_master(st, ctx))
                return 0;
        unsigned changes = 0;
        char what[600];
        if (proxy_script(st, ctx, 0, &changes, what, sizeof(what)) < 0)
                return -1;
        if (changes)
                st->host->step_reason(ctx, "%s", what);
        return changes > 0;
}

static int proxy_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        unsigned changes = 0;
        char what[600];
        if (proxy_script(st, ctx, 1, &changes, what, sizeof(what)) < 0)
                return -1;
        if (!kadm_node_proxy(st, ctx)) {
                st->host->step_changed(ctx, "removed the node-local API proxy");
                return 0;
        }
        if (changes)
                st->host->step_changed(ctx, "the node-local API proxy on %s reaches every master",
                                       KADM_API_PROXY_URL);
        const char *const keep[] = {NULL};
        unsigned stale = 0;
        return kadm_retarget_host(st, ctx, KADM_API_PROXY_URL, keep, 1, &stale);
}

/* prefetch(): proxy_applies() only reads; what it asks the host is recorded. */
static void proxy_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)proxy_applies(ctx, state);
}

const struct pharos_step kadm_step_api_proxy = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.api-proxy",
        .phase = "join",
        .after = (const char *const[]){"kubeadm.join-workers", "kubeadm.worker-up-endpoint", NULL},
        .description = "give the worker a node-local proxy to every master's API server",
        .applies = proxy_applies,
        .prefetch = proxy_prefetch,
        .run = proxy_run,
};
