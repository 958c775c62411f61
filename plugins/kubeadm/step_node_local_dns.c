/*
 * network.node_local_dns_cache: NodeLocal DNSCache as the stack
 * "node-local-dns" (node_local_dns.c) while the key is true, as the
 * original's ConfigureDNS phase applied its node_local_dns stack; deleted
 * once it is false, but only when its inventory exists, so a cluster that
 * never had it sees no write. Where pods must name the cache themselves
 * (kube-proxy in IPVS or nftables mode) the kubelet's clusterDNS follows
 * through the KubeletConfiguration (kubeadm.reconfigure, kubeadm.kubelet-config).
 */
#include <stdio.h>
#include <string.h>

#include "kadm.h"

#define STACK     "node-local-dns"
#define INVENTORY "/api/v1/namespaces/kube-system/configmaps/pharos-stack-" STACK

static int wanted(struct kadm_state *st)
{
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *net = h->config_get(h->config_root(st->self), "network");
        int on = 0;
        return h->config_bool(h->config_get(net, "node_local_dns_cache"), &on) == 0 && on;
}

/* The stack's YAML in b: 0, or -1 after failing the step. */
static int render(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kbuf *b)
{
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *root = h->config_root(st->self);
        const char *mode = kadm_proxy_mode(
                h->config_string(h->config_get(h->config_get(root, "kube_proxy"), "mode")));
        char why[200];
        if (kadm_render_node_local_dns(
                    h->config_string(h->config_get(h->config_get(root, "network"), "service_cidr")),
                    mode, h->config_string(h->config_get(root, "image_repository")), b, why,
                    sizeof(why)) < 0) {
                kb_free(b);
                h->step_fail(ctx, "node-local-dns: %s", why);
                return -1;
        }
        return 0;
}

/* 1 when the stack's inventory exists, 0 when not, -1 failed. */
static int installed(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        long status = 0;
        if (st->host->kube_request(ctx, "GET", INVENTORY, NULL, &status, NULL) < 0)
                return -1;
        if (status == 200 || status == 404)
                return status == 200;
        st->host->step_fail(ctx, "GET %s: HTTP %ld", INVENTORY, status);
        return -1;
}

static int nldns_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (kadm_worker_up(st, ctx))
                return 0;
        /* Without an API to ask (no control plane yet, as under --plan before the first
         * up) nothing is installed, and a stack to apply differs. */
        if (!wanted(st)) {
                if (installed(st, ctx) <= 0)
                        return 0;
                st->host->step_reason(ctx, "network.node_local_dns_cache is false: "
                                           "delete stack " STACK);
                return 1;
        }
        struct kbuf b = {0};
        if (render(st, ctx, &b) < 0)
                return -1;
        int differs = !PHAROS_HOST_HAS(st->host, kube_stack_differs) ||
                      st->host->kube_stack_differs(ctx, STACK, b.p, b.len) != 0;
        kb_free(&b);
        if (differs)
                st->host->step_reason(ctx,
                                      "network.node_local_dns_cache is true: apply stack " STACK);
        return differs;
}

static int nldns_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!wanted(st)) {
                int rc = installed(st, ctx);
                if (rc > 0 && (rc = st->host->kube_delete_stack(ctx, STACK)) == 0)
                        st->host->step_changed(ctx, "node-local-dns removed");
                return rc < 0 ? -1 : 0;
        }
        struct kbuf b = {0};
        int rc = render(st, ctx, &b);
        if (rc == 0)
                rc = st->host->kube_apply_stack(ctx, STACK, b.p, b.len);
        kb_free(&b);
        return rc < 0 ? -1 : 0;
}

const struct pharos_step kadm_step_node_local_dns = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.node-local-dns",
        .phase = "addons",
        .flags = PHAROS_STEP_ONCE,
        .description = "apply or remove NodeLocal DNSCache (network.node_local_dns_cache)",
        .applies = nldns_applies,
        .run = nldns_run,
};
