/* `pharos worker up`: join this host with the join command the user brought. */
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
