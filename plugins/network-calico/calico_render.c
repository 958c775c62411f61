#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calico_render.h"

int calico_pod_mtu(const struct calico_opts *o)
{
        return strcmp(o->ipip_mode, "Never") == 0 ? o->mtu : o->mtu - CALICO_IPIP_OVERHEAD;
}

/* Names the template sets from elsewhere than a value: a duplicate would be ambiguous. */
static const char *const reserved[] = {"NODENAME", NULL};

int calico_env_name_ok(const char *name, char *why, size_t why_size)
{
        int ok = (name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
                 name[0] == '_';
        for (const char *c = name; ok && *c; c++)
                ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= '0' && *c <= '9') || *c == '_';
        if (!ok) {
                snprintf(why, why_size, "'%s' is not an environment variable name", name);
                return -1;
        }
        for (const char *const *r = reserved; *r; r++)
                if (!strcmp(name, *r)) {
                        snprintf(why, why_size, "%s is set by pharos from the node's name", name);
                        return -1;
                }
        return 0;
}

struct buf {
        char *s;
        size_t len, cap;
        int failed;
};

static void put(struct buf *b, const char *s)
{
        size_t n = strlen(s);
        if (b->failed)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *grown = realloc(b->s, cap);
                if (!grown) {
                        b->failed = 1;
                        return;
                }
                b->s = grown;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, n + 1);
        b->len += n;
}

/* One "- name/value" entry of the calico-node container's env list. */
static int put_env(struct buf *b, const char *name, const char *value)
{
        char *qn = tmpl_quote(name), *qv = tmpl_quote(value);
        int rc = qn && qv ? 0 : -1;
        if (rc == 0) {
                put(b, b->len ? "\n            - name: " : "            - name: ");
                put(b, qn);
                put(b, "\n              value: ");
                put(b, qv);
        }
        free(qn);
        free(qv);
        return rc;
}

/* The user's value for name, or NULL. */
static const char *user_env(const struct calico_opts *o, const char *name)
{
        for (size_t i = 0; i < o->n_env; i++)
                if (!strcmp(o->env[i].name, name))
                        return o->env[i].value;
        return NULL;
}

/* calico-node's environment: pharos' settings, each replaced by the user's
 * value of the same name, then the user's other variables in their order. */
static char *node_env(const struct calico_opts *o, const char *mtu, const char *can_reach)
{
        const char *const ours[][2] = {
                {"DATASTORE_TYPE", "kubernetes"},
                {"WAIT_FOR_DATASTORE", "true"},
                {"CALICO_NETWORKING_BACKEND", "bird"},
                {"CLUSTER_TYPE", "k8s,bgp"},
                {"IP", "autodetect"},
                {"IP_AUTODETECTION_METHOD", can_reach},
                {"CALICO_IPV4POOL_CIDR", o->pool_cidr},
                {"CALICO_IPV4POOL_IPIP", o->ipip_mode},
                {"CALICO_IPV4POOL_VXLAN", "Never"},
                {"CALICO_IPV4POOL_NAT_OUTGOING", o->nat_outgoing ? "true" : "false"},
                {"CALICO_IPV6POOL_VXLAN", "Never"},
                {"FELIX_IPINIPMTU", mtu},
                {"FELIX_VXLANMTU", mtu},
                {"FELIX_WIREGUARDMTU", mtu},
                {"CALICO_DISABLE_FILE_LOGGING", "true"},
                {"FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT"},
                {"FELIX_IPV6SUPPORT", "false"},
                {"FELIX_HEALTHENABLED", "true"},
        };
        size_t n_ours = sizeof(ours) / sizeof(ours[0]);
        struct buf b = {0};
        int rc = 0;
        for (size_t i = 0; rc == 0 && i < n_ours; i++) {
                const char *mine = user_env(o, ours[i][0]);
                rc = put_env(&b, ours[i][0], mine ? mine : ours[i][1]);
        }
        for (size_t i = 0; rc == 0 && i < o->n_env; i++) {
                int known = 0;
                for (size_t k = 0; k < n_ours; k++)
                        known |= !strcmp(o->env[i].name, ours[k][0]);
                /* A name given twice keeps its first place, with the last value. */
                for (size_t k = 0; k < i; k++)
                        known |= !strcmp(o->env[i].name, o->env[k].name);
                if (!known)
                        rc = put_env(&b, o->env[i].name, user_env(o, o->env[i].name));
        }
        if (rc < 0 || b.failed) {
                free(b.s);
                return NULL;
        }
        return b.s;
}

/*
 * calico-node's ports block: Felix' Prometheus port when the environment
 * turns the metrics on (as the original did), else nothing. NULL when the
 * port is not a number.
 */
static char *node_ports(const struct calico_opts *o)
{
        const char *on = user_env(o, "FELIX_PROMETHEUSMETRICSENABLED");
        if (!on || strcasecmp(on, "true") != 0)
                return strdup("");
        const char *port = user_env(o, "FELIX_PROMETHEUSMETRICSPORT");
        char *end = NULL;
        long n = strtol(port ? port : "9091", &end, 10);
        if (*end || n < 1 || n > 65535)
                return NULL;
        char *out = malloc(160);
        if (out)
                snprintf(out, 160,
                         "          ports:\n            - name: metrics\n"
                         "              containerPort: %ld\n              protocol: TCP",
                         n);
        return out;
}

char *calico_render(const char *crds, const char *tmpl, const struct calico_opts *o,
                    struct tmpl_error *err)
{
        char mtu[16], can_reach[300];
        snprintf(mtu, sizeof(mtu), "%d", calico_pod_mtu(o));
        snprintf(can_reach, sizeof(can_reach), "can-reach=%s", o->autodetect);
        memset(err, 0, sizeof(*err));
        char *env = node_env(o, mtu, can_reach);
        char *ports = node_ports(o);
        if (!env || !ports) {
                snprintf(err->what, sizeof(err->what), "network.calico.environment: %s",
                         !env ? "a value holds a control character"
                              : "FELIX_PROMETHEUSMETRICSPORT is not a port number");
                free(env);
                free(ports);
                return NULL;
        }
        const struct tmpl_var vars[] = {
                {"VETH_MTU", mtu, TMPL_QUOTED},
                {"POOL_CIDR", o->pool_cidr, TMPL_QUOTED},
                {"IPIP_MODE", o->ipip_mode, TMPL_QUOTED},
                {"NAT_OUTGOING", o->nat_outgoing ? "true" : "false", TMPL_RAW},
                {"IMAGE_REPOSITORY", o->image_repository, TMPL_QUOTED},
                {"VERSION", o->version, TMPL_QUOTED},
                {"CALICO_NODE_ENV", env, TMPL_RAW},
                {"CALICO_NODE_PORTS", ports, TMPL_RAW},
        };
        char *body = tmpl_render(tmpl, vars, sizeof(vars) / sizeof(vars[0]), err);
        free(env);
        free(ports);
        if (!body)
                return NULL;
        struct buf b = {0};
        put(&b, crds);
        put(&b, "\n---\n");
        put(&b, body);
        char *out = b.s;
        if (b.failed) {
                free(b.s);
                out = NULL;
                snprintf(err->what, sizeof(err->what), "out of memory");
        }
        free(body);
        return out;
}
