/* `pharos worker up`: join this host with the join command the user brought, and
 * keep its kubelet on one of the masters given. */
#include <stdio.h>
#include <string.h>

#include "kadm.h"

static int wu_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!kadm_worker_up(st, ctx))
                return 0;
        int has = kadm_exists(st, ctx, KADM_KUBELET_CONF);
        if (has < 0)
                return -1;
        if (!has)
                st->host->step_reason(ctx, "no " KADM_KUBELET_CONF ": not in the cluster yet");
        return !has;
}

static int wu_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const char *command = st->host->step_fact(ctx, "worker_up.join_command");
        const char *endpoint = st->host->step_fact(ctx, "worker_up.api_endpoint");
        struct kadm_join j = {0};
        if (!command || kadm_parse_join(command, &j) < 0) {
                /* Never quote the command: it holds the token. */
                st->host->step_fail(ctx, "the join command is not `kubeadm join ENDPOINT --token "
                                         "TOKEN --discovery-token-ca-cert-hash HASH`");
                return -1;
        }
        /* The command names the endpoint the cluster advertises, which this host may not
         * reach; the masters given on the command line were probed instead. */
        if (endpoint)
                snprintf(j.endpoint, sizeof(j.endpoint), "%s", endpoint);
        return kadm_join_host(st, ctx, &j, 0);
}

const struct pharos_step kadm_step_worker_up_join = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.worker-up-join",
        .phase = "join",
        .description = "join this host with the join command given to pharos worker up",
        .applies = wu_applies,
        .run = wu_run,
};

#define WU_MAX_MASTERS 16

/*
 * The kubelet names the API server kubeadm found in cluster-info, the
 * cluster's endpoint, which need not be one of the masters given (that
 * endpoint moved, or the host can't reach it). As the original re-ran the
 * kubelet configuration when the masters given differ, a kubelet that names
 * none of them is pointed at the first one that answered.
 */
static int wu_endpoint_pass(struct pharos_step_ctx *ctx, struct kadm_state *st, int fix)
{
        const struct pharos_host *h = st->host;
        const char *answered = h->step_fact(ctx, "worker_up.api_endpoint");
        if (!kadm_worker_up(st, ctx) || !answered)
                return 0;
        int has = kadm_exists(st, ctx, KADM_KUBELET_CONF);
        if (has <= 0)
                return has;
        char want[300], urls[WU_MAX_MASTERS][300];
        const char *keep[WU_MAX_MASTERS + 1] = {0};
        size_t n = 0;
        snprintf(want, sizeof(want), "https://%s", answered);
        /* The run's configuration holds this host and the masters given. */
        const struct pharos_config_node *hosts = kadm_hosts(st);
        for (size_t i = 0; i < h->config_len(hosts) && n < WU_MAX_MASTERS - 1; i++) {
                const struct pharos_config_node *hn = h->config_at(hosts, i);
                const char *role = h->config_string(h->config_get(hn, "role"));
                if (!role || strcmp(role, "master") != 0)
                        continue;
                kadm_api_url(kadm_peer_address(h, hn), urls[n], sizeof(urls[n]));
                keep[n] = urls[n];
                n++;
        }
        /* The node-local API proxy reaches them all (kubeadm.api-proxy). */
        if (kadm_node_proxy(st, ctx))
                keep[n++] = KADM_API_PROXY_URL;
        unsigned stale = 0;
        if (kadm_retarget_host(st, ctx, want, keep, fix, &stale) < 0)
                return -1;
        return stale != 0;
}

static int wu_endpoint_applies(struct pharos_step_ctx *ctx, void *state)
{
        return wu_endpoint_pass(ctx, state, 0);
}

static int wu_endpoint_run(struct pharos_step_ctx *ctx, void *state)
{
        return wu_endpoint_pass(ctx, state, 1) < 0 ? -1 : 0;
}

const struct pharos_step kadm_step_worker_up_endpoint = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.worker-up-endpoint",
        .phase = "join",
        .after = (const char *const[]){"kubeadm.worker-up-join", NULL},
        .description = "point this host's kubelet at one of the masters given to pharos worker up",
        .applies = wu_endpoint_applies,
        .run = wu_endpoint_run,
};
