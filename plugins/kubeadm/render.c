/* The files the plugin writes on masters, rendered from struct kadm_input. */
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <pharos/systemd_quote.h>

#include "kadm.h"

static const char *api_group(const struct kadm_input *in)
{
        return in->v1beta4 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

static void key_quoted(struct kbuf *b, int indent, const char *key, const char *value)
{
        kb_printf(b, "%*s%s: ", indent, "", key);
        kb_quoted(b, value);
        kb_printf(b, "\n");
}

/* extraArgs: a map in v1beta3, a list of name/value pairs in v1beta4. */
static void extra_args(struct kbuf *b, int indent, const char *key, const struct kadm_kvs *args,
                       int v1beta4)
{
        if (!args->n)
                return;
        kb_printf(b, "%*s%s:\n", indent, "", key);
        for (size_t i = 0; i < args->n; i++) {
                if (v1beta4) {
                        kb_printf(b, "%*s- name: ", indent + 2, "");
                        kb_quoted(b, args->v[i].key);
                        kb_printf(b, "\n%*svalue: ", indent + 4, "");
                        kb_quoted(b, args->v[i].value);
                        kb_printf(b, "\n");
                } else {
                        kb_printf(b, "%*s", indent + 2, "");
                        kb_quoted(b, args->v[i].key);
                        kb_printf(b, ": ");
                        kb_quoted(b, args->v[i].value);
                        kb_printf(b, "\n");
                }
        }
}

static void string_map(struct kbuf *b, int indent, const char *key, const struct kadm_kvs *m)
{
        if (!m->n)
                return;
        kb_printf(b, "%*s%s:\n", indent, "", key);
        for (size_t i = 0; i < m->n; i++) {
                kb_printf(b, "%*s", indent + 2, "");
                kb_quoted(b, m->v[i].key);
                kb_printf(b, ": ");
                kb_quoted(b, m->v[i].value);
                kb_printf(b, "\n");
        }
}

static int is_integer(const char *s)
{
        if (*s == '-')
                s++;
        if (!*s)
                return 0;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return 0;
        return 1;
}

/* featureGates are booleans; conntrack mixes numbers and durations. */
static void typed_map(struct kbuf *b, int indent, const char *key, const struct kadm_kvs *m)
{
        if (!m->n)
                return;
        kb_printf(b, "%*s%s:\n", indent, "", key);
        for (size_t i = 0; i < m->n; i++) {
                const char *v = m->v[i].value;
                kb_printf(b, "%*s", indent + 2, "");
                kb_quoted(b, m->v[i].key);
                if (!strcmp(v, "true") || !strcmp(v, "false") || is_integer(v)) {
                        kb_printf(b, ": %s\n", v);
                } else {
                        kb_printf(b, ": ");
                        kb_quoted(b, v);
                        kb_printf(b, "\n");
                }
        }
}

static void taints(struct kbuf *b, int indent, const struct kadm_input *in)
{
        if (!in->has_taints)
                return;
        if (!in->n_taints) {
                kb_printf(b, "%*staints: []\n", indent, "");
                return;
        }
        kb_printf(b, "%*staints:\n", indent, "");
        for (size_t i = 0; i < in->n_taints; i++) {
                kb_printf(b, "%*s- key: ", indent + 2, "");
                kb_quoted(b, in->taints[i].key);
                kb_printf(b, "\n");
                if (in->taints[i].value)
                        key_quoted(b, indent + 4, "value", in->taints[i].value);
                key_quoted(b, indent + 4, "effect", in->taints[i].effect);
        }
}

static void node_registration(struct kbuf *b, const struct kadm_input *in)
{
        kb_printf(b, "nodeRegistration:\n");
        key_quoted(b, 2, "name", in->node_name);
        key_quoted(b, 2, "criSocket", in->cri_socket);
        taints(b, 2, in);
        extra_args(b, 2, "kubeletExtraArgs", &in->kubelet_args, in->v1beta4);
        /* k8s.io/system-validators fails the check on cgroup v1 for a kubelet of 1.35 or
         * later, whatever the kubelet is told: it asks for the check to be skipped. */
        if (in->skip_system_check)
                kb_printf(b, "  ignorePreflightErrors:\n  - SystemVerification\n");
}

static void volume(struct kbuf *b, const char *name, const char *path, int read_only,
                   const char *type)
{
        kb_printf(b, "  - name: ");
        kb_quoted(b, name);
        kb_printf(b, "\n");
        key_quoted(b, 4, "hostPath", path);
        key_quoted(b, 4, "mountPath", path);
        kb_printf(b, "    readOnly: %s\n", read_only ? "true" : "false");
        key_quoted(b, 4, "pathType", type);
}

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
        char *d = malloc(n + 1);
        if (d) {
                memcpy(d, slash ? path : "/", n);
                d[n] = '\0';
        }
        return d;
}

static void api_server(struct kbuf *b, const struct kadm_input *in)
{
        kb_printf(b, "apiServer:\n");
        if (in->n_sans) {
                kb_printf(b, "  certSANs:\n");
                for (size_t i = 0; i < in->n_sans; i++) {
                        kb_printf(b, "  - ");
                        kb_quoted(b, in->sans[i]);
                        kb_printf(b, "\n");
                }
        }
        extra_args(b, 2, "extraArgs", &in->apiserver_args, in->v1beta4);
        kb_printf(b, "  extraVolumes:\n");
        volume(b, "pharos-config", KADM_DIR, 1, "DirectoryOrCreate");
        if (in->audit_path) {
                char *d = dir_of(in->audit_path);
                if (!d) {
                        b->oom = 1;
                        return;
                }
                volume(b, "pharos-audit-log", d, 0, "DirectoryOrCreate");
                free(d);
        }
}

static void cluster_configuration(struct kbuf *b, const struct kadm_input *in)
{
        kb_printf(b, "apiVersion: %s\nkind: ClusterConfiguration\n", api_group(in));
        kb_printf(b, "kubernetesVersion: \"v%s\"\n", in->version);
        key_quoted(b, 0, "controlPlaneEndpoint", in->endpoint);
        key_quoted(b, 0, "imageRepository", in->image_repository);
        kb_printf(b, "networking:\n");
        key_quoted(b, 2, "podSubnet", in->pod_cidr);
        key_quoted(b, 2, "serviceSubnet", in->service_cidr);
        if (in->n_etcd_endpoints) {
                kb_printf(b, "etcd:\n  external:\n    endpoints:\n");
                for (size_t i = 0; i < in->n_etcd_endpoints; i++) {
                        kb_printf(b, "    - ");
                        kb_quoted(b, in->etcd_endpoints[i]);
                        kb_printf(b, "\n");
                }
                kb_printf(b, "    caFile: \"" KADM_DIR "/etcd/ca.crt\"\n"
                             "    certFile: \"" KADM_DIR "/etcd/client.crt\"\n"
                             "    keyFile: \"" KADM_DIR "/etcd/client.key\"\n");
        }
        api_server(b, in);
        if (in->controller_args.n) {
                kb_printf(b, "controllerManager:\n");
                extra_args(b, 2, "extraArgs", &in->controller_args, in->v1beta4);
        }
        if (in->scheduler_args.n) {
                kb_printf(b, "scheduler:\n");
                extra_args(b, 2, "extraArgs", &in->scheduler_args, in->v1beta4);
        }
}

void kadm_render_kubeadm(const struct kadm_input *in, const char *cert_key, struct kbuf *b)
{
        kb_printf(b, "# Written by pharos (kubeadm plugin); changes are overwritten.\n");
        kb_printf(b, "apiVersion: %s\nkind: InitConfiguration\n", api_group(in));
        kb_printf(b, "localAPIEndpoint:\n");
        key_quoted(b, 2, "advertiseAddress", in->advertise_address);
        kb_printf(b, "  bindPort: %d\n", KADM_API_PORT);
        node_registration(b, in);
        /* kubeadm refuses --certificate-key next to --config: the key is read from here. */
        if (cert_key)
                key_quoted(b, 0, "certificateKey", cert_key);
        kb_printf(b, "---\n");
        cluster_configuration(b, in);
        kb_printf(b,
                  "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");
        kb_printf(b, "cgroupDriver: systemd\n");
        if (in->cluster_dns_local)
                kb_printf(b, "clusterDNS:\n- \"" KADM_NODE_LOCAL_DNS_ADDRESS "\"\n");
        if (in->allow_cgroup_v1)
                kb_printf(b, "failCgroupV1: false\n");
        kb_printf(b, "readOnlyPort: %d\n", in->read_only_port ? 10255 : 0);
        kb_printf(b, "cpuCFSQuota: %s\n", in->cpu_cfs_quota ? "true" : "false");
        if (in->cpu_cfs_quota_period)
                key_quoted(b, 0, "cpuCFSQuotaPeriod", in->cpu_cfs_quota_period);
        typed_map(b, 0, "featureGates", &in->feature_gates);
        string_map(b, 0, "systemReserved", &in->system_reserved);
        string_map(b, 0, "kubeReserved", &in->kube_reserved);
        kb_printf(b, "---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                     "kind: KubeProxyConfiguration\n");
        key_quoted(b, 0, "mode", in->proxy_mode);
        key_quoted(b, 0, "clusterCIDR", in->pod_cidr);
        typed_map(b, 0, "conntrack", &in->conntrack);
}

void kadm_render_join(const struct kadm_input *in, const char *api_endpoint, const char *token,
                      const char *ca_hash, const char *cert_key, struct kbuf *b)
{
        kb_printf(b, "apiVersion: %s\nkind: JoinConfiguration\n", api_group(in));
        kb_printf(b, "discovery:\n  bootstrapToken:\n");
        key_quoted(b, 4, "apiServerEndpoint", api_endpoint);
        key_quoted(b, 4, "token", token);
        kb_printf(b, "    caCertHashes:\n    - ");
        kb_quoted(b, ca_hash);
        kb_printf(b, "\n");
        node_registration(b, in);
        if (cert_key) {
                kb_printf(b, "controlPlane:\n  localAPIEndpoint:\n");
                key_quoted(b, 4, "advertiseAddress", in->advertise_address);
                kb_printf(b, "    bindPort: %d\n", KADM_API_PORT);
                key_quoted(b, 2, "certificateKey", cert_key);
        }
}

void kadm_render_encryption(const char *key_b64, struct kbuf *b)
{
        kb_printf(b, "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"
                     "resources:\n- resources:\n  - secrets\n  providers:\n  - aescbc:\n"
                     "      keys:\n      - name: key1\n        secret: ");
        kb_quoted(b, key_b64);
        kb_printf(b, "\n  - identity: {}\n");
}

char *kadm_parse_encryption_key(const char *text)
{
        const char *p = strstr(text, "secret: \"");
        if (!p)
                return NULL;
        p += strlen("secret: \"");
        const char *end = strchr(p, '"');
        if (!end || end == p || end - p > 60)
                return NULL;
        for (const char *c = p; c < end; c++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                            *c))
                        return NULL;
        return strndup(p, (size_t)(end - p));
}

void kadm_render_audit_policy(struct kbuf *b)
{
        /* The original's policy: metadata for everything, no bodies (they hold secrets). */
        kb_printf(b, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages:\n- RequestReceived\n"
                     "rules:\n- level: None\n  users: [\"system:kube-proxy\"]\n"
                     "  verbs: [\"watch\"]\n- level: None\n  nonResourceURLs:\n"
                     "  - \"/healthz*\"\n  - \"/readyz*\"\n  - \"/livez*\"\n  - \"/version\"\n"
                     "- level: Metadata\n");
}

void kadm_render_admission(const struct kadm_input *in, struct kbuf *b)
{
        static const char *const keys[] = {"enforce", "enforce-version", "audit", "audit-version",
                                           "warn",    "warn-version"};
        static const char *const lists[] = {"namespaces", "usernames", "runtimeClasses"};
        kb_printf(b, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n"
                     "plugins:\n- name: PodSecurity\n  configuration:\n"
                     "    apiVersion: pod-security.admission.config.k8s.io/v1\n"
                     "    kind: PodSecurityConfiguration\n    defaults:\n");
        for (size_t i = 0; i < 6; i++)
                if (in->psa[i])
                        key_quoted(b, 6, keys[i], in->psa[i]);
        kb_printf(b, "    exemptions:\n");
        for (size_t i = 0; i < 3; i++) {
                kb_printf(b, "      %s: [", lists[i]);
                for (size_t k = 0; k < in->n_exempt[i]; k++) {
                        kb_printf(b, "%s", k ? ", " : "");
                        kb_quoted(b, in->exempt[i][k]);
                }
                kb_printf(b, "]\n");
        }
}

void kadm_render_webhook_kubeconfig(const char *cluster, const char *server, const char *ca_path,
                                    const char *user, const char *cert_path, const char *key_path,
                                    struct kbuf *b)
{
        kb_printf(b, "apiVersion: v1\nkind: Config\nclusters:\n- name: ");
        kb_quoted(b, cluster);
        kb_printf(b, "\n  cluster:\n");
        key_quoted(b, 4, "server", server);
        if (ca_path)
                key_quoted(b, 4, "certificate-authority", ca_path);
        kb_printf(b, "users:\n- name: ");
        kb_quoted(b, user);
        kb_printf(b, "\n  user:");
        if (cert_path || key_path) {
                kb_printf(b, "\n");
                if (cert_path)
                        key_quoted(b, 4, "client-certificate", cert_path);
                if (key_path)
                        key_quoted(b, 4, "client-key", key_path);
        } else {
                kb_printf(b, " {}\n");
        }
        kb_printf(b, "contexts:\n- name: webhook\n  context:\n    cluster: ");
        kb_quoted(b, cluster);
        kb_printf(b, "\n    user: ");
        kb_quoted(b, user);
        kb_printf(b, "\ncurrent-context: webhook\n");
}

/* A proxy URL's credentials may hold '%' (percent-encoded): systemd would take
 * it for a specifier, so the whole assignment goes through its quoting. */
int kadm_render_proxy_env(struct kbuf *b, const char *k, const char *v)
{
        char kv[4096], word[8200];
        int n = snprintf(kv, sizeof(kv), "%s=%s", k, v);
        if (n < 0 || (size_t)n >= sizeof(kv) ||
            pharos_systemd_quote(kv, PHAROS_SYSTEMD_ENV, word, sizeof(word)) < 0)
                return -1;
        kb_printf(b, "Environment=%s\n", word);
        return 0;
}
