/*
 * network-custom: the user's own pod network manifests
 * (network.custom.manifest_path) applied as the "custom-network" stack when
 * network.provider is custom, with ${variable} substitution of the values
 * README.md lists. A manifest file removed from the directory has its
 * objects pruned with the stack.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/plugin.h>
#include <pharos/refuse.h>

#include "custom_files.h"

#define STACK       "custom-network"
#define MAX_OPTIONS 64

static const struct pharos_host *H;
static struct pharos_plugin *SELF;

static const struct pharos_config_field custom_fields[] = {
        {.key = "manifest_path",
         .type = PHAROS_CFG_STRING,
         .flags = PHAROS_CFG_REQUIRED,
         .help = "a manifest file or a directory of *.yml/*.yaml (relative to cluster.yml)"},
        {.key = "options",
         .type = PHAROS_CFG_STRING_MAP,
         .help = "values the manifests use as ${options.NAME}"},
        {0},
};

static const struct pharos_config_schema custom_schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = custom_fields,
};

static const struct pharos_config_node *get(const struct pharos_config_node *n, const char *path)
{
        char key[64];
        while (n && *path) {
                size_t len = strcspn(path, ".");
                snprintf(key, sizeof(key), "%.*s", (int)len, path);
                n = H->config_get(n, key);
                path += len + (path[len] == '.');
        }
        return n;
}

static const char *root_string(const char *path)
{
        return H->config_string(get(H->config_root(SELF), path));
}

static int selected(void)
{
        const char *provider = root_string("network.provider");
        return provider && strcmp(provider, "custom") == 0;
}

static const char *first_master(void)
{
        const struct pharos_config_node *hosts = H->config_get(H->config_root(SELF), "hosts");
        for (size_t i = 0; i < H->config_len(hosts); i++) {
                const struct pharos_config_node *h = H->config_at(hosts, i);
                const char *role = H->config_string(H->config_get(h, "role"));
                if (!role || strcmp(role, "master") != 0)
                        continue;
                const char *a = H->config_string(H->config_get(h, "private_address"));
                return a ? a : H->config_string(H->config_get(h, "address"));
        }
        return NULL;
}

/* The manifests, rendered; NULL after pharos_refuse(). */
static char *manifests(struct pharos_step_ctx *ctx)
{
        const struct pharos_config_node *sec = H->config_section(SELF);
        const char *path = H->config_string(H->config_get(sec, "manifest_path"));
        const char *file = PHAROS_HOST_HAS(H, config_file) ? H->config_file(SELF) : NULL;
        char base[4096] = "";
        if (file && strcmp(file, "-") != 0) {
                char copy[4096];
                snprintf(copy, sizeof(copy), "%s", file);
                snprintf(base, sizeof(base), "%s", dirname(copy));
        }
        if (!path) {
                pharos_refuse(H, ctx, "network.custom.manifest_path is required");
                return NULL;
        }
        char why[1024];
        struct custom_set set;
        if (custom_read(path, base, &set, why, sizeof(why)) < 0) {
                pharos_refuse(H, ctx, "network.custom.manifest_path: %s", why);
                return NULL;
        }
        const char *master = first_master();
        const char *endpoint = root_string("api.endpoint");
        const char *fw = root_string("network.firewalld.enabled");
        struct tmpl_var vars[8 + MAX_OPTIONS] = {
                {"pod_network_cidr", root_string("network.pod_network_cidr"), TMPL_RAW},
                {"service_cidr", root_string("network.service_cidr"), TMPL_RAW},
                {"kube_version", root_string("kubernetes.version"), TMPL_RAW},
                {"image_repository", root_string("image_repository"), TMPL_RAW},
                {"master_address", master, TMPL_RAW},
                {"api_endpoint", endpoint ? endpoint : master, TMPL_RAW},
                {"firewalld_enabled", fw ? fw : "false", TMPL_RAW},
                {"cluster_name", root_string("name"), TMPL_RAW},
        };
        size_t n = 8;
        char names[MAX_OPTIONS][80];
        const struct pharos_config_node *opts = H->config_get(sec, "options");
        for (size_t i = 0; i < H->config_len(opts); i++) {
                if (n == sizeof(vars) / sizeof(vars[0])) {
                        pharos_refuse(H, ctx, "network.custom.options: more than %d values",
                                      MAX_OPTIONS);
                        custom_free(&set);
                        return NULL;
                }
                char *name = names[n - 8];
                snprintf(name, sizeof(names[0]), "options.%s", H->config_key_at(opts, i));
                vars[n++] =
                        (struct tmpl_var){name, H->config_string(H->config_at(opts, i)), TMPL_RAW};
        }
        char *yaml = custom_render(&set, vars, n, why, sizeof(why));
        custom_free(&set);
        if (!yaml)
                pharos_refuse(H, ctx, "network.custom: %s", why);
        return yaml;
}

static int validate_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!selected())
                return 0;
        H->step_reason(ctx, "network.provider is custom: check the manifests");
        return 1;
}

/* Read-only: every manifest is there and every variable it uses is known. */
static int validate_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        char *yaml = manifests(ctx);
        int rendered = yaml != NULL;
        free(yaml);
        return rendered ? 0 : -1;
}

static int apply_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!selected())
                return 0;
        H->step_reason(ctx, "network.provider is custom: apply the " STACK " stack");
        return 1;
}

static int apply_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        char *yaml = manifests(ctx);
        if (!yaml)
                return -1;
        int rc = H->kube_apply_stack(ctx, STACK, yaml, strlen(yaml));
        free(yaml);
        return rc;
}

static const struct pharos_step validate_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "network-custom.validate",
        .phase = "validate",
        .flags = PHAROS_STEP_ONCE,
        .description = "check the custom network manifests",
        .applies = validate_applies,
        .run = validate_run,
};

static const struct pharos_step apply_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "network-custom.apply",
        .phase = "network",
        .flags = PHAROS_STEP_ONCE,
        .description = "apply the custom network manifests",
        .applies = apply_applies,
        .run = apply_run,
};

static int custom_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        SELF = self;
        if (!PHAROS_HOST_HAS(host, kube_request)) {
                host->set_error(self, "needs a pharos with the Kubernetes step services");
                return -1;
        }
        if (host->register_step(self, &validate_step) < 0)
                return -1;
        return host->register_step(self, &apply_step);
}

static const struct pharos_plugin_desc custom_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_NETWORK,
        .name = "network-custom",
        .version = "1.0.0",
        .description = "the user's own pod network manifests",
        .config_section = "network.custom",
        .config_schema = &custom_schema,
        .init = custom_init,
};

PHAROS_PLUGIN_DECLARE(network_custom, custom_desc)
