/* pharos drain: cordon a Node and evict its pods, as `kubectl drain` does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cluster_api.h"
#include "cli/duration.h"
#include "kube/drain.h"
#include "kube/kube_path.h"

extern const struct cli_command cmd_drain;

struct drain_args {
        const char *config, *node;
        struct drain_opts opts;
        struct tp_opts tp;
};

static int parse_args(int argc, char **argv, struct drain_args *a)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"timeout", required_argument, NULL, 't'},
                {"ignore-daemonsets", no_argument, NULL, 'D'},
                {"delete-local-data", no_argument, NULL, 'L'},
                {"delete-emptydir-data", no_argument, NULL, 'L'},
                {"force", no_argument, NULL, 'f'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "c:t:fh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 't':
                        if (duration_parse_ms(optarg, &a->opts.timeout_ms) < 0)
                                return cli_usage_error(&cmd_drain,
                                                       "--timeout needs a duration like 90s, 5m "
                                                       "or 1h30m, not '%s'",
                                                       optarg);
                        break;
                case 'D':
                        a->opts.ignore_daemonsets = 1;
                        break;
                case 'L':
                        a->opts.delete_local_data = 1;
                        break;
                case 'f':
                        a->opts.force = 1;
                        break;
                case 'T':
                        a->tp.trust_hosts = 1;
                        break;
                case 'h':
                        cli_usage(&cmd_drain, stdout);
                        return 1;
                default:
                        return cli_usage_error(&cmd_drain, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return cli_usage_error(&cmd_drain, "which node? (pharos drain NODE)");
        a->node = argv[optind++];
        if (optind < argc)
                return cli_usage_error(&cmd_drain, "unexpected argument '%s'", argv[optind]);
        char path[320];
        struct pharos_error err = {0};
        /* Refused before any host or the API is reached. */
        if (kube_path_node(path, sizeof(path), a->node, NULL, &err) < 0)
                return cli_usage_error(&cmd_drain, "%s", err.msg);
        return 0;
}

static void print_progress(void *ud, const char *line)
{
        (void)ud;
        printf("%s\n", line);
        fflush(stdout);
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        struct drain_args a = {.config = "cluster.yml", .opts.timeout_ms = 5L * 60 * 1000};
        int rc = parse_args(argc, argv, &a);
        if (rc)
                return rc == 1 ? 0 : rc;
        a.opts.progress = print_progress;
        struct cluster_api api;
        struct pharos_error err = {0};
        rc = cluster_api_open(ctx, a.config, &a.tp, &api, &err);
        if (rc == 0)
                rc = kube_node_drain(api.kc, a.node, &a.opts, &err);
        if (rc < 0)
                fprintf(stderr, "error: %s\n", err.msg);
        cluster_api_close(&api);
        return perr_exit_code(rc);
}

const struct cli_command cmd_drain = {
        .name = "drain",
        .summary = "Cordon a node and evict its pods (as kubectl drain)",
        .usage = "usage: pharos drain NODE [-c FILE] [--timeout DURATION] [--ignore-daemonsets]\n"
                 "                    [--delete-local-data] [--force]\n"
                 "\n"
                 "Marks the Node unschedulable, then evicts its pods through the Eviction API\n"
                 "so PodDisruptionBudgets are honoured: an eviction a budget refuses is retried\n"
                 "every 5 s until the timeout. Waits until the evicted pods are gone. Mirror\n"
                 "pods of static pods are left alone. Nothing is evicted when a pod would be\n"
                 "refused: DaemonSet pods (their controller ignores unschedulable), pods with\n"
                 "emptyDir data, pods no controller would recreate. The API is reached through\n"
                 "the first master of cluster.yml that answers, over SSH.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE        cluster.yml to read (default: cluster.yml)\n"
                 "  -t, --timeout DURATION   give up after this long (default 5m; 0 = never);\n"
                 "                           e.g. 90s, 5m, 1h30m; the node stays cordoned\n"
                 "      --ignore-daemonsets  leave DaemonSet pods instead of refusing\n"
                 "      --delete-local-data  evict pods with emptyDir volumes (their data is\n"
                 "                           lost; also --delete-emptydir-data)\n"
                 "  -f, --force              evict pods no controller manages (they are not\n"
                 "                           recreated anywhere)\n"
                 "      --trust-hosts        accept and record changed host keys\n"
                 "\n"
                 "Exit status: 0 drained, 1 refused, timed out or API unreachable, 2 usage\n"
                 "or cluster.yml error.\n",
        .run = run,
};
