/*
 * The Kubernetes API of the cluster a cluster.yml describes, for commands
 * that only talk to the API or the masters (drain, delete-node, etcd backup):
 * connects to the masters alone — workers may be gone — and uses the first
 * whose API answers, through an SSH tunnel as `pharos up` does
 * (run/kube_access.h).
 */
#ifndef PHAROS_CORE_CLI_CLUSTER_API_H
#define PHAROS_CORE_CLI_CLUSTER_API_H

#include "cli/cli.h"
#include "kube/client.h"
#include "run/run.h"

struct cluster_api {
        struct cluster_config *cfg;
        struct run run;
        int have_run;
        struct kube_client *kc; /* owned by run */
};

/* Loads cluster.yml (PERR_USAGE when invalid) and prepares a run over its hosts,
 * connecting none. On failure *api is left for cluster_api_close(). */
int cluster_config_open(struct cli_ctx *ctx, const char *config, const struct tp_opts *tp,
                        struct cluster_api *api, struct pharos_error *err);

/* Connects to every master not connected yet; those that don't answer are left
 * without a transport and named, with why, in unreachable ("" when none). */
void cluster_masters_connect(struct cluster_api *api, char *unreachable, size_t size);

/* Loads cluster.yml (PERR_USAGE when invalid) and opens the API (PERR_FAIL when no master's
 * API answers). On failure *api is left for cluster_api_close(). */
int cluster_api_open(struct cli_ctx *ctx, const char *config, const struct tp_opts *tp,
                     struct cluster_api *api, struct pharos_error *err);
void cluster_api_close(struct cluster_api *api);

#endif
