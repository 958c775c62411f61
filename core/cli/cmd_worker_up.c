/* pharos worker up: join the host pharos runs on to a cluster, without cluster.yml. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/worker_up.h"
#include "config/load.h"
#include "plugin/host_services.h"
#include "run/run.h"
#include "util/log.h"

extern const struct cli_command cmd_worker;

static const char caveats[] =
        "note: this node is not in cluster.yml: `pharos up` will not upgrade or reconfigure it\n"
        "      unless you add it there\n"
        "note: `pharos worker up` does not configure firewalld on the node\n";

/* firewalld left running with its defaults blocks the kubelet and the pod network. */
static void warn_firewalld(struct run *r)
{
        struct tp_cmd cmd = {.cmd = "systemctl is-active --quiet firewalld"};
        struct tp_result res = {0};
        struct pharos_error err = {0};
        if (tp_exec(r->hosts[0].tp, &cmd, &res, &err) == 0 && res.status == 0)
                log_warn("firewalld is running on this host and `pharos worker up` does not "
                         "configure it: open the kubelet's and the pod network's ports "
                         "yourself, or add the host to cluster.yml and run `pharos up`");
        tp_result_free(&res);
}

/* The loaded configuration of this one host, or PERR_USAGE with its problems printed. */
static int load_config(struct cli_ctx *ctx, const struct wu_args *a, const struct wu_master *m,
                       struct cluster_config **cfg, struct pharos_error *err)
{
        char detected[64];
        const char *address = a->address;
        if (!address) {
                if (wu_route_source(m->host, detected, sizeof(detected), err) < 0)
                        return err->code;
                address = detected;
        }
        const struct passwd *pw = getpwuid(geteuid());
        char *text = wu_config_text(a, m->version, address, pw ? pw->pw_name : "root");
        if (!text)
                return perr_set(err, PERR_NOMEM, "out of memory");
        cli_load_plugins(ctx);
        struct cfg_diags d = {0};
        int rc = cfg_load_buffer(text, strlen(text), "worker up options", &ctx->reg, cfg, &d, err);
        free(text);
        if (rc < 0)
                cfg_diag_print(&d, "worker up options", stderr);
        cfg_diag_free(&d);
        return rc;
}

static int worker_up(struct cli_ctx *ctx, const struct wu_args *a)
{
        struct wu_master m;
        struct pharos_error err = {0};
        char endpoints[WU_MAX_ENDPOINTS];
        const char *bad;
        if (wu_master_endpoints(a, endpoints, sizeof(endpoints), &bad) < 0) {
                log_error("worker up: master '%s' is not HOST, HOST:PORT, IPV6 or [IPV6]:PORT",
                          bad);
                return 2;
        }
        if (wu_probe_masters(a, &m, &err) < 0) {
                log_error("%s", err.msg);
                return 1;
        }
        printf("==> master %s answers: Kubernetes %s\n", m.endpoint, m.version);
        struct cluster_config *cfg = NULL;
        int rc = load_config(ctx, a, &m, &cfg, &err);
        if (rc < 0) {
                log_error("%s", err.msg);
                return perr_exit_code(rc);
        }
        if (run_sequence_ready(&ctx->reg, "worker-up", &err) < 0) {
                log_error("%s", err.msg);
                cfg_free(cfg);
                return perr_exit_code(err.code);
        }
        host_services_set_config(cfg);
        /* The join command holds the bootstrap token: only the kubeadm step reads it. */
        const struct tp_env params[] = {
                {"worker_up.join_command", a->join_command},
                {"worker_up.api_endpoint", m.endpoint},
                {"worker_up.api_endpoints", endpoints},
        };
        struct run_opts opts = {.tp.trust_hosts = a->trust_hosts};
        struct run r;
        rc = run_init(&r, cfg, &ctx->reg, &opts, &err);
        if (rc == 0) {
                r.params = params;
                r.n_params = sizeof(params) / sizeof(params[0]);
                /* The masters are in the configuration for the plugins to read; the run
                 * works on this host (the first entry) alone. */
                r.n_hosts = 1;
                rc = run_connect(&r, &err);
        }
        if (rc == 0)
                rc = run_facts(&r, &err);
        if (rc == 0) {
                warn_firewalld(&r);
                rc = run_sequence(&r, "worker-up", &err);
        }
        if (rc < 0) {
                log_error("%s", err.msg);
                run_event(&r, "worker up", NULL, NULL, "failed", run_elapsed(&r), err.msg);
        } else {
                char what[64];
                snprintf(what, sizeof(what), "%lu change%s", r.changes, r.changes == 1 ? "" : "s");
                run_event(&r, "worker up", NULL, NULL, "done", run_elapsed(&r),
                          r.changes ? what : "no changes");
                fputs(caveats, stdout);
        }
        run_free(&r);
        host_services_set_config(NULL);
        cfg_free(cfg);
        return perr_exit_code(rc);
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        struct wu_args a;
        struct pharos_error err = {0};
        if (wu_parse_args(argc, argv, &a, &err) < 0)
                return cli_usage_error(&cmd_worker, "%s", err.msg);
        if (a.help) {
                cli_usage(&cmd_worker, stdout);
                return 0;
        }
        int rc = worker_up(ctx, &a);
        memset(a.join_buf, 0, sizeof(a.join_buf));
        return rc;
}

const struct cli_command cmd_worker = {
        .name = "worker",
        .summary = "worker up: join this host to a cluster as a worker, without cluster.yml",
        .usage = "usage: pharos worker up JOIN_COMMAND MASTER_ADDRESS... [OPTIONS]\n"
                 "\n"
                 "Run on the new node itself. Prepares this host through the OS and container\n"
                 "runtime plugins, installs the cluster's Kubernetes version (asked from the\n"
                 "first master that answers) and joins it with JOIN_COMMAND through that\n"
                 "master. Get JOIN_COMMAND on a host with cluster.yml:\n"
                 "\n"
                 "  pharos exec -r master -f sudo kubeadm token create --print-join-command | "
                 "tail -1\n"
                 "\n"
                 "JOIN_COMMAND - reads it from stdin, which keeps the token out of the\n"
                 "process list. MASTER_ADDRESS is HOST or HOST:PORT (port 6443 by default);\n"
                 "they are tried in order, and again (--master-wait) while they answer as a\n"
                 "starting API server does (connection refused, HTTP 403 or 5xx).\n"
                 "The token is never printed, not even with -v.\n"
                 "\n"
                 "Options:\n"
                 "      --container-runtime NAME  containerd (default), docker or cri-o\n"
                 "  -l, --label KEY=VALUE         a label for the Node (repeatable)\n"
                 "      --taint KEY[=VALUE]:EFFECT  a taint for the Node (repeatable)\n"
                 "      --insecure-registry HOST  a registry pulled from without TLS\n"
                 "                                (repeatable)\n"
                 "      --image-repository REPO   where the runtime pulls Kubernetes images\n"
                 "  -e, --env KEY=VALUE           environment for the host's scripts, e.g.\n"
                 "                                HTTPS_PROXY (repeatable)\n"
                 "  -a, --address ADDRESS         this node's address (default: the local\n"
                 "                                address of the route to the master)\n"
                 "      --control-plane-proxy     keep the http_proxy, https_proxy and no_proxy\n"
                 "                                of -e for kubeadm and the kubelet (the\n"
                 "                                cluster.yml key control_plane.use_proxy);\n"
                 "                                without it they only serve package downloads\n"
                 "      --trust-hosts             accept and record changed host keys\n"
                 "      --master-wait DURATION    how long to keep asking masters that answer\n"
                 "                                as a starting API server does (default 2m;\n"
                 "                                0: ask each once)\n"
                 "  -h, --help                    this text\n"
                 "\n"
                 "Caveats: the node is not upgraded by `pharos up` unless added to cluster.yml;\n"
                 "firewalld is not configured (a warning says so when it runs).\n"
                 "\n"
                 "Exit status: 0 joined (or already was), 1 failed, 2 usage error.\n",
        .run = run,
};
