/* The options `pharos exec` and `pharos ssh` share: which cluster.yml, which
 * hosts, how to connect. Parsing stops at the first word that is not an
 * option (or after "--"), so a remote command needs no "--". */
#ifndef PHAROS_CORE_CLI_HOST_ARGS_H
#define PHAROS_CORE_CLI_HOST_ARGS_H

#include "cli/cli.h"
#include "cli/host_filter.h"
#include "config/config.h"
#include "ssh/transport.h"

struct host_args {
        const char *config; /* -c FILE, default "cluster.yml" */
        struct host_filter filter;
        unsigned concurrency; /* --concurrency N, 0: the executor's default */
        struct tp_opts opts;  /* --trust-hosts, --connect-timeout, --timeout */
        int help;             /* -h / --help was given */
        int cmd_index;        /* argv index of the first command word (argc: none) */
};

/* The usage lines for these options, for the commands' --help. */
#define HOST_ARGS_HELP                                                                             \
        "  -c, --config FILE       cluster.yml to read (default: cluster.yml)\n"                   \
        "  -r, --role ROLE         only hosts with this role (master, worker)\n"                   \
        "  -l, --label KEY=VALUE   only hosts with this label (repeatable: all must match)\n"      \
        "  -a, --address ADDRESS   only this host (repeatable: any of them)\n"                     \
        "  -f, --first             only the first selected host\n"                                 \
        "      --trust-hosts       accept and record changed host keys\n"                          \
        "      --connect-timeout S connect, handshake and login timeout (default 10)\n"

/* The environment both commands read, for their --help. */
#define HOST_ARGS_ENV_HELP                                                                         \
        "\n"                                                                                       \
        "Environment:\n"                                                                           \
        "  PHAROS_KNOWN_HOSTS          known_hosts file (default ~/.ssh/known_hosts); new\n"       \
        "                              host keys are recorded, changed ones refused\n"             \
        "  PHAROS_SSH_KEY_PASSPHRASE   passphrase of ssh_key_path (else asked on the terminal)\n"  \
        "  SSH_AUTH_SOCK               ssh-agent, tried after ssh_key_path\n"

/* Parses argv[1..], taking global options among the options into ctx (none
 * when ctx is NULL). Returns 0, or PERR_USAGE with err set. */
int host_args_parse(struct cli_ctx *ctx, int argc, char **argv, struct host_args *a,
                    struct pharos_error *err);

/*
 * Loads cluster.yml (with the plugins' schemas) and selects the hosts.
 * *idx (malloc'd, caller frees) gets the indexes of the selected hosts.
 * Returns 0, or PERR_USAGE (bad file, no host matches) with err set.
 */
int host_args_select(struct cli_ctx *ctx, const struct host_args *a, struct cluster_config **cfg,
                     size_t **idx, size_t *n, struct pharos_error *err);

#endif
