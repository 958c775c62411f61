#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/checks.h"
#include "config/rules.h"

/* A scalar validation accepted with the given type, else NULL. */
static const cfg_node *valid(const cfg_node *map, const char *key, int type)
{
        const cfg_node *n = cfg_map_get(map, key, NULL);
        return n && n->kind == PHAROS_CONFIG_SCALAR && n->type == type ? n : NULL;
}

/* Adds key: text right after key `after` (schema order, as validation leaves maps). */
static void add_default(cfg_node *map, const char *after, const char *key, const char *text,
                        int type, struct cfg_diags *d)
{
        cfg_node *k = cfg_node_scalar(key, map->line, map->col);
        cfg_node *v = cfg_node_scalar(text, map->line, map->col);
        if (!k || !v || cfg_node_append(map, k, v) < 0) {
                cfg_node_free(k);
                cfg_node_free(v);
                d->fatal = 1;
                return;
        }
        v->type = type;
        k->dflt = v->dflt = 1;
        size_t at = 0;
        if (cfg_map_get(map, after, &at))
                at++;
        for (size_t i = map->len - 1; i > at; i--) {
                cfg_node *tk = map->keys[i], *tv = map->items[i];
                map->keys[i] = map->keys[i - 1];
                map->items[i] = map->items[i - 1];
                map->keys[i - 1] = tk;
                map->items[i - 1] = tv;
        }
}

static void bastion_defaults(cfg_node *host, struct cfg_diags *d)
{
        cfg_node *b = cfg_map_get(host, "bastion", NULL);
        if (!b || b->kind != PHAROS_CONFIG_MAP)
                return;
        static const char *const inherited[] = {"user", "ssh_key_path"};
        static const char *const after[] = {"address", "user"};
        for (size_t i = 0; i < 2; i++) {
                const cfg_node *from = valid(host, inherited[i], CFG_T_STRING);
                if (from && !cfg_map_get(b, inherited[i], NULL))
                        add_default(b, after[i], inherited[i], from->text, CFG_T_STRING, d);
        }
}

struct host_ref {
        const cfg_node *address;
        long long port;
        size_t index;
};

static int by_endpoint(const void *a, const void *b)
{
        const struct host_ref *x = a, *y = b;
        int r = strcmp(x->address->text, y->address->text);
        if (r)
                return r;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Unique address:ssh_port, sorted so thousands of hosts stay cheap. */
static void unique_endpoints(const cfg_node *hosts, struct cfg_diags *d)
{
        struct host_ref *refs = calloc(hosts->len ? hosts->len : 1, sizeof(*refs));
        size_t n = 0;
        if (!refs) {
                d->fatal = 1;
                return;
        }
        for (size_t i = 0; i < hosts->len; i++) {
                const cfg_node *h = hosts->items[i];
                const cfg_node *a = valid(h, "address", CFG_T_STRING);
                const cfg_node *p = valid(h, "ssh_port", CFG_T_INT);
                if (a && p)
                        refs[n++] = (struct host_ref){a, strtoll(p->text, NULL, 10), i};
        }
        qsort(refs, n, sizeof(*refs), by_endpoint);
        for (size_t i = 1; i < n; i++) {
                if (strcmp(refs[i].address->text, refs[i - 1].address->text) != 0 ||
                    refs[i].port != refs[i - 1].port)
                        continue;
                /* refs[i - 1] may itself be a duplicate: name the first of the run. */
                size_t f = i - 1;
                while (f > 0 && strcmp(refs[f - 1].address->text, refs[i].address->text) == 0 &&
                       refs[f - 1].port == refs[i].port)
                        f--;
                cfg_error(d, refs[i].address->line, refs[i].address->col,
                          "hosts[%zu].address: duplicate address:ssh_port %s:%lld (also "
                          "hosts[%zu])",
                          refs[i].index, refs[i].address->text, refs[i].port, refs[f].index);
        }
        free(refs);
}

static void host_rules(cfg_node *root, struct cfg_diags *d)
{
        size_t at;
        cfg_node *hosts = cfg_map_get(root, "hosts", &at);
        if (!hosts || hosts->kind != PHAROS_CONFIG_LIST || hosts->len == 0)
                return;
        const cfg_node *key = root->keys[at];
        size_t masters = 0, roles_known = 1;
        for (size_t i = 0; i < hosts->len; i++) {
                cfg_node *h = hosts->items[i];
                if (h->kind != PHAROS_CONFIG_MAP) {
                        roles_known = 0;
                        continue;
                }
                const cfg_node *role = valid(h, "role", CFG_T_STRING);
                if (!role)
                        roles_known = 0;
                else if (strcmp(role->text, "master") == 0)
                        masters++;
                bastion_defaults(h, d);
        }
        if (masters == 0 && roles_known)
                cfg_error(d, key->line, key->col,
                          "hosts: no master hosts defined (at least one host needs role: "
                          "master)");
        /* An external etcd (etcd.endpoints) keeps its quorum on hosts of its own. */
        int external = cfg_map_get(cfg_map_get(root, "etcd", NULL), "endpoints", NULL) != NULL;
        if (masters > 0 && masters % 2 == 0 && !external)
                cfg_warning(d, key->line, key->col,
                            "hosts: %zu masters: etcd runs on the masters and needs a majority "
                            "of them up, so %zu masters tolerate %zu failed master%s, no more "
                            "than %zu would; run an odd number of masters (1, 3, 5)",
                            masters, masters, (masters - 1) / 2, (masters - 1) / 2 == 1 ? "" : "s",
                            masters - 1);
        unique_endpoints(hosts, d);
}

static void network_rules(cfg_node *root, struct cfg_diags *d)
{
        cfg_node *net = cfg_map_get(root, "network", NULL);
        const cfg_node *hosts = cfg_map_get(root, "hosts", NULL);
        if (!net || net->kind != PHAROS_CONFIG_MAP)
                return;
        size_t n_hosts = hosts && hosts->kind == PHAROS_CONFIG_LIST ? hosts->len : 0;
        const cfg_node *dns = cfg_map_get(net, "dns_replicas", NULL);
        if (dns && dns->type == CFG_T_INT && n_hosts &&
            strtoll(dns->text, NULL, 10) > (long long)n_hosts)
                cfg_error(d, dns->line, dns->col,
                          "network.dns_replicas: %s is larger than the number of hosts (%zu)",
                          dns->text, n_hosts);
        if (!dns && n_hosts) {
                /* The original's rule: 1 for a single host, else 1 + ceil(hosts / 10). */
                char buf[32];
                snprintf(buf, sizeof(buf), "%zu", n_hosts == 1 ? 1 : 1 + (n_hosts + 9) / 10);
                add_default(net, "pod_network_cidr", "dns_replicas", buf, CFG_T_INT, d);
        }
        const cfg_node *svc = valid(net, "service_cidr", CFG_T_STRING);
        const cfg_node *pod = valid(net, "pod_network_cidr", CFG_T_STRING);
        struct cfg_cidr a, b;
        if (svc && pod && cfg_cidr_parse(svc->text, &a) == 0 &&
            cfg_cidr_parse(pod->text, &b) == 0 && cfg_cidr_overlap(&a, &b)) {
                const cfg_node *at = pod->line >= svc->line ? pod : svc;
                cfg_error(d, at->line, at->col,
                          "network.pod_network_cidr %s overlaps network.service_cidr %s", pod->text,
                          svc->text);
        }
        const cfg_node *nldns = valid(net, "node_local_dns_cache", CFG_T_BOOL);
        if (nldns && !strcmp(nldns->text, "true") && svc && cfg_cidr_parse(svc->text, &a) == 0 &&
            a.family != 4)
                cfg_error(d, nldns->line, nldns->col,
                          "network.node_local_dns_cache: the cache listens on the IPv4 link-local "
                          "address 169.254.20.10, which pods of the IPv6 network.service_cidr %s "
                          "cannot reach; set it to false",
                          svc->text);
}

void cfg_rules(cfg_node *root, struct cfg_diags *d)
{
        if (!root || root->kind != PHAROS_CONFIG_MAP)
                return;
        host_rules(root, d);
        network_rules(root, d);
}
