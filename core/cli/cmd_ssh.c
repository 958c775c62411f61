/* pharos ssh: an interactive session on one host, or a command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/exec_hosts.h"
#include "cli/host_args.h"
#include "ssh/target_cfg.h"
#include "ssh/transport.h"
#include "util/log.h"

static const char usage[] =
        "usage: pharos ssh [OPTIONS] [-- COMMAND...]\n"
        "\n"
        "Opens a shell on the selected host of cluster.yml, with a terminal when\n"
        "run from one. With COMMAND, runs it instead (on every selected host when\n"
        "more than one is selected). Without COMMAND exactly one host must be\n"
        "selected: use -a, -l or -f. Exit status: the remote shell's or COMMAND's,\n"
        "1 when the host can't be reached, 2 on a usage or cluster.yml error.\n"
        "\n"
        "Options:\n" HOST_ARGS_HELP "  -h, --help              this text\n" HOST_ARGS_ENV_HELP;

static int run_ssh(struct cli_ctx *ctx, int argc, char **argv);

const struct cli_command cmd_ssh = {
        .name = "ssh",
        .summary = "Open a shell (or run a command) on a host of cluster.yml",
        .usage = usage,
        .flags = CLI_RAW_ARGS,
        .run = run_ssh,
};

static int interactive(const struct cfg_host *h, const struct tp_opts *opts, int argc, char **argv)
{
        struct tp_target t, b;
        struct pharos_error err = {0};
        struct transport *tp = NULL;
        tp_target_from_host(h, &t, &b);
        if (tp_open(&t, opts, &tp, &err) < 0) {
                log_error("%s", err.msg);
                tp_global_cleanup();
                return 1;
        }
        /* ssh(1) joins the command words with spaces the same way */
        size_t len = 1;
        for (int i = 0; i < argc; i++)
                len += strlen(argv[i]) + 1;
        char *cmd = argc ? calloc(1, len) : NULL;
        for (int i = 0; cmd && i < argc; i++) {
                if (i)
                        strcat(cmd, " ");
                strcat(cmd, argv[i]);
        }
        int rc = tp_interactive(tp, cmd, &err);
        if (rc < 0) {
                log_error("%s", err.msg);
                rc = 1;
        }
        free(cmd);
        tp_close(tp);
        tp_global_cleanup();
        return rc;
}

static int run_ssh(struct cli_ctx *ctx, int argc, char **argv)
{
        struct host_args a;
        struct pharos_error err = {0};
        if (host_args_parse(ctx, argc, argv, &a, &err) < 0)
                return cli_usage_error(&cmd_ssh, "%s", err.msg);
        if (a.help) {
                cli_usage(&cmd_ssh, stdout);
                return 0;
        }
        struct cluster_config *cfg = NULL;
        size_t *idx = NULL, n = 0;
        if (host_args_select(ctx, &a, &cfg, &idx, &n, &err) < 0) {
                fprintf(stderr, "pharos ssh: %s\n", err.msg);
                return perr_exit_code(err.code ? err.code : PERR_USAGE);
        }
        int ncmd = argc - a.cmd_index, rc;
        if (n > 1 && ncmd == 0) {
                rc = cli_usage_error(&cmd_ssh,
                                     "%zu hosts are selected; choose one with -a, -l or -f", n);
        } else if (n > 1) {
                rc = exec_on_hosts(cfg, idx, n, ncmd, argv + a.cmd_index, a.concurrency, &a.opts);
        } else {
                rc = interactive(&cfg->hosts[idx[0]], &a.opts, ncmd, argv + a.cmd_index);
        }
        free(idx);
        cfg_free(cfg);
        return rc;
}
