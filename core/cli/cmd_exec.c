/* pharos exec: one command on the selected hosts, in parallel. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/exec_hosts.h"
#include "cli/host_args.h"
#include "exec/executor.h"
#include "ssh/linebuf.h"
#include "ssh/target_cfg.h"
#include "ssh/transport.h"
#include "util/log.h"

static const char usage[] =
        "usage: pharos exec [OPTIONS] [--] COMMAND...\n"
        "\n"
        "Runs COMMAND with the login shell of each selected host of cluster.yml, in\n"
        "parallel. Options end at the first word that is not one, so\n"
        "  pharos exec -r master -f sudo kubeadm token create --print-join-command\n"
        "needs no \"--\". Output lines are prefixed with the host when there is more\n"
        "than one. Exit status: 0 when COMMAND succeeded everywhere, 1 when it failed\n"
        "(or could not run) on any host, 2 on a usage or cluster.yml error.\n"
        "\n"
        "Options:\n" HOST_ARGS_HELP
        "      --concurrency N     hosts worked on at once (default 30)\n"
        "      --timeout S         give up on a host's command after S seconds\n"
        "  -h, --help              this text\n" HOST_ARGS_ENV_HELP;

/* Whole lines from many threads must not interleave. */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

struct exec_run {
        const struct cluster_config *cfg;
        const size_t *idx;
        const char *cmd;
        const struct tp_opts *opts;
        int prefix;
};

struct host_out {
        const char *name;
        struct linebuf lb[2];
};

struct line_ctx {
        const char *name;
        FILE *f;
};

static void emit_line(void *ud, const char *line, size_t len)
{
        struct line_ctx *lc = ud;
        pthread_mutex_lock(&out_mu);
        fprintf(lc->f, "[%s] %.*s\n", lc->name, (int)len, line);
        fflush(lc->f);
        pthread_mutex_unlock(&out_mu);
}

static void prefixed_sink(void *ud, int stream, const char *buf, size_t n)
{
        struct host_out *ho = ud;
        struct line_ctx lc = {ho->name, stream == 1 ? stdout : stderr};
        linebuf_feed(&ho->lb[stream - 1], buf, n, emit_line, &lc);
}

/* One host: its output as it comes, byte for byte. */
static void raw_sink(void *ud, int stream, const char *buf, size_t n)
{
        (void)ud;
        FILE *f = stream == 1 ? stdout : stderr;
        fwrite(buf, 1, n, f);
        fflush(f);
}

static int exec_job(void *ud, size_t i, struct pharos_error *err)
{
        const struct exec_run *run = ud;
        const struct cfg_host *h = &run->cfg->hosts[run->idx[i]];
        struct tp_target t, b;
        tp_target_from_host(h, &t, &b);
        struct transport *tp = NULL;
        /* With several hosts a failure is shown when it happens, and again
         * in the summary; with one, the summary says it all. */
        if (tp_open(&t, run->opts, &tp, err) < 0) {
                if (run->prefix)
                        log_error("%s", err->msg);
                return PERR_FAIL;
        }
        struct host_out ho = {.name = h->address};
        linebuf_init(&ho.lb[0]);
        linebuf_init(&ho.lb[1]);
        struct tp_cmd c = {
                .cmd = run->cmd, .sink = run->prefix ? prefixed_sink : raw_sink, .ud = &ho};
        struct tp_result res;
        int rc = tp_exec(tp, &c, &res, err);
        if (run->prefix) {
                struct line_ctx out = {h->address, stdout}, errs = {h->address, stderr};
                linebuf_flush(&ho.lb[0], emit_line, &out);
                linebuf_flush(&ho.lb[1], emit_line, &errs);
        }
        tp_close(tp);
        if (rc < 0) {
                if (run->prefix)
                        log_error("%s", err->msg);
                return PERR_FAIL;
        }
        if (res.status != 0)
                return perr_set(err, PERR_FAIL, "%s: exit status %d", h->address, res.status);
        return 0;
}

/* The remote command line: the words joined by spaces, as ssh(1) does. */
static char *join_words(int argc, char **argv)
{
        size_t len = 1;
        for (int i = 0; i < argc; i++)
                len += strlen(argv[i]) + 1;
        char *s = malloc(len);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (int i = 0; i < argc; i++) {
                if (i)
                        strcat(s, " ");
                strcat(s, argv[i]);
        }
        return s;
}

int exec_on_hosts(const struct cluster_config *cfg, const size_t *idx, size_t n, int argc,
                  char **argv, unsigned concurrency, const struct tp_opts *opts)
{
        char *cmd = join_words(argc, argv);
        if (!cmd) {
                log_error("out of memory");
                return 1;
        }
        struct exec_run run = {cfg, idx, cmd, opts, n > 1};
        struct xr_report rep;
        int rc = xr_run(n, concurrency, exec_job, &run, &rep);
        tp_global_cleanup();
        free(cmd);
        if (rc < 0) {
                char summary[2048];
                xr_summary(&rep, summary, sizeof(summary));
                log_error("%s", summary);
                return 1;
        }
        return 0;
}

static int run_exec(struct cli_ctx *ctx, int argc, char **argv);

const struct cli_command cmd_exec = {
        .name = "exec",
        .summary = "Run a command on the hosts of cluster.yml",
        .usage = usage,
        .flags = CLI_RAW_ARGS,
        .run = run_exec,
};

static int run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
        struct host_args a;
        struct pharos_error err = {0};
        if (host_args_parse(ctx, argc, argv, &a, &err) < 0)
                return cli_usage_error(&cmd_exec, "%s", err.msg);
        if (a.help) {
                cli_usage(&cmd_exec, stdout);
                return 0;
        }
        if (a.cmd_index >= argc)
                return cli_usage_error(&cmd_exec, "no command given");
        struct cluster_config *cfg = NULL;
        size_t *idx = NULL, n = 0;
        if (host_args_select(ctx, &a, &cfg, &idx, &n, &err) < 0) {
                fprintf(stderr, "pharos exec: %s\n", err.msg);
                return perr_exit_code(err.code ? err.code : PERR_USAGE);
        }
        int rc = exec_on_hosts(cfg, idx, n, argc - a.cmd_index, argv + a.cmd_index, a.concurrency,
                               &a.opts);
        free(idx);
        cfg_free(cfg);
        return rc;
}
