/*
 * network.dns_replicas: kubeadm deploys CoreDNS as the Deployment
 * kube-system/coredns with two replicas; this step scales it to the count
 * cluster.yml gives (by default the original's 1 + ceil(hosts / 10)), as the
 * original's ConfigureDNS phase did, on every run, so a count kubeadm resets
 * is put back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

#define COREDNS "/apis/apps/v1/namespaces/kube-system/deployments/coredns"

static long wanted(struct kadm_state *st)
{
        const struct pharos_host *h = st->host;
        int64_t n = 0;
        const struct pharos_config_node *net = h->config_get(h->config_root(st->self), "network");
        if (h->config_int(h->config_get(net, "dns_replicas"), &n) < 0 || n < 1)
                n = 1;
        return (long)n;
}

/* 1 with the merge patch in patch when the Deployment needs one, 0 when not, -1 failed.
 * With quiet, no Deployment (no API yet, as under --plan) is 1 without a patch. */
static int dns_check(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kbuf *patch,
                     int quiet)
{
        long status = 0;
        const char *resp = NULL;
        if (st->host->kube_request(ctx, "GET", COREDNS, NULL, &status, &resp) < 0 ||
            status == 404) {
                if (quiet) {
                        st->host->step_reason(ctx, "CoreDNS is not deployed yet");
                        return 1;
                }
                if (status == 404)
                        st->host->step_fail(ctx, "Deployment kube-system/coredns not found "
                                                 "(kubeadm deploys it with the control plane)");
                return -1;
        }
        if (status != 200) {
                st->host->step_fail(ctx, "GET %s: HTTP %ld", COREDNS, status);
                return -1;
        }
        char why[200];
        int rc = kadm_dns_replicas_patch(resp, wanted(st), patch, why, sizeof(why));
        if (rc < 0)
                st->host->step_fail(ctx, "%s", why);
        else if (rc > 0)
                st->host->step_reason(ctx, "CoreDNS runs %s", why);
        return rc;
}

static int dns_applies(struct pharos_step_ctx *ctx, void *state)
{
        /* `pharos worker up` joins a node; the cluster's DNS is the up's business. */
        if (kadm_worker_up(state, ctx))
                return 0;
        struct kbuf patch = {0};
        int rc = dns_check(state, ctx, &patch, 1);
        kb_free(&patch);
        return rc;
}

static int dns_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        struct kbuf patch = {0};
        int rc = dns_check(st, ctx, &patch, 0);
        if (rc > 0 && patch.oom) {
                st->host->step_fail(ctx, "out of memory");
                rc = -1;
        }
        long status = 0;
        const char *resp = NULL;
        if (rc > 0 && st->host->kube_request(ctx, "PATCH", COREDNS, patch.p, &status, &resp) < 0)
                rc = -1;
        if (rc > 0 && (status < 200 || status > 299)) {
                st->host->step_fail(ctx, "PATCH %s: HTTP %ld: %.300s", COREDNS, status,
                                    resp ? resp : "");
                rc = -1;
        }
        if (rc > 0)
                st->host->step_changed(ctx, "CoreDNS scaled to %ld replicas", wanted(st));
        kb_free(&patch);
        return rc < 0 ? -1 : 0;
}

const struct pharos_step kadm_step_dns_replicas = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.dns-replicas",
        .phase = "addons",
        .flags = PHAROS_STEP_ONCE,
        .description = "scale kubeadm's CoreDNS to network.dns_replicas",
        .applies = dns_applies,
        .run = dns_run,
};
