/*
 * network-calico: Calico v3.29 (Kubernetes datastore) applied as the
 * "calico" stack when network.provider is calico. The default IPv4 pool is
 * part of the stack, so ipip_mode and nat_outgoing changes reach a running
 * cluster; its CIDR never changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include <pharos/plugin.h>
#include <pharos/refuse.h>

#include "calico_render.h"
#include "network-calico_scripts.h"

#define POOL_PATH "/apis/crd.projectcalico.org/v1/ippools/default-ipv4-ippool"

static const struct pharos_host *H;
static struct pharos_plugin *SELF;

static const char *const ipip_modes[] = {"Always", "CrossSubnet", "Never", NULL};

static const struct pharos_config_field calico_fields[] = {
        {.key = "ipip_mode",
         .type = PHAROS_CFG_STRING,
         .default_value = "Always",
         .enum_values = ipip_modes,
         .help = "when pod traffic is IPIP-encapsulated: Always, CrossSubnet or Never"},
        {.key = "nat_outgoing",
         .type = PHAROS_CFG_BOOL,
         .default_value = "true",
         .help = "masquerade pod traffic leaving the pod network"},
        {.key = "mtu",
         .type = PHAROS_CFG_INT,
         .default_value = "1500",
         .min = 576,
         .max = 65535,
         .help = "MTU of the hosts' network; pods and the tunnel get 20 less with IPIP"},
        {.key = "environment",
         .type = PHAROS_CFG_STRING_MAP,
         .help = "extra environment of calico-node (FELIX_*, CALICO_* ...)"},
        {.key = "image_repository",
         .type = PHAROS_CFG_STRING,
         .default_value = CALICO_DEFAULT_IMAGE_REPOSITORY,
         .help = "where the node, cni and kube-controllers images come from"},
        {.key = "version",
         .type = PHAROS_CFG_STRING,
         .default_value = CALICO_DEFAULT_VERSION,
         .help = "Calico version (image tag without the v)"},
        {0},
};

static const struct pharos_config_schema calico_schema = {
        .struct_size = sizeof(struct pharos_config_schema),
        .fields = calico_fields,
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

static const char *sec_string(const char *key, const char *def)
{
        const char *s = H->config_string(H->config_get(H->config_section(SELF), key));
        return s ? s : def;
}

static int selected(void)
{
        const char *provider = H->config_string(get(H->config_root(SELF), "network.provider"));
        return provider && strcmp(provider, "calico") == 0;
}

/* The first master's private address, else its address. */
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

/* Fills o from the configuration; env is malloc'ed (free it). */
static int options(struct calico_opts *o, struct calico_env **env)
{
        const struct pharos_config_node *sec = H->config_section(SELF);
        const struct pharos_config_node *vars = H->config_get(sec, "environment");
        size_t n = H->config_len(vars);
        *env = calloc(n ? n : 1, sizeof(**env));
        if (!*env)
                return -1;
        for (size_t i = 0; i < n; i++)
                (*env)[i] = (struct calico_env){H->config_key_at(vars, i),
                                                H->config_string(H->config_at(vars, i))};
        int64_t mtu = 1500;
        H->config_int(H->config_get(sec, "mtu"), &mtu);
        int nat = 1;
        H->config_bool(H->config_get(sec, "nat_outgoing"), &nat);
        const char *master = first_master();
        *o = (struct calico_opts){
                .pool_cidr =
                        H->config_string(get(H->config_root(SELF), "network.pod_network_cidr")),
                .ipip_mode = sec_string("ipip_mode", "Always"),
                .nat_outgoing = nat,
                .mtu = (int)mtu,
                .image_repository = sec_string("image_repository", CALICO_DEFAULT_IMAGE_REPOSITORY),
                .version = sec_string("version", CALICO_DEFAULT_VERSION),
                .autodetect = master ? master : "",
                .env = *env,
                .n_env = n,
        };
        return o->pool_cidr ? 0 : -1;
}

/* The stack's YAML, or NULL after step_fail. */
static char *manifest(struct pharos_step_ctx *ctx)
{
        struct calico_opts o;
        struct calico_env *env = NULL;
        char *yaml = NULL;
        if (options(&o, &env) < 0) {
                H->step_fail(ctx, "network.calico: no pod_network_cidr or out of memory");
        } else {
                struct tmpl_error err;
                yaml = calico_render(script_crds_yml, script_calico_yml, &o, &err);
                if (!yaml && err.line)
                        H->step_fail(ctx, "manifests/calico.yml:%d: ${%s} %s", err.line, err.name,
                                     err.what);
                else if (!yaml)
                        H->step_fail(ctx, "%s", err.what);
        }
        free(env);
        return yaml;
}

/*
 * The pool's CIDR as the cluster has it: Calico can't move pods to another
 * range, so a different pod_network_cidr is refused before anything changes,
 * even when pharos' own record of the cluster is gone. No API yet means a
 * new cluster: nothing to compare.
 */
static int check_pool(struct pharos_step_ctx *ctx, const char *want)
{
        long status = 0;
        const char *resp = NULL;
        if (!want || H->kube_request(ctx, "GET", POOL_PATH, NULL, &status, &resp) < 0)
                return 0;
        if (status == 404)
                return 0;
        if (status != 200) {
                H->step_fail(ctx, "GET %s: HTTP %ld", POOL_PATH, status);
                return -1;
        }
        char msg[128];
        yajl_val v = yajl_tree_parse(resp, msg, sizeof(msg));
        const char *path[] = {"spec", "cidr", NULL};
        yajl_val cidr = yajl_tree_get(v, path, yajl_t_string);
        const char *have = cidr ? YAJL_GET_STRING(cidr) : NULL;
        int rc = 0;
        if (have && strcmp(have, want) != 0) {
                pharos_refuse(H, ctx,
                              "network.pod_network_cidr: Calico's default-ipv4-ippool has %s, "
                              "cluster.yml says %s. Pods already hold addresses from the old "
                              "range: keep it, or build a new cluster. Nothing was changed.",
                              have, want);
                rc = -1;
        }
        yajl_tree_free(v);
        return rc;
}

static int validate_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!selected())
                return 0;
        H->step_reason(ctx, "network.provider is calico: check network.calico");
        return 1;
}

/* Read-only: the environment's names, that the manifest renders, and the pool's CIDR. */
static int validate_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        const struct pharos_config_node *vars =
                H->config_get(H->config_section(SELF), "environment");
        for (size_t i = 0; i < H->config_len(vars); i++) {
                char why[160];
                if (calico_env_name_ok(H->config_key_at(vars, i), why, sizeof(why)) < 0) {
                        H->step_fail(ctx, "network.calico.environment: %s", why);
                        return -1;
                }
        }
        char *yaml = manifest(ctx);
        int rendered = yaml != NULL;
        free(yaml);
        if (!rendered)
                return -1;
        return check_pool(ctx,
                          H->config_string(get(H->config_root(SELF), "network.pod_network_cidr")));
}

/* Work only when the cluster's calico stack differs from the one cluster.yml makes,
 * so that a settled cluster's `pharos up --plan` lists nothing. Without an API to
 * ask (no control plane yet), or a core too old to compare, the stack is applied. */
static int apply_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!selected())
                return 0;
        int differs = 1;
        if (PHAROS_HOST_HAS(H, kube_stack_differs)) {
                char *yaml = manifest(ctx);
                if (yaml)
                        differs = H->kube_stack_differs(ctx, "calico", yaml, strlen(yaml)) != 0;
                free(yaml);
        }
        if (differs)
                H->step_reason(ctx, "network.provider is calico: apply the calico stack");
        return differs;
}

static int apply_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        char *yaml = manifest(ctx);
        if (!yaml)
                return -1;
        int rc = H->kube_apply_stack(ctx, "calico", yaml, strlen(yaml));
        free(yaml);
        return rc;
}

static const struct pharos_step validate_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "network-calico.validate",
        .phase = "validate",
        .flags = PHAROS_STEP_ONCE,
        .description = "check network.calico",
        .applies = validate_applies,
        .run = validate_run,
};

static const struct pharos_step apply_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "network-calico.apply",
        .phase = "network",
        .flags = PHAROS_STEP_ONCE,
        .description = "apply the Calico stack",
        .applies = apply_applies,
        .run = apply_run,
};

static int calico_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
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

static const struct pharos_plugin_desc calico_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_NETWORK,
        .name = "network-calico",
        .version = CALICO_DEFAULT_VERSION,
        .description = "Calico pod network (IPIP or routed, Kubernetes datastore)",
        .config_section = "network.calico",
        .config_schema = &calico_schema,
        .init = calico_init,
};

PHAROS_PLUGIN_DECLARE(network_calico, calico_desc)
