/* pharos delete-node: remove a Node object from the Kubernetes API. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cluster_api.h"
#include "kube/drain.h"
#include "kube/kube_path.h"

extern const struct cli_command cmd_delete_node;

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *config = "cluster.yml";
        struct tp_opts tp = {0};
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        config = optarg;
                        break;
                case 'T':
                        tp.trust_hosts = 1;
                        break;
                case 'h':
                        cli_usage(&cmd_delete_node, stdout);
                        return 0;
                default:
                        return cli_usage_error(&cmd_delete_node,
                                               "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return cli_usage_error(&cmd_delete_node, "which node? (pharos delete-node NODE)");
        const char *node = argv[optind++];
        if (optind < argc)
                return cli_usage_error(&cmd_delete_node, "unexpected argument '%s'", argv[optind]);
        struct cluster_api api;
        struct pharos_error err = {0};
        char path[320];
        /* Refused before any host or the API is reached. */
        if (kube_path_node(path, sizeof(path), node, NULL, &err) < 0)
                return cli_usage_error(&cmd_delete_node, "%s", err.msg);
        int existed = 0;
        int rc = cluster_api_open(ctx, config, &tp, &api, &err);
        if (rc == 0)
                rc = kube_node_delete(api.kc, node, &existed, &err);
        if (rc == 0 && !existed)
                rc = perr_set(&err, PERR_FAIL, "node %s not found", node);
        if (rc == 0)
                printf("node %s deleted\n", node);
        else
                fprintf(stderr, "error: %s\n", err.msg);
        cluster_api_close(&api);
        return perr_exit_code(rc);
}

const struct cli_command cmd_delete_node = {
        .name = "delete-node",
        .summary = "Delete a Node object from the cluster (as kubectl delete node)",
        .usage = "usage: pharos delete-node NODE [-c FILE]\n"
                 "\n"
                 "Deletes the Node object NODE through the Kubernetes API of the first master\n"
                 "of cluster.yml that answers (over SSH). The host itself is not touched:\n"
                 "drain it first (pharos drain NODE), and stop or reset it afterwards, or its\n"
                 "kubelet registers the Node again.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE    cluster.yml to read (default: cluster.yml)\n"
                 "      --trust-hosts    accept and record changed host keys\n"
                 "\n"
                 "Exit status: 0 deleted, 1 no such node or API unreachable, 2 usage or\n"
                 "cluster.yml error.\n",
        .run = run,
};
