/* pharos config validate|show|keys: check cluster.yml, print the effective configuration, list
 * the keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "config/emit.h"
#include "config/keys.h"
#include "config/manifests.h"
#include "plugin/host_services.h"

extern const struct cli_command cmd_config;

/* At most this many addresses per role in the summary, to keep it on one screen. */
#define SUMMARY_HOSTS 6

struct config_args {
        const char *file;
        const char *output;
};

static int parse_args(int argc, char **argv, int allow_output, struct config_args *a)
{
        for (int i = 2; i < argc; i++) {
                const char *arg = argv[i];
                const char **slot = NULL;
                const char *val = NULL;
                if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0)
                        slot = &a->file;
                else if (allow_output && (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0))
                        slot = &a->output;
                else if (strncmp(arg, "--config=", 9) == 0)
                        slot = &a->file, val = arg + 9;
                else if (allow_output && strncmp(arg, "--output=", 9) == 0)
                        slot = &a->output, val = arg + 9;
                else
                        return cli_usage_error(&cmd_config, "%s: unexpected argument '%s'", argv[1],
                                               arg);
                if (!val) {
                        if (i + 1 >= argc)
                                return cli_usage_error(&cmd_config, "%s needs a value", arg);
                        val = argv[++i];
                }
                *slot = val;
        }
        return 0;
}

static void print_role(const struct cluster_config *cfg, const char *role, const char *label)
{
        size_t n = 0;
        for (size_t i = 0; i < cfg->n_hosts; i++)
                n += strcmp(cfg->hosts[i].role, role) == 0;
        printf("  %-11s %zu", label, n);
        size_t shown = 0;
        for (size_t i = 0; i < cfg->n_hosts && shown < SUMMARY_HOSTS; i++) {
                const struct cfg_host *h = &cfg->hosts[i];
                if (strcmp(h->role, role) != 0)
                        continue;
                printf("%s%s", shown ? ", " : "  ", h->address);
                if (h->ssh_port != 22)
                        printf(":%d", h->ssh_port);
                shown++;
        }
        if (n > shown)
                printf(" and %zu more", n - shown);
        printf("\n");
}

static void print_summary(const struct cluster_config *cfg)
{
        const struct cfg_doc *d = cfg->doc;
        printf("%s: ok\n", cfg->source);
        printf("  %-11s %s\n", "name", cfg->name ? cfg->name : "(generated on the first up)");
        print_role(cfg, "master", "masters");
        print_role(cfg, "worker", "workers");
        printf("  %-11s %s, services %s, pods %s, %d DNS replica%s%s\n", "network",
               d->network.provider, d->network.service_cidr, d->network.pod_network_cidr,
               d->network.dns_replicas, d->network.dns_replicas == 1 ? "" : "s",
               d->network.firewalld.enabled ? ", firewalld" : "");
        printf("  %-11s %s\n", "kubernetes", d->kubernetes.version);
        printf("  %-11s %s\n", "etcd", d->etcd ? "external" : "stacked on the masters");
        printf("  %-11s", "addons");
        size_t enabled = 0;
        for (size_t i = 0; i < d->n_addons; i++)
                if (d->addons[i].enabled)
                        printf("%s%s", enabled++ ? ", " : " ", d->addons[i].name);
        printf("%s\n", enabled ? "" : " none");
        if (d->n_manifests)
                printf("  %-11s %zu path%s, applied as the stack pharos-manifests\n", "manifests",
                       d->n_manifests, d->n_manifests == 1 ? "" : "s");
}

static int show(const struct cluster_config *cfg, const char *output)
{
        char *text = NULL;
        size_t len = 0;
        int rc = strcmp(output, "json") == 0 ? cfg_emit_json(cfg->doc->tree, &text, &len)
                                             : cfg_emit_yaml(cfg->doc->tree, 1, &text, &len);
        if (rc < 0) {
                fprintf(stderr, "pharos config show: cannot serialise the configuration\n");
                return 1;
        }
        fwrite(text, 1, len, stdout);
        if (len && text[len - 1] != '\n')
                putchar('\n');
        free(text);
        return 0;
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc < 2 || cli_is_help(argv[1])) {
                cli_usage(&cmd_config, argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        for (int i = 2; i < argc; i++)
                if (cli_is_help(argv[i])) {
                        cli_usage(&cmd_config, stdout);
                        return 0;
                }
        if (strcmp(argv[1], "keys") == 0) {
                if (argc > 2)
                        return cli_usage_error(&cmd_config, "keys: unexpected argument '%s'",
                                               argv[2]);
                /* The loaded plugins' sections are keys too. */
                cli_load_plugins(ctx);
                cfg_keys_print(stdout, &ctx->reg);
                return 0;
        }
        int is_show = strcmp(argv[1], "show") == 0;
        if (!is_show && strcmp(argv[1], "validate") != 0)
                return cli_usage_error(&cmd_config, "unknown subcommand '%s'", argv[1]);
        struct config_args a = {.output = "yaml"};
        int rc = parse_args(argc, argv, is_show, &a);
        if (rc)
                return rc;
        if (strcmp(a.output, "yaml") != 0 && strcmp(a.output, "json") != 0)
                return cli_usage_error(&cmd_config, "--output must be yaml or json, not '%s'",
                                       a.output);
        /* Plugin sections are validated by the plugins' schemas. */
        cli_load_plugins(ctx);
        struct cluster_config *cfg = NULL;
        struct pharos_error err = {0};
        if (cfg_load(a.file, &ctx->reg, &cfg, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                return perr_exit_code(err.code);
        }
        /* The manifest files too, as up checks them before it connects. */
        if (!is_show && cfg_manifests_verify(cfg, &err) < 0) {
                fprintf(stderr, "error: %s\n", err.msg);
                cfg_free(cfg);
                return perr_exit_code(err.code);
        }
        host_services_set_config(cfg);
        if (is_show)
                rc = show(cfg, a.output);
        else
                print_summary(cfg);
        host_services_set_config(NULL);
        cfg_free(cfg);
        return rc;
}

const struct cli_command cmd_config = {
        .name = "config",
        .summary = "Validate cluster.yml or print the effective configuration",
        .usage = "usage: pharos config validate [-c FILE]\n"
                 "       pharos config show [-c FILE] [--output yaml|json]\n"
                 "       pharos config keys\n"
                 "\n"
                 "validate  check FILE against the schema of pharos and of the loaded plugins,\n"
                 "          and the files its manifests key names, without contacting any\n"
                 "          host; print a summary (exit 0) or every\n"
                 "          problem as FILE:LINE:COL: error: MESSAGE (exit 2)\n"
                 "show      print the configuration pharos would use, every default filled in\n"
                 "keys      list every key cluster.yml takes (the loaded plugins' sections too)\n"
                 "          with its type, default and allowed values\n"
                 "\n"
                 "-c, --config FILE   the configuration (default ./cluster.yml; - reads stdin)\n"
                 "-o, --output FMT    yaml (default) or json\n"
                 "\n"
                 "Values may use ${VAR} and ${VAR:-default} to read the environment.\n",
        .run = run,
};
