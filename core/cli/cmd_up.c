/* pharos up: bring the cluster to the shape cluster.yml describes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "config/manifests.h"
#include "plugin/host_services.h"
#include "run/interrupt.h"
#include "run/lock.h"
#include "run/run.h"
#include "run/stale_nodes.h"
#include "run/state.h"
#include "util/log.h"

extern const struct cli_command cmd_up;

struct up_args {
        const char *config;
        const char *output;
        struct run_opts opts;
        double lock_timeout; /* seconds to wait for another run's cluster lock */
};

static int parse_args(int argc, char **argv, struct up_args *a)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"plan", no_argument, NULL, 'p'},
                {"dry-run", no_argument, NULL, 'p'},
                {"output", required_argument, NULL, 'o'},
                {"concurrency", required_argument, NULL, 'C'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"retry-budget", required_argument, NULL, 'R'},
                {"yes", no_argument, NULL, 'y'},
                {"prune", no_argument, NULL, 'P'},
                {"lock-timeout", required_argument, NULL, 'L'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+c:o:yh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 'p':
                        a->opts.plan = 1;
                        break;
                case 'o':
                        a->output = optarg;
                        break;
                case 'C': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 1 || v > 1000)
                                return cli_usage_error(
                                        &cmd_up, "--concurrency needs 1..1000, not '%s'", optarg);
                        a->opts.concurrency = (unsigned)v;
                        break;
                }
                case 'T':
                        a->opts.tp.trust_hosts = 1;
                        break;
                case 'R': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 0 || v > 86400)
                                return cli_usage_error(
                                        &cmd_up, "--retry-budget needs 0..86400 seconds, not '%s'",
                                        optarg);
                        /* 0 in run_opts means the default; the user's 0 means none. */
                        a->opts.retry_budget = v ? (double)v : -1;
                        break;
                }
                case 'y':
                        break;
                case 'P':
                        a->opts.prune = 1;
                        break;
                case 'L':
                        if (run_lock_parse_timeout(optarg, &a->lock_timeout) < 0)
                                return cli_usage_error(
                                        &cmd_up, "--lock-timeout needs 0..86400 seconds, not '%s'",
                                        optarg);
                        break;
                case 'h':
                        cli_usage(&cmd_up, stdout);
                        return 1;
                default:
                        return cli_usage_error(&cmd_up, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error(&cmd_up, "unexpected argument '%s'", argv[optind]);
        if (strcmp(a->output, "text") != 0 && strcmp(a->output, "json") != 0)
                return cli_usage_error(&cmd_up, "--output must be text or json, not '%s'",
                                       a->output);
        a->opts.json = strcmp(a->output, "json") == 0;
        return 0;
}

/* The state is read through a master's API once validation passed, and
 * stored after the last phase: a failure there names that master (or, with no
 * API usable, the first master asked) and the step, as a step's failure does,
 * so the operator knows where to look and that a re-run goes on. */
static void state_failed(struct run *r, const char *phase, const char *step,
                         struct pharos_error *err)
{
        const char *host = r->kube ? r->hosts[r->kube_master].cfg->address : NULL;
        for (size_t i = 0; !host && i < r->n_hosts; i++)
                if (strcmp(r->hosts[i].cfg->role, "master") == 0)
                        host = r->hosts[i].cfg->address;
        run_event(r, phase, host, step, "failed", 0, err->msg);
        struct pharos_error named;
        perr_set(&named, err->code, "phase %s, host %s, step %s: %s", phase,
                 host ? host : "(none reachable)", step, err->msg);
        *err = named;
}

/* A refusal of cluster.yml against the stored state stays a usage error. */
static int state_checked(struct run *r, struct pharos_error *err)
{
        int rc = state_check(r, err);
        if (rc < 0 && rc != PERR_USAGE)
                state_failed(r, "validate", "state.check", err);
        return rc;
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        struct up_args a = {.config = "cluster.yml",
                            .output = "text",
                            .lock_timeout = RUN_LOCK_TIMEOUT_DEFAULT_S};
        int rc = parse_args(argc, argv, &a);
        if (rc)
                return rc == 1 ? 0 : rc;

        /* Validation first: a broken cluster.yml never opens a connection. */
        cli_load_plugins(ctx);
        struct cluster_config *cfg = NULL;
        struct pharos_error err = {0};
        if (cfg_load(a.config, &ctx->reg, &cfg, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                return perr_exit_code(err.code);
        }
        if (cfg_manifests_verify(cfg, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                cfg_free(cfg);
                return perr_exit_code(err.code);
        }
        if (run_sequence_ready(&ctx->reg, "up", &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                cfg_free(cfg);
                return perr_exit_code(err.code);
        }
        host_services_set_config(cfg);
        /* A plan changes nothing: it neither takes the lock nor needs a clean stop. */
        if (!a.opts.plan && run_signals_start() < 0)
                log_warn("cannot handle SIGINT and SIGTERM: an interrupt stops pharos at once");
        struct run r;
        rc = run_init(&r, cfg, &ctx->reg, &a.opts, &err);
        if (rc == 0)
                rc = run_connect(&r, &err);
        if (rc == 0 && !a.opts.plan)
                rc = run_lock_take(&r, a.lock_timeout, &err);
        if (rc == 0)
                rc = run_facts(&r, &err);
        /* The stored state is checked once the plugins' validation passed:
         * theirs explains a broken etcd better than a failing API request. */
        r.after_validate = state_checked;
        if (rc == 0)
                rc = run_sequence(&r, "up", &err);
        int stored = 0;
        if (rc == 0 && !a.opts.plan && (rc = state_store(&r, &stored, &err)) < 0)
                state_failed(&r, "store-state", "state.store", &err);
        if (stored)
                r.changes++;
        if (rc == 0 && !a.opts.plan)
                run_report_stale_nodes(&r, a.config);
        run_lock_release(&r);
        if (run_interrupted()) {
                char what[1200];
                snprintf(what, sizeof(what), "%s after %lu change%s%s%.1000s",
                         run_interrupt_reason(), r.changes, r.changes == 1 ? "" : "s",
                         rc < 0 ? ": " : "", rc < 0 ? err.msg : "");
                log_error("%s; the next `pharos up` goes on from here", what);
                run_event(&r, "up", NULL, NULL, "interrupted", run_elapsed(&r), what);
                rc = 0;
        } else if (rc < 0) {
                log_error("%s", err.msg);
                run_event(&r, "up", NULL, NULL, "failed", run_elapsed(&r), err.msg);
        } else if (a.opts.plan) {
                char what[64];
                snprintf(what, sizeof(what), "%lu step%s would run", r.would_run,
                         r.would_run == 1 ? "" : "s");
                run_event(&r, "plan", NULL, NULL, "done", run_elapsed(&r),
                          r.would_run ? what : "no changes");
        } else {
                char what[64];
                snprintf(what, sizeof(what), "%lu change%s", r.changes, r.changes == 1 ? "" : "s");
                run_event(&r, "up", NULL, NULL, "done", run_elapsed(&r),
                          r.changes ? what : "no changes");
        }
        run_free(&r);
        host_services_set_config(NULL);
        cfg_free(cfg);
        return run_interrupted() ? RUN_INTERRUPTED_EXIT : perr_exit_code(rc);
}

const struct cli_command cmd_up = {
        .name = "up",
        .summary = "Bring the cluster to the shape cluster.yml describes",
        .usage = "usage: pharos up [-c FILE] [--plan] [--output text|json] [--concurrency N]\n"
                 "                 [--trust-hosts] [--retry-budget SECONDS] [--prune]\n"
                 "\n"
                 "Validates cluster.yml (nothing is contacted when it is invalid), connects\n"
                 "to every host, gathers facts, then runs the steps of the loaded plugins\n"
                 "phase by phase (see `pharos plugins steps`). Safe to run again: steps with\n"
                 "nothing to do are skipped, and an unchanged cluster reports \"no changes\".\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE     cluster.yml to read (default: cluster.yml; - = stdin)\n"
                 "      --plan            connect and gather facts, then print per host the\n"
                 "                        steps that would run and why; change nothing\n"
                 "  -o, --output FORMAT   text (default) or json: one event per line\n"
                 "      --concurrency N   hosts worked on at once (default 30)\n"
                 "      --trust-hosts     accept and record changed host keys\n"
                 "      --retry-budget S  seconds each host may spend retrying transient\n"
                 "                        failures (connection refused or reset, API 5xx or\n"
                 "                        429, a command exiting 75); default 600, 0: none\n"
                 "  -y, --yes             do not ask for confirmation\n"
                 "      --prune           delete the Node objects of masters removed from\n"
                 "                        cluster.yml (else the command to do it is "
                 "printed)\n" RUN_LOCK_TIMEOUT_HELP "\n"
                 "One run at a time per cluster: `up` and `reset` hold a lock on the first\n"
                 "master (and the Lease kube-system/pharos-lock once the API exists); a run\n"
                 "killed without releasing it leaves a lock that expires after 30 s.\n"
                 "SIGINT or SIGTERM: no new step starts, running commands finish, the lock\n"
                 "is released, exit 130 (the next `up` goes on); a second one stops at once.\n"
                 "\n"
                 "Exit status: 0 done, 1 failed on a host (or another run holds the lock),\n"
                 "2 invalid cluster.yml or usage, or a change the cluster can't take (its\n"
                 "network, a host's role, a kubernetes.version that is a downgrade, skips a\n"
                 "minor, breaks a kubelet's version skew or is newer than the API server's:\n"
                 "upgrade the control plane with kubeadm first), 130 interrupted.\n",
        .run = run,
};
