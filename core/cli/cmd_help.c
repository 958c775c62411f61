#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plugin_cmd.h"

extern const struct cli_command cmd_help;

const char cli_about[] =
        "pharos turns SSH-reachable Linux machines into a Kubernetes cluster and keeps\n"
        "it in the shape cluster.yml describes.\n";

const char cli_environment[] =
        "Environment:\n"
        "  PHAROS_PLUGIN_PATH     colon-separated plugin directories, searched after\n"
        "                         --plugin-path and before the installed plugins\n"
        "  PHAROS_STOP_AT         phase names, comma-separated: the run stops itself\n"
        "                         (SIGSTOP) as each starts, until `kill -CONT PID`; for\n"
        "                         fault tests and for looking at the hosts there\n";

const char cli_exit_status[] =
        "Exit status: 0 success, 1 failure on hosts, 2 usage or configuration\n"
        "error, 130 interrupted.\n";

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc > 1 && cli_is_help(argv[1])) {
                cli_usage(&cmd_help, stdout);
                return 0;
        }
        if (argc > 1) {
                for (const struct cli_command *const *c = cli_commands; *c; c++) {
                        if (strcmp((*c)->name, argv[1]) == 0) {
                                cli_usage(*c, stdout);
                                return 0;
                        }
                }
                cli_load_plugins(ctx);
                int words = 0;
                const struct reg_command *pc = pcmd_find(&ctx->reg, argc - 1, argv + 1, &words);
                if (pc) {
                        pcmd_usage(&pc->cmd, stdout);
                        return 0;
                }
                return cli_usage_error(&cmd_help, "unknown command '%s'", argv[1]);
        }
        printf("usage: pharos [GLOBAL OPTIONS] COMMAND [ARGS]...\n\n%s\nCommands:\n", cli_about);
        for (const struct cli_command *const *c = cli_commands; *c; c++)
                printf("  %-22s %s\n", (*c)->name, (*c)->summary);
        cli_load_plugins(ctx);
        if (ctx->reg.n_cmds) {
                printf("\nPlugin commands:\n");
                for (size_t i = 0; i < ctx->reg.n_cmds; i++) {
                        const struct reg_command *rc = &ctx->reg.cmds[i];
                        printf("  %-22s %s [%s]\n", rc->cmd.name,
                               rc->cmd.summary ? rc->cmd.summary : "", rc->owner->desc.name);
                }
        }
        putchar('\n');
        cli_print_global_options(stdout);
        printf("\n%s\n%s\nRun 'pharos COMMAND --help' for a command's options.\n", cli_environment,
               cli_exit_status);
        return 0;
}

const struct cli_command cmd_help = {
        .name = "help",
        .summary = "List the commands, including those plugins add",
        .usage = "usage: pharos help [COMMAND]\n"
                 "\n"
                 "Lists pharos' commands and the commands loaded plugins add (with the\n"
                 "plugin providing each), or prints the usage of COMMAND.\n",
        .run = run,
};
