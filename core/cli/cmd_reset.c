/* pharos reset: take hosts out of the cluster and wipe what `up` put on them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/host_args.h"
#include "cli/reset_nodes.h"
#include "plugin/host_services.h"
#include "run/interrupt.h"
#include "run/lock.h"
#include "run/run.h"
#include "util/log.h"

static int run_reset(struct cli_ctx *ctx, int argc, char **argv);

const struct cli_command cmd_reset = {
        .name = "reset",
        .summary = "Remove hosts from the cluster and wipe what pharos installed on them",
        .usage = "usage: pharos reset [-c FILE] [-a ADDRESS | -r ROLE | -l KEY=VALUE] [-y]\n"
                 "\n"
                 "Without a host filter the whole cluster is reset: every host of\n"
                 "cluster.yml loses the control plane, the kubelet, the container runtime\n"
                 "and the Kubernetes packages the plugins installed. With a filter only the\n"
                 "selected hosts go: their Nodes are deleted through the API and a master's\n"
                 "etcd member is removed (refused, before any change, when that would break\n"
                 "etcd's quorum or leave no master), then the hosts are wiped.\n"
                 "\n"
                 "Options:\n" HOST_ARGS_HELP
                 "  -y, --yes               do not ask for confirmation\n"
                 "      --lock-timeout S    seconds to wait while another pharos run holds the\n"
                 "                          cluster's lock (default 300, 0: do not wait)\n"
                 "  -h, --help              this text\n"
                 "\n"
                 "SIGINT or SIGTERM: no new step starts, running commands finish, the cluster\n"
                 "lock is released, exit 130; a second one stops at once.\n"
                 "\n"
                 "Exit status: 0 done, 1 failed on a host, not confirmed or another run holds\n"
                 "the lock, 2 usage, cluster.yml or a refused reset (nothing changed),\n"
                 "130 interrupted.\n" HOST_ARGS_ENV_HELP,
        .flags = CLI_RAW_ARGS,
        .run = run_reset,
};

/* Takes -y/--yes and --lock-timeout out of argv (host_args knows the rest).
 * Returns the arguments left, or -1 after a usage error. */
static int strip_own(int argc, char **argv, char **out, int *yes, double *lock_timeout)
{
        int n = 0;
        *yes = 0;
        for (int i = 0; i < argc; i++) {
                if (i > 0 && (!strcmp(argv[i], "-y") || !strcmp(argv[i], "--yes"))) {
                        *yes = 1;
                        continue;
                }
                const char *v = NULL;
                if (i > 0 && !strcmp(argv[i], "--lock-timeout"))
                        v = i + 1 < argc ? argv[++i] : "";
                else if (i > 0 && !strncmp(argv[i], "--lock-timeout=", 15))
                        v = argv[i] + 15;
                if (v && run_lock_parse_timeout(v, lock_timeout) < 0) {
                        cli_usage_error(&cmd_reset,
                                        "--lock-timeout needs 0..86400 seconds, not '%s'", v);
                        return -1;
                }
                if (!v)
                        out[n++] = argv[i];
        }
        out[n] = NULL;
        return n;
}

/* Masters of cfg left when the selected hosts go. */
static size_t masters_left(const struct cluster_config *cfg, const size_t *idx, size_t n)
{
        size_t left = 0;
        for (size_t i = 0; i < cfg->n_hosts; i++) {
                int chosen = 0;
                for (size_t k = 0; k < n && !chosen; k++)
                        chosen = idx[k] == i;
                if (!chosen && !strcmp(cfg->hosts[i].role, "master"))
                        left++;
        }
        return left;
}

static int confirm(const struct cluster_config *cfg, const size_t *idx, size_t n, int full)
{
        fprintf(stderr, "%s",
                full ? "This destroys the cluster: every host of it is wiped:\n"
                     : "These hosts leave the cluster and are wiped:\n");
        for (size_t k = 0; k < n; k++)
                fprintf(stderr, "  %s (%s)\n", cfg->hosts[idx[k]].address, cfg->hosts[idx[k]].role);
        fprintf(stderr, "Continue? [y/N] ");
        fflush(stderr);
        char line[32] = "";
        if (!fgets(line, sizeof(line), stdin))
                return 0;
        line[strcspn(line, "\r\n")] = '\0';
        return !strcmp(line, "y") || !strcmp(line, "Y") || !strcmp(line, "yes");
}

static int reset(struct cli_ctx *ctx, struct cluster_config *cfg, const size_t *idx, size_t n,
                 const struct host_args *a, double lock_timeout)
{
        struct pharos_error err = {0};
        /* Before any connection: a reset without its steps would wipe nothing. */
        if (run_sequence_ready(&ctx->reg, "reset", &err) < 0) {
                log_error("%s. Nothing was changed.", err.msg);
                return perr_exit_code(err.code);
        }
        if (run_signals_start() < 0)
                log_warn("cannot handle SIGINT and SIGTERM: an interrupt stops pharos at once");
        struct run_opts opts = {.concurrency = a->concurrency, .tp = a->opts};
        struct run r;
        host_services_set_config(cfg);
        int rc = run_init(&r, cfg, &ctx->reg, &opts, &err);
        r.skip_private_interface = 1;
        if (rc == 0 && n < cfg->n_hosts)
                rc = run_select(&r, idx, n, &err);
        /* Every host is connected: the ones that stay carry the API and etcd requests. */
        if (rc == 0)
                rc = run_connect(&r, &err);
        if (rc == 0)
                rc = run_lock_take(&r, lock_timeout, &err);
        if (rc == 0)
                rc = run_facts(&r, &err);
        r.after_validate = reset_remove_nodes;
        if (rc == 0)
                rc = run_sequence(&r, "reset", &err);
        run_lock_release(&r);
        if (run_interrupted()) {
                char what[1100];
                snprintf(what, sizeof(what), "%s%s%.1000s", run_interrupt_reason(),
                         rc < 0 ? ": " : "", rc < 0 ? err.msg : "");
                log_error("%s", what);
                run_event(&r, "reset", NULL, NULL, "interrupted", run_elapsed(&r), what);
        } else if (rc < 0) {
                log_error("%s", err.msg);
                run_event(&r, "reset", NULL, NULL, "failed", run_elapsed(&r), err.msg);
        } else {
                char what[64];
                snprintf(what, sizeof(what), "%zu host%s wiped", n, n == 1 ? "" : "s");
                run_event(&r, "reset", NULL, NULL, "done", run_elapsed(&r), what);
        }
        run_free(&r);
        host_services_set_config(NULL);
        return run_interrupted() ? RUN_INTERRUPTED_EXIT : perr_exit_code(rc);
}

static int run_reset(struct cli_ctx *ctx, int argc, char **argv)
{
        char **args = calloc((size_t)argc + 1, sizeof(*args));
        if (!args) {
                log_error("out of memory");
                return 1;
        }
        int yes = 0;
        double lock_timeout = RUN_LOCK_TIMEOUT_DEFAULT_S;
        int nargs = strip_own(argc, argv, args, &yes, &lock_timeout);
        if (nargs < 0) {
                free(args);
                return 2;
        }
        struct host_args a;
        struct pharos_error err = {0};
        int rc = host_args_parse(ctx, nargs, args, &a, &err);
        if (rc == 0 && !a.help && a.cmd_index < nargs)
                rc = perr_set(&err, PERR_USAGE, "unexpected argument '%s'", args[a.cmd_index]);
        free(args);
        if (rc < 0)
                return cli_usage_error(&cmd_reset, "%s", err.msg);
        if (a.help) {
                cli_usage(&cmd_reset, stdout);
                return 0;
        }
        struct cluster_config *cfg = NULL;
        size_t *idx = NULL, n = 0;
        if (host_args_select(ctx, &a, &cfg, &idx, &n, &err) < 0) {
                fprintf(stderr, "pharos reset: %s\n", err.msg);
                return perr_exit_code(err.code ? err.code : PERR_USAGE);
        }
        int full = n == cfg->n_hosts;
        if (!full && masters_left(cfg, idx, n) == 0) {
                fprintf(stderr,
                        "pharos reset: this would reset every master of %s and keep hosts that "
                        "need one; reset the whole cluster (no -a/-r/-l), or keep a master. "
                        "Nothing was changed.\n",
                        a.config);
                rc = 2;
        } else if (!yes && !isatty(STDIN_FILENO)) {
                fprintf(stderr, "pharos reset: no terminal to confirm on: give -y to reset "
                                "without asking. Nothing was changed.\n");
                rc = 2;
        } else if (!yes && !confirm(cfg, idx, n, full)) {
                fprintf(stderr, "pharos reset: not confirmed. Nothing was changed.\n");
                rc = 1;
        } else {
                rc = reset(ctx, cfg, idx, n, &a, lock_timeout);
        }
        free(idx);
        cfg_free(cfg);
        return rc;
}
