/* pharos kubeconfig: an admin kubeconfig for the cluster, printed or merged. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "kube/kubeconfig.h"
#include "run/kube_access.h"
#include "ssh/target_cfg.h"
#include "ssh/transport.h"

extern const struct cli_command cmd_kubeconfig;

struct kc_args {
        const char *config, *name, *context, *merge;
        int trust_hosts;
};

static int parse_args(int argc, char **argv, struct kc_args *a)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"name", required_argument, NULL, 'n'},
                {"context", required_argument, NULL, 'C'},
                {"merge", required_argument, NULL, 'm'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "+c:n:C:m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 'n':
                        a->name = optarg;
                        break;
                case 'C':
                        a->context = optarg;
                        break;
                case 'm':
                        a->merge = optarg;
                        break;
                case 'T':
                        a->trust_hosts = 1;
                        break;
                case 'h':
                        cli_usage(&cmd_kubeconfig, stdout);
                        return 1;
                default:
                        return cli_usage_error(&cmd_kubeconfig, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error(&cmd_kubeconfig, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/* Reads admin.conf from the first master. */
static int read_admin_conf(const struct cluster_config *cfg, const struct kc_args *a,
                           struct kubeconfig *kc, struct pharos_error *err)
{
        const struct cfg_host *master = NULL;
        for (size_t i = 0; i < cfg->n_hosts && !master; i++)
                if (strcmp(cfg->hosts[i].role, "master") == 0)
                        master = &cfg->hosts[i];
        if (!master)
                return perr_set(err, PERR_USAGE, "cluster.yml has no master");
        struct tp_target t, bastion;
        struct tp_opts opts = {.trust_hosts = a->trust_hosts};
        struct transport *tp = NULL;
        tp_target_from_host(master, &t, &bastion);
        int rc = tp_open(&t, &opts, &tp, err);
        if (rc < 0)
                return rc;
        rc = kube_read_admin_conf(tp, master->address, kc, err);
        tp_close(tp);
        tp_global_cleanup();
        if (rc < 0)
                return rc;
        /* The server users reach: api.endpoint when set, else the first master. */
        const struct cfg_api *api = cfg->doc->api;
        const char *endpoint = api && api->endpoint ? api->endpoint : master->address;
        char server[300];
        snprintf(server, sizeof(server),
                 strchr(endpoint, ':') ? "https://[%s]:6443" : "https://%s:6443", endpoint);
        free(kc->server);
        kc->server = strdup(server);
        return kc->server ? 0 : perr_set(err, PERR_NOMEM, "out of memory");
}

static int replace(char **field, const char *value)
{
        char *copy = strdup(value);
        if (!copy)
                return -1;
        free(*field);
        *field = copy;
        return 0;
}

/* Writes text to path atomically, readable only by the user (it holds a key). */
static int write_private(const char *path, const char *text, struct pharos_error *err)
{
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.pharos-XXXXXX", path);
        int fd = mkstemp(tmp);
        if (fd < 0)
                return perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
        size_t len = strlen(text);
        int ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) < 0) {
                unlink(tmp);
                return perr_set(err, PERR_FAIL, "writing %s: %s", path, strerror(errno));
        }
        return 0;
}

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&buf, &size);
        char chunk[4096];
        size_t n;
        while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                fwrite(chunk, 1, n, mem);
        if (mem)
                fclose(mem);
        fclose(f);
        return buf;
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        struct kc_args a = {.config = "cluster.yml"};
        int rc = parse_args(argc, argv, &a);
        if (rc)
                return rc == 1 ? 0 : rc;
        cli_load_plugins(ctx);
        struct cluster_config *cfg = NULL;
        struct pharos_error err = {0};
        if (cfg_load(a.config, &ctx->reg, &cfg, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                return perr_exit_code(err.code);
        }
        struct kubeconfig kc = {0};
        rc = read_admin_conf(cfg, &a, &kc, &err);
        const char *cluster = a.name ? a.name : cfg->name ? cfg->name : "kubernetes";
        char context[300];
        snprintf(context, sizeof(context), "%s@%s", kc.user ? kc.user : "admin", cluster);
        if (rc == 0 && (replace(&kc.cluster, cluster) < 0 ||
                        replace(&kc.context, a.context ? a.context : context) < 0))
                rc = perr_set(&err, PERR_NOMEM, "out of memory");
        char *out = NULL;
        if (rc == 0 && a.merge) {
                char *existing = read_text(a.merge);
                rc = kubeconfig_merge(existing, a.merge, &kc, &out, &err);
                free(existing);
                if (rc == 0)
                        rc = write_private(a.merge, out, &err);
                if (rc == 0)
                        fprintf(stderr, "merged context %s into %s\n", kc.context, a.merge);
        } else if (rc == 0) {
                out = kubeconfig_render(&kc);
                if (out)
                        fputs(out, stdout);
                else
                        rc = perr_set(&err, PERR_NOMEM, "out of memory");
        }
        if (rc < 0)
                fprintf(stderr, "error: %s\n", err.msg);
        if (out)
                memset(out, 0, strlen(out));
        free(out);
        kubeconfig_free(&kc);
        cfg_free(cfg);
        return perr_exit_code(rc);
}

const struct cli_command cmd_kubeconfig = {
        .name = "kubeconfig",
        .summary = "Print or merge an admin kubeconfig for the cluster",
        .usage = "usage: pharos kubeconfig [-c FILE] [-n NAME] [-C CONTEXT] [--merge FILE]\n"
                 "\n"
                 "Reads the admin credentials kubeadm wrote on the first master\n"
                 "(/etc/kubernetes/admin.conf, over SSH) and prints a kubeconfig whose server\n"
                 "is api.endpoint, or the first master, on port 6443.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE    cluster.yml to read (default: cluster.yml)\n"
                 "  -n, --name NAME      cluster name in the kubeconfig (default: the cluster's)\n"
                 "  -C, --context NAME   context name (default: USER@CLUSTER)\n"
                 "  -m, --merge FILE     merge into FILE (e.g. ~/.kube/config) instead of\n"
                 "                       printing; other entries are kept, the context is\n"
                 "                       made current, the file stays mode 0600\n"
                 "      --trust-hosts    accept and record a changed host key\n"
                 "\n"
                 "The output holds the cluster's admin key: keep it private.\n",
        .run = run,
};
