/*
 * firewalld: when network.firewalld.enabled, every host gets firewalld
 * installed and running with the original's open ports for its role
 * (network.firewalld.open_ports; the loader fills in the defaults) and, in
 * the trusted zone, trusted_subnets, the pod and service networks and the
 * other cluster hosts. When disabled the plugin touches nothing, so a
 * firewalld the user runs stays as it is.
 */
#include <stdio.h>
#include <string.h>

#include <pharos/plugin.h>

#include "firewalld_scripts.h"
#include "fw_plan.h"

#define MAX_PORTS 64
#define LIST_CAP  8192

static const struct pharos_host *H;
static struct pharos_plugin *SELF;

static const struct pharos_config_node *firewalld_section(void)
{
        return H->config_get(H->config_get(H->config_root(SELF), "network"), "firewalld");
}

static int enabled(void)
{
        int on = 0;
        return H->config_bool(H->config_get(firewalld_section(), "enabled"), &on) == 0 && on;
}

/* The firewall-cmd words for the step's host: ports for its role and trusted sources. */
static int plan(struct pharos_step_ctx *ctx, char *ports, char *sources)
{
        const struct pharos_config_node *fw = firewalld_section();
        const struct pharos_config_node *list = H->config_get(fw, "open_ports");
        struct fw_port p[MAX_PORTS];
        const char *roles[MAX_PORTS][4];
        size_t n = H->config_len(list);
        if (n > MAX_PORTS) {
                H->step_fail(ctx, "network.firewalld.open_ports: more than %d entries", MAX_PORTS);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                const struct pharos_config_node *e = H->config_at(list, i);
                const struct pharos_config_node *r = H->config_get(e, "roles");
                p[i].port = H->config_string(H->config_get(e, "port"));
                p[i].protocol = H->config_string(H->config_get(e, "protocol"));
                p[i].n_roles = 0;
                for (size_t k = 0; k < H->config_len(r) && k < 4; k++)
                        roles[i][p[i].n_roles++] = H->config_string(H->config_at(r, k));
                p[i].roles = roles[i];
                if (!fw_word_ok(p[i].port) || !fw_word_ok(p[i].protocol)) {
                        H->step_fail(ctx, "network.firewalld.open_ports[%zu] is not a port", i);
                        return -1;
                }
        }
        ports[0] = sources[0] = '\0';
        const char *role = H->step_fact(ctx, "role");
        if (fw_ports_for_role(p, n, role ? role : "", ports, LIST_CAP) < 0) {
                H->step_fail(ctx, "network.firewalld.open_ports: too many ports");
                return -1;
        }

        const struct pharos_config_node *root = H->config_root(SELF);
        const struct pharos_config_node *net = H->config_get(root, "network");
        const struct pharos_config_node *subnets = H->config_get(fw, "trusted_subnets");
        const char *words[3 + 1];
        size_t nw = 0;
        int rc = 0;
        for (size_t i = 0; i < H->config_len(subnets) && rc == 0; i++)
                rc = fw_add_word(sources, LIST_CAP, H->config_string(H->config_at(subnets, i)));
        words[nw++] = H->config_string(H->config_get(net, "pod_network_cidr"));
        words[nw++] = H->config_string(H->config_get(net, "service_cidr"));
        for (size_t i = 0; i < nw && rc == 0; i++)
                if (words[i])
                        rc = fw_add_word(sources, LIST_CAP, words[i]);
        /* The other hosts talk to this one on any port (kubelet, etcd, overlay). */
        const struct pharos_config_node *hosts = H->config_get(root, "hosts");
        const struct pharos_config_node *me = H->step_host(ctx);
        for (size_t i = 0; i < H->config_len(hosts) && rc == 0; i++) {
                const struct pharos_config_node *h = H->config_at(hosts, i);
                if (h == me)
                        continue;
                const char *a = H->config_string(H->config_get(h, "private_address"));
                if (!a)
                        a = H->config_string(H->config_get(h, "address"));
                if (!a || strspn(a, "0123456789.:abcdefABCDEF") != strlen(a)) {
                        H->log(SELF, PHAROS_LOG_WARN,
                               "host %s: firewalld trusts addresses, not names; not added",
                               a ? a : "?");
                        continue;
                }
                rc = fw_add_word(sources, LIST_CAP, a);
        }
        if (rc < 0) {
                H->step_fail(ctx, "network.firewalld: too many trusted sources");
                return -1;
        }
        for (const char *s = sources; *s;) {
                char w[256];
                size_t l = strcspn(s, " ");
                snprintf(w, sizeof(w), "%.*s", (int)l, s);
                if (!fw_word_ok(w)) {
                        H->step_fail(ctx, "firewalld: '%s' is not an address or network", w);
                        return -1;
                }
                s += l + (s[l] == ' ');
        }
        return 0;
}

static int reconcile(struct pharos_step_ctx *ctx, int apply)
{
        static __thread char ports[LIST_CAP], sources[LIST_CAP];
        if (plan(ctx, ports, sources) < 0)
                return -1;
        const struct pharos_env env[] = {
                {"MODE", apply ? "apply" : "check"},
                {"PORTS", ports},
                {"SOURCES", sources},
        };
        struct pharos_exec_result res;
        if (H->step_script(ctx, script_firewalld_sh, env, 3, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK,
                           &res) < 0)
                return -1;
        const char *prefix = apply ? "changed: " : "todo: ";
        int count = 0;
        char first[300] = "";
        for (const char *l = res.out; *l;) {
                size_t len = strcspn(l, "\n");
                if (len > strlen(prefix) && !strncmp(l, prefix, strlen(prefix))) {
                        if (!count++)
                                snprintf(first, sizeof(first), "%.*s", (int)(len - strlen(prefix)),
                                         l + strlen(prefix));
                }
                l += len + (l[len] == '\n');
        }
        if (!count)
                return 0;
        if (apply)
                H->step_changed(ctx, "%s%s", first, count > 1 ? " and more" : "");
        else
                H->step_reason(ctx, "%s", first);
        return 1;
}

static int configure_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!enabled())
                return 0;
        return reconcile(ctx, 0);
}

static int configure_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        return reconcile(ctx, 1) < 0 ? -1 : 0;
}

static const struct pharos_step configure_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "firewalld.configure",
        .phase = "firewall",
        .description = "firewalld with the cluster's open ports and trusted networks",
        .applies = configure_applies,
        .run = configure_run,
};

static int firewalld_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        H = host;
        SELF = self;
        return host->register_step(self, &configure_step);
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OTHER,
        .name = "firewalld",
        .version = "1.0.0",
        .description = "firewalld rules per role when network.firewalld.enabled",
        .init = firewalld_init,
};

PHAROS_PLUGIN_DECLARE(firewalld, desc)
