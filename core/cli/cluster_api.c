#include <stdio.h>
#include <string.h>

#include "cli/cluster_api.h"
#include "run/kube_access.h"
#include "ssh/target_cfg.h"

int cluster_config_open(struct cli_ctx *ctx, const char *config, const struct tp_opts *tp,
                        struct cluster_api *api, struct pharos_error *err)
{
        memset(api, 0, sizeof(*api));
        cli_load_plugins(ctx);
        int rc = cfg_load(config, &ctx->reg, &api->cfg, err);
        if (rc < 0)
                return rc;
        struct run_opts opts = {.tp = *tp};
        rc = run_init(&api->run, api->cfg, &ctx->reg, &opts, err);
        if (rc < 0)
                return rc;
        api->have_run = 1;
        return 0;
}

void cluster_masters_connect(struct cluster_api *api, char *unreachable, size_t size)
{
        unreachable[0] = '\0';
        for (size_t i = 0; i < api->run.n_hosts; i++) {
                struct run_host *h = &api->run.hosts[i];
                if (strcmp(h->cfg->role, "master") != 0 || h->tp)
                        continue;
                struct tp_target t, bastion;
                struct pharos_error e = {0};
                tp_target_from_host(h->cfg, &t, &bastion);
                /* A master that cannot be reached is skipped; the next may answer. */
                if (tp_open(&t, &api->run.opts.tp, &h->tp, &e) < 0) {
                        size_t used = strlen(unreachable);
                        snprintf(unreachable + used, size - used, "%s%.200s", used ? "; " : "",
                                 e.msg);
                }
        }
}

int cluster_api_open(struct cli_ctx *ctx, const char *config, const struct tp_opts *tp,
                     struct cluster_api *api, struct pharos_error *err)
{
        int rc = cluster_config_open(ctx, config, tp, api, err);
        if (rc < 0)
                return rc;
        char unreachable[600];
        cluster_masters_connect(api, unreachable, sizeof(unreachable));
        rc = run_kube(&api->run, &api->kc, err);
        if (rc < 0 && unreachable[0]) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                rc = perr_set(err, rc, "%.500s (%s)", why, unreachable);
        }
        return rc;
}

void cluster_api_close(struct cluster_api *api)
{
        if (api->have_run)
                run_free(&api->run);
        cfg_free(api->cfg);
        memset(api, 0, sizeof(*api));
}
