/*
 * Step services that act on a host's Node or packages for another plugin:
 * draining and uncordoning through the run's API client, and the Kubernetes
 * packages handed to the OS plugin that claimed the host. An upgrade needs
 * both in between its own commands, on one host or a few at a time.
 */
#include <stdio.h>
#include <string.h>

#include "kube/drain.h"
#include "kube/kube_path.h"
#include "plugin/registry.h"
#include "run/kube_access.h"
#include "run/step_ctx.h"

/* kubectl drain's own default is no limit; an upgrade that waits forever on a PDB
 * is worse than one that stops and says which pods held it. */
#define DRAIN_DEFAULT_S 300

int step_svc_kube_packages(struct pharos_step_ctx *ctx, const char *const *packages,
                           const char *version)
{
        if (ctx->prefetching)
                return step_pf_refuse(ctx, "step_kube_packages");
        struct pharos_plugin *os = ctx->host->os;
        ctx->transient = 0;
        if (!packages || !packages[0] || !version || !version[0]) {
                step_svc_fail(ctx, "step_kube_packages: no packages or no version");
                return PERR_FAIL;
        }
        if (!os || !os->kube_packages) {
                step_svc_fail(ctx,
                              "the OS plugin of %s (%s) cannot install a single Kubernetes "
                              "package at a version",
                              ctx->host->cfg->address, os ? os->desc.name : "none claimed it");
                return PERR_FAIL;
        }
        return os->kube_packages(ctx, os->state, packages, version) < 0 ? PERR_FAIL : 0;
}

/* A drain's progress as the step's events (ud: the step's ctx). */
static void drain_line(void *ud, const char *line)
{
        const struct pharos_step_ctx *ctx = ud;
        run_event(ctx->run, ctx->rs->step.phase, ctx->host->cfg->address, ctx->rs->step.id,
                  "progress", 0, line);
}

/* The run's API client under r->kube_mu, and whether node exists (1) or not (0). */
static int node_exists(struct pharos_step_ctx *ctx, const char *node, struct kube_client **kc)
{
        struct run *r = ctx->run;
        struct pharos_error err = {0};
        char path[320];
        if (kube_path_node(path, sizeof(path), node, NULL, &err) < 0) {
                step_svc_fail(ctx, "%s", err.msg);
                return PERR_FAIL;
        }
        pthread_mutex_lock(&r->kube_mu);
        struct kube_response resp = {0};
        int rc = run_kube(r, kc, &err);
        if (rc == 0)
                rc = kube_request(*kc, "GET", path, NULL, NULL, &resp, &err);
        long status = resp.status;
        kube_response_free(&resp);
        if (rc == 0 && status != 200 && status != 404) {
                rc = kube_status_transient(status) ? PERR_TRANSIENT : PERR_FAIL;
                perr_set(&err, rc, "GET Node %s: HTTP %ld", node, status);
        }
        if (rc < 0) {
                pthread_mutex_unlock(&r->kube_mu);
                ctx->transient = rc == PERR_TRANSIENT;
                step_svc_fail(ctx, "%s", err.msg);
                return rc;
        }
        return status == 200;
}

int step_svc_kube_drain(struct pharos_step_ctx *ctx, const char *node, uint32_t timeout_s)
{
        if (ctx->prefetching)
                return step_pf_refuse(ctx, "kube_drain");
        struct kube_client *kc = NULL;
        int has = node_exists(ctx, node, &kc);
        if (has <= 0)
                return has;
        const struct drain_opts opts = {
                .timeout_ms = 1000L * (timeout_s ? timeout_s : DRAIN_DEFAULT_S),
                .ignore_daemonsets = 1,
                .delete_local_data = 1,
                .progress = drain_line,
                .progress_ud = ctx,
                /* Other hosts' steps use the client while this drain waits (a
                 * serial step may work on several nodes at once); only run_free
                 * closes it. */
                .held = &ctx->run->kube_mu,
        };
        struct pharos_error err = {0};
        int rc = kube_node_drain(kc, node, &opts, &err);
        pthread_mutex_unlock(&ctx->run->kube_mu);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0)
                step_svc_fail(ctx, "drain Node %s: %s", node, err.msg);
        return rc < 0 ? rc : 0;
}

int step_svc_kube_uncordon(struct pharos_step_ctx *ctx, const char *node)
{
        if (ctx->prefetching)
                return step_pf_refuse(ctx, "kube_uncordon");
        struct kube_client *kc = NULL;
        int has = node_exists(ctx, node, &kc);
        if (has <= 0)
                return has;
        struct pharos_error err = {0};
        int rc = kube_node_cordon(kc, node, 0, &err);
        pthread_mutex_unlock(&ctx->run->kube_mu);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0)
                step_svc_fail(ctx, "uncordon Node %s: %s", node, err.msg);
        return rc < 0 ? rc : 0;
}
