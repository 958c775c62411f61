/* cluster.yml -> struct kadm_input: every key the kubeadm configuration uses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

/* Admission plugins the original enabled by default (PodSecurityPolicy left
 * out: Kubernetes removed it in 1.25). */
static const char *const default_admission[] = {"NodeRestriction", "AlwaysPullImages",
                                                "NamespaceLifecycle", "ServiceAccount", NULL};

struct ctx {
        const struct pharos_host *h;
        struct kadm_input *in;
        char *why;
        size_t why_len;
        int failed;
};

static const struct pharos_config_node *get(struct ctx *c, const struct pharos_config_node *n,
                                            const char *dotted)
{
        char key[64];
        while (n && *dotted) {
                const char *dot = strchr(dotted, '.');
                size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
                snprintf(key, sizeof(key), "%.*s", (int)len, dotted);
                n = c->h->config_get(n, key);
                dotted += len + (dot ? 1 : 0);
        }
        return n;
}

static const char *str(struct ctx *c, const struct pharos_config_node *n, const char *dotted)
{
        return c->h->config_string(get(c, n, dotted));
}

static int flag(struct ctx *c, const struct pharos_config_node *n, const char *dotted, int def)
{
        int v;
        return c->h->config_bool(get(c, n, dotted), &v) == 0 ? v : def;
}

static void oom(struct ctx *c)
{
        if (!c->failed)
                snprintf(c->why, c->why_len, "out of memory");
        c->failed = 1;
}

static void kv_add(struct ctx *c, struct kadm_kvs *kvs, const char *key, const char *value)
{
        if (!key || !value)
                return;
        for (size_t i = 0; i < kvs->n; i++)
                if (!strcmp(kvs->v[i].key, key)) {
                        kvs->v[i].value = value;
                        return;
                }
        struct kadm_kv *v = realloc(kvs->v, (kvs->n + 1) * sizeof(*v));
        if (!v) {
                oom(c);
                return;
        }
        kvs->v = v;
        kvs->v[kvs->n++] = (struct kadm_kv){key, value};
}

static int has_key(const struct kadm_kvs *kvs, const char *key)
{
        for (size_t i = 0; i < kvs->n; i++)
                if (!strcmp(kvs->v[i].key, key))
                        return 1;
        return 0;
}

/* A string map of cluster.yml (kubelet.feature_gates ...). */
static void kv_map(struct ctx *c, struct kadm_kvs *kvs, const struct pharos_config_node *map)
{
        for (size_t i = 0; i < c->h->config_len(map); i++)
                kv_add(c, kvs, c->h->config_key_at(map, i),
                       c->h->config_string(c->h->config_at(map, i)));
}

static void str_add(struct ctx *c, const char ***list, size_t *n, const char *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < *n; i++)
                if (!strcmp((*list)[i], s))
                        return;
        const char **l = realloc(*list, (*n + 1) * sizeof(*l));
        if (!l) {
                oom(c);
                return;
        }
        *list = l;
        l[(*n)++] = s;
}

/* Keeps a built string alive as long as the input; NULL when it was not built. */
static const char *own(struct ctx *c, struct kbuf *b)
{
        if (b->oom || c->in->n_owned == sizeof(c->in->owned) / sizeof(c->in->owned[0])) {
                kb_free(b);
                oom(c);
                return NULL;
        }
        if (!b->len)
                return NULL;
        c->in->owned[c->in->n_owned++] = b->p;
        return b->p;
}

/* "KEY=V,KEY2=V2" from a map (feature gates as a flag value). */
static const char *joined_map(struct ctx *c, const struct pharos_config_node *map)
{
        struct kbuf b = {0};
        for (size_t i = 0; i < c->h->config_len(map); i++)
                kb_printf(&b, "%s%s=%s", i ? "," : "", c->h->config_key_at(map, i),
                          c->h->config_string(c->h->config_at(map, i)));
        return own(c, &b);
}

static void copy(struct ctx *c, const char *local, const char *remote)
{
        if (!local)
                return;
        if (c->in->n_copies == KADM_MAX_FILES) {
                snprintf(c->why, c->why_len, "too many files to copy");
                c->failed = 1;
                return;
        }
        c->in->copies[c->in->n_copies++] = (struct kadm_copy){local, remote};
}

static void admission(struct ctx *c, const struct pharos_config_node *root)
{
        struct kadm_kvs states = {0};
        for (const char *const *d = default_admission; *d; d++)
                kv_add(c, &states, *d, "true");
        const struct pharos_config_node *list = c->h->config_get(root, "admission_plugins");
        for (size_t i = 0; i < c->h->config_len(list); i++) {
                const struct pharos_config_node *p = c->h->config_at(list, i);
                kv_add(c, &states, str(c, p, "name"), flag(c, p, "enabled", 1) ? "true" : "false");
        }
        struct kbuf on = {0}, off = {0};
        for (size_t i = 0; i < states.n; i++) {
                struct kbuf *b = !strcmp(states.v[i].value, "true") ? &on : &off;
                kb_printf(b, "%s%s", b->len ? "," : "", states.v[i].key);
        }
        free(states.v);
        kv_add(c, &c->in->apiserver_args, "enable-admission-plugins", own(c, &on));
        kv_add(c, &c->in->apiserver_args, "disable-admission-plugins", own(c, &off));
}

/* The original's kubelet extra_args are "--flag=value" strings. */
static void kubelet_extra_args(struct ctx *c, const struct pharos_config_node *list)
{
        for (size_t i = 0; i < c->h->config_len(list); i++) {
                const char *a = c->h->config_string(c->h->config_at(list, i));
                if (!a)
                        continue;
                while (*a == '-')
                        a++;
                const char *eq = strchr(a, '=');
                struct kbuf name = {0};
                kb_printf(&name, "%.*s", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
                kv_add(c, &c->in->kubelet_args, own(c, &name), eq ? eq + 1 : "true");
        }
}

static void audit(struct ctx *c, const struct pharos_config_node *root)
{
        struct kadm_input *in = c->in;
        const struct pharos_config_node *file = get(c, root, "audit.file");
        in->audit_path = str(c, file, "path");
        if (in->audit_path) {
                kv_add(c, &in->apiserver_args, "audit-log-path", in->audit_path);
                kv_add(c, &in->apiserver_args, "audit-log-maxage", str(c, file, "max_age"));
                kv_add(c, &in->apiserver_args, "audit-log-maxsize", str(c, file, "max_size"));
                kv_add(c, &in->apiserver_args, "audit-log-maxbackup", str(c, file, "max_backups"));
        }
        in->audit_webhook_server = str(c, root, "audit.webhook.server");
        if (in->audit_webhook_server)
                kv_add(c, &in->apiserver_args, "audit-webhook-config-file", KADM_AUDIT_WEBHOOK);
        if (in->audit_path || in->audit_webhook_server)
                kv_add(c, &in->apiserver_args, "audit-policy-file", KADM_AUDIT_POLICY);
}

static void authentication(struct ctx *c, const struct pharos_config_node *root)
{
        struct kadm_input *in = c->in;
        const struct pharos_config_node *oidc = get(c, root, "authentication.oidc");
        if (oidc) {
                static const char *const keys[][2] = {
                        {"issuer_url", "oidc-issuer-url"},
                        {"client_id", "oidc-client-id"},
                        {"username_claim", "oidc-username-claim"},
                        {"username_prefix", "oidc-username-prefix"},
                        {"groups_claim", "oidc-groups-claim"},
                        {"groups_prefix", "oidc-groups-prefix"},
                };
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        kv_add(c, &in->apiserver_args, keys[i][1], str(c, oidc, keys[i][0]));
                if (str(c, oidc, "ca_file")) {
                        kv_add(c, &in->apiserver_args, "oidc-ca-file", KADM_DIR "/oidc-ca.crt");
                        copy(c, str(c, oidc, "ca_file"), KADM_DIR "/oidc-ca.crt");
                }
        }
        const struct pharos_config_node *tw = get(c, root, "authentication.token_webhook");
        if (tw) {
                in->token_webhook = 1;
                in->token_webhook_cluster = str(c, tw, "config.cluster.name");
                in->token_webhook_server = str(c, tw, "config.cluster.server");
                in->token_webhook_user = str(c, tw, "config.user.name");
                const char *ca = str(c, tw, "config.cluster.certificate_authority");
                const char *cert = str(c, tw, "config.user.client_certificate");
                const char *key = str(c, tw, "config.user.client_key");
                in->token_webhook_ca = ca != NULL;
                in->token_webhook_cert = cert != NULL && key != NULL;
                copy(c, ca, KADM_DIR "/token-webhook-ca.crt");
                if (in->token_webhook_cert) {
                        copy(c, cert, KADM_DIR "/token-webhook.crt");
                        copy(c, key, KADM_DIR "/token-webhook.key");
                }
                kv_add(c, &in->apiserver_args, "authentication-token-webhook-config-file",
                       KADM_TOKEN_WEBHOOK);
                kv_add(c, &in->apiserver_args, "authentication-token-webhook-cache-ttl",
                       str(c, tw, "cache_ttl"));
        }
}

static void pod_security(struct ctx *c, const struct pharos_config_node *root)
{
        static const char *const levels[] = {"enforce", "enforce_version", "audit", "audit_version",
                                             "warn",    "warn_version"};
        static const char *const exempt[] = {"exemptions.namespaces", "exemptions.usernames",
                                             "exemptions.runtime_classes"};
        struct kadm_input *in = c->in;
        const struct pharos_config_node *ps = c->h->config_get(root, "pod_security");
        if (!ps)
                return;
        for (size_t i = 0; i < 6; i++)
                in->psa[i] = str(c, ps, levels[i]);
        for (size_t i = 0; i < 3; i++) {
                const struct pharos_config_node *list = get(c, ps, exempt[i]);
                for (size_t k = 0; k < c->h->config_len(list); k++)
                        str_add(c, &in->exempt[i], &in->n_exempt[i],
                                c->h->config_string(c->h->config_at(list, k)));
        }
        struct kbuf text = {0}, path = {0};
        kadm_render_admission(in, &text);
        uint32_t sum = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < text.len; i++)
                sum = (sum ^ (unsigned char)text.p[i]) * 16777619u;
        if (text.oom)
                oom(c);
        kb_free(&text);
        kb_printf(&path, KADM_DIR "/admission-%08x.yaml", (unsigned)sum);
        in->admission_path = own(c, &path);
        kv_add(c, &in->apiserver_args, "admission-control-config-file", in->admission_path);
}

static void etcd(struct ctx *c, const struct pharos_config_node *root)
{
        const struct pharos_config_node *eps = get(c, root, "etcd.endpoints");
        for (size_t i = 0; i < c->h->config_len(eps); i++)
                str_add(c, &c->in->etcd_endpoints, &c->in->n_etcd_endpoints,
                        c->h->config_string(c->h->config_at(eps, i)));
        copy(c, str(c, root, "etcd.ca_certificate"), KADM_DIR "/etcd/ca.crt");
        copy(c, str(c, root, "etcd.certificate"), KADM_DIR "/etcd/client.crt");
        copy(c, str(c, root, "etcd.key"), KADM_DIR "/etcd/client.key");
}

const char *kadm_peer_address(const struct pharos_host *h,
                              const struct pharos_config_node *hostnode)
{
        const char *p = h->config_string(h->config_get(hostnode, "private_address"));
        return p ? p : h->config_string(h->config_get(hostnode, "address"));
}

const char *kadm_cri_socket(const char *runtime)
{
        if (!runtime || !strcmp(runtime, "containerd"))
                return "unix:///run/containerd/containerd.sock";
        if (!strcmp(runtime, "crio") || !strcmp(runtime, "cri-o"))
                return "unix:///var/run/crio/crio.sock";
        if (!strcmp(runtime, "docker"))
                return "unix:///var/run/cri-dockerd.sock";
        return NULL;
}

int kadm_kubelet_fails_cgroup_v1(const char *version)
{
        unsigned major = 0, minor = 0;
        if (sscanf(version, "%u.%u", &major, &minor) != 2)
                return 1;
        return major > 1 || minor >= 35;
}

int kadm_input_cgroups(struct kadm_input *in, int node_v1, int any_v1, int worker_up)
{
        if (!kadm_kubelet_fails_cgroup_v1(in->version))
                return 0;
        in->allow_cgroup_v1 = any_v1;
        in->skip_system_check = node_v1;
        char why[32];
        struct ctx c = {NULL, in, why, sizeof(why), 0};
        if (node_v1 && worker_up)
                kv_add(&c, &in->kubelet_args, "fail-cgroupv1", "false");
        return c.failed ? -1 : 0;
}

int kadm_is_v1beta4(const char *version)
{
        unsigned major = 0, minor = 0;
        if (sscanf(version, "%u.%u", &major, &minor) != 2)
                return 1;
        return major > 1 || minor >= 31;
}

const char *kadm_proxy_mode(const char *configured)
{
        /* userspace mode is gone from kube-proxy; iptables is what replaced it. */
        if (!configured || !strcmp(configured, "userspace"))
                return "iptables";
        return configured;
}

static void cluster_wide(struct ctx *c, const struct pharos_config_node *root)
{
        struct kadm_input *in = c->in;
        const struct pharos_host *h = c->h;
        in->version = str(c, root, "kubernetes.version");
        in->pod_cidr = str(c, root, "network.pod_network_cidr");
        in->service_cidr = str(c, root, "network.service_cidr");
        in->image_repository = str(c, root, "image_repository");
        if (!in->version || !in->pod_cidr || !in->service_cidr || !in->image_repository) {
                snprintf(c->why, c->why_len,
                         "cluster.yml lacks kubernetes.version or the network ranges");
                c->failed = 1;
                return;
        }
        in->v1beta4 = kadm_is_v1beta4(in->version);

        const struct pharos_config_node *hosts = h->config_get(root, "hosts");
        const char *api = str(c, root, "api.endpoint");
        const char *first = NULL;
        str_add(c, &in->sans, &in->n_sans, api);
        const struct pharos_config_node *sans = get(c, root, "api.sans");
        for (size_t i = 0; i < h->config_len(sans); i++)
                str_add(c, &in->sans, &in->n_sans, h->config_string(h->config_at(sans, i)));
        for (size_t i = 0; i < h->config_len(hosts); i++) {
                const struct pharos_config_node *hn = h->config_at(hosts, i);
                const char *role = str(c, hn, "role");
                if (!role || strcmp(role, "master") != 0)
                        continue;
                if (!first)
                        first = kadm_peer_address(h, hn);
                str_add(c, &in->sans, &in->n_sans, str(c, hn, "address"));
                str_add(c, &in->sans, &in->n_sans, str(c, hn, "private_address"));
        }
        /* Workers reach the API servers as https://127.0.0.1:6443 through their proxy. */
        if (kadm_api_proxy(h, root))
                str_add(c, &in->sans, &in->n_sans, KADM_API_PROXY_ADDRESS);
        struct kbuf ep = {0};
        kb_printf(&ep,
                  strchr(api     ? api
                         : first ? first
                                 : "",
                         ':')
                          ? "[%s]:%d"
                          : "%s:%d",
                  api     ? api
                  : first ? first
                          : "",
                  KADM_API_PORT);
        in->endpoint = own(c, &ep);

        in->read_only_port = flag(c, root, "kubelet.read_only_port", 0);
        in->cpu_cfs_quota = flag(c, root, "kubelet.cpu_cfs_quota", 1);
        in->cpu_cfs_quota_period = str(c, root, "kubelet.cpu_cfs_quota_period");
        kv_map(c, &in->feature_gates, get(c, root, "kubelet.feature_gates"));
        /* Before 1.36 the kubelet refuses a cpuCFSQuotaPeriod unless its alpha gate is on
         * (pkg/kubelet/apis/config/validation/validation.go; GA and on from 1.36). */
        unsigned major = 0, minor = 0;
        if (in->cpu_cfs_quota_period && sscanf(in->version, "%u.%u", &major, &minor) == 2 &&
            major == 1 && minor < 36 && !has_key(&in->feature_gates, "CustomCPUCFSQuotaPeriod"))
                kv_add(c, &in->feature_gates, "CustomCPUCFSQuotaPeriod", "true");
        kv_map(c, &in->system_reserved, get(c, root, "kubelet.system_reserved"));
        kv_map(c, &in->kube_reserved, get(c, root, "kubelet.kube_reserved"));

        in->proxy_mode = kadm_proxy_mode(str(c, root, "kube_proxy.mode"));
        kv_map(c, &in->conntrack, get(c, root, "kube_proxy.conntrack"));
        in->cluster_dns_local = flag(c, root, "network.node_local_dns_cache", 0) &&
                                kadm_node_local_dns_kubelet(in->proxy_mode);

        admission(c, root);
        pod_security(c, root);
        audit(c, root);
        authentication(c, root);
        kv_add(c, &in->apiserver_args, "encryption-provider-config", KADM_ENCRYPTION);
        const char *gates = joined_map(c, get(c, root, "control_plane.feature_gates"));
        kv_add(c, &in->apiserver_args, "feature-gates", gates);
        /* In-tree cloud providers are gone: every provider runs as an external
         * cloud-controller-manager, which the kubelet and controller manager defer to. */
        if (str(c, root, "cloud.provider"))
                kv_add(c, &in->controller_args, "cloud-provider", "external");
        /* For the cloud-controller-manager the user deploys, which mounts it from the
         * masters: no kubeadm-run component reads a cloud config any more. */
        copy(c, str(c, root, "cloud.config"), KADM_DIR "/cloud-config");
        kv_add(c, &in->controller_args, "feature-gates", gates);
        kv_add(c, &in->scheduler_args, "feature-gates", gates);
        etcd(c, root);
}

static void per_node(struct ctx *c, const struct pharos_config_node *root,
                     const struct pharos_config_node *hn, const char *hostname)
{
        struct kadm_input *in = c->in;
        const struct pharos_host *h = c->h;
        /* kubeadm names the Node after the hostname in lower case. */
        struct kbuf name = {0};
        for (const char *ch = hostname ? hostname : ""; *ch; ch++)
                kb_printf(&name, "%c", *ch >= 'A' && *ch <= 'Z' ? *ch - 'A' + 'a' : *ch);
        in->node_name = own(c, &name);
        in->advertise_address = kadm_peer_address(h, hn);
        const char *runtime = str(c, hn, "container_runtime");
        in->cri_socket = kadm_cri_socket(runtime);
        if (!in->cri_socket || !in->node_name || !in->advertise_address) {
                snprintf(c->why, c->why_len,
                         in->cri_socket ? "the host's name or address is unknown"
                                        : "container_runtime '%s' has no known CRI socket",
                         runtime);
                c->failed = 1;
                return;
        }
        const struct pharos_config_node *taints = h->config_get(hn, "taints");
        in->has_taints = taints != NULL;
        size_t n = h->config_len(taints);
        if (n) {
                in->taints = calloc(n, sizeof(*in->taints));
                if (!in->taints) {
                        oom(c);
                        return;
                }
                for (size_t i = 0; i < n; i++) {
                        const struct pharos_config_node *t = h->config_at(taints, i);
                        in->taints[i] = (struct kadm_taint){str(c, t, "key"), str(c, t, "value"),
                                                            str(c, t, "effect")};
                }
                in->n_taints = n;
        }
        kv_add(c, &in->kubelet_args, "node-ip", in->advertise_address);
        if (str(c, root, "cloud.provider"))
                kv_add(c, &in->kubelet_args, "cloud-provider", "external");
        kubelet_extra_args(c, get(c, root, "kubelet.extra_args"));
}

int kadm_input_fill(const struct pharos_host *h, const struct pharos_config_node *root,
                    const struct pharos_config_node *hostnode, const char *hostname,
                    struct kadm_input *in, char *why, size_t why_len)
{
        *in = (struct kadm_input){0};
        struct ctx c = {h, in, why, why_len, 0};
        cluster_wide(&c, root);
        if (!c.failed)
                per_node(&c, root, hostnode, hostname);
        if (c.failed) {
                kadm_input_free(in);
                return -1;
        }
        return 0;
}

void kadm_input_free(struct kadm_input *in)
{
        free(in->sans);
        free(in->taints);
        struct kadm_kvs *kvs[] = {&in->kubelet_args,    &in->feature_gates, &in->system_reserved,
                                  &in->kube_reserved,   &in->conntrack,     &in->apiserver_args,
                                  &in->controller_args, &in->scheduler_args};
        for (size_t i = 0; i < sizeof(kvs) / sizeof(kvs[0]); i++)
                free(kvs[i]->v);
        free(in->etcd_endpoints);
        for (size_t i = 0; i < 3; i++)
                free(in->exempt[i]);
        for (size_t i = 0; i < in->n_owned; i++)
                free(in->owned[i]);
        *in = (struct kadm_input){0};
}
