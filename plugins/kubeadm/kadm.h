/*
 * The kubeadm control-plane plugin's internal interface: the cluster.yml
 * values it needs (struct kadm_input, filled by input.c), the files it renders
 * from them (render.c) and the steps (step_*.c).
 */
#ifndef PHAROS_PLUGIN_KADM_H
#define PHAROS_PLUGIN_KADM_H

#include <pthread.h>
#include <stddef.h>

#include <pharos/plugin.h>

#include "etcd_plan.h"

/* Where the plugin keeps what it renders on masters. */
#define KADM_DIR    "/etc/kubernetes/pharos"
#define KADM_CONFIG KADM_DIR "/kubeadm.yaml"
/* The kubeadm.yaml in effect on a running control plane while a changed one
 * waits to be applied (kubeadm.reconfigure removes it when done). */
#define KADM_PREVIOUS KADM_DIR "/kubeadm.previous.yaml"
/* Checksum of the KubeletConfiguration a node's kubelet was last given. */
#define KADM_KUBELET_MARK  KADM_DIR "/kubelet-config.sum"
#define KADM_ENCRYPTION    KADM_DIR "/encryption.yaml"
#define KADM_AUDIT_POLICY  KADM_DIR "/audit-policy.yaml"
#define KADM_AUDIT_WEBHOOK KADM_DIR "/audit-webhook.yaml"
#define KADM_TOKEN_WEBHOOK KADM_DIR "/token-webhook.yaml"
#define KADM_ADMIN_CONF    "/etc/kubernetes/admin.conf"
#define KADM_KUBELET_CONF  "/etc/kubernetes/kubelet.conf"
/* Only a control-plane init or join writes it: a master's leftovers, never a worker's. */
#define KADM_APISERVER_MANIFEST "/etc/kubernetes/manifests/kube-apiserver.yaml"
/* Where the stacked etcd member keeps its data (kubeadm's default, never changed
 * by pharos): etcd creates member/ when it first starts. */
#define KADM_ETCD_MEMBER_DIR "/var/lib/etcd/member"
#define KADM_API_PORT        6443
/* The node-local API proxy (api_proxy.c): where a worker's kubelet finds it, its
 * configuration, its static pod and the image that runs it (HAProxy's 2.6 LTS):
 * Docker Hub's, or IMAGE_NAME under an image_repository other than kubeadm's default. */
#define KADM_API_PROXY_ADDRESS        "127.0.0.1"
#define KADM_API_PROXY_URL            "https://127.0.0.1:6443"
#define KADM_API_PROXY_CONFIG         KADM_DIR "/api-proxy.cfg"
#define KADM_API_PROXY_MANIFEST       "/etc/kubernetes/manifests/pharos-api-proxy.yaml"
#define KADM_API_PROXY_IMAGE          "docker.io/library/haproxy:2.6"
#define KADM_API_PROXY_IMAGE_NAME     "haproxy:2.6"
#define KADM_DEFAULT_IMAGE_REPOSITORY "registry.k8s.io"
/* NodeLocal DNSCache: upstream's image (kubernetes/dns 1.26.7, as
 * cluster/addons/dns/nodelocaldns names it) and link-local address; kubeadm's
 * dnsDomain, which cluster.yml does not change. */
#define KADM_NODE_LOCAL_DNS_IMAGE      "registry.k8s.io/dns/k8s-dns-node-cache:1.26.7"
#define KADM_NODE_LOCAL_DNS_IMAGE_NAME "k8s-dns-node-cache:1.26.7"
#define KADM_NODE_LOCAL_DNS_ADDRESS    "169.254.20.10"
#define KADM_CLUSTER_DOMAIN            "cluster.local"
#define KADM_MAX_FILES                 12
/* Node annotations listing the labels and taints (key:effect) pharos put
 * there, comma-separated: what it may remove when cluster.yml drops them. */
#define KADM_MANAGED_LABELS "pharos.kontena.io/labels"
#define KADM_MANAGED_TAINTS "pharos.kontena.io/taints"

/* A growing text buffer; `oom` sticks once an allocation failed. */
struct kbuf {
        char *p;
        size_t len, cap;
        int oom;
};

void kb_printf(struct kbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a double-quoted scalar, valid YAML and JSON, safe for any text. */
void kb_quoted(struct kbuf *b, const char *s);
void kb_free(struct kbuf *b);

struct kadm_kv {
        const char *key;
        const char *value;
};

struct kadm_kvs {
        struct kadm_kv *v;
        size_t n;
};

struct kadm_taint {
        const char *key, *value, *effect;
};

/* A local file (a path from cluster.yml) copied to a master. */
struct kadm_copy {
        const char *local;
        const char *remote;
};

struct kadm_input {
        const char *version;  /* "1.37.2" */
        int v1beta4;          /* kubeadm.k8s.io/v1beta4 (1.31 and later) */
        const char *endpoint; /* controlPlaneEndpoint host:port */
        const char **sans;
        size_t n_sans;
        const char *pod_cidr, *service_cidr, *image_repository;

        /* The node the file is for. */
        const char *node_name, *advertise_address, *cri_socket;
        struct kadm_taint *taints;
        size_t n_taints;
        int has_taints; /* cluster.yml names taints (possibly none) for the host */
        struct kadm_kvs kubelet_args;

        int read_only_port, cpu_cfs_quota;
        const char *cpu_cfs_quota_period;
        struct kadm_kvs feature_gates, system_reserved, kube_reserved;

        const char *proxy_mode;
        struct kadm_kvs conntrack;
        /* network.node_local_dns_cache where the kubelet must name the cache
         * (kadm_node_local_dns_kubelet): clusterDNS is its link-local address. */
        int cluster_dns_local;

        struct kadm_kvs apiserver_args, controller_args, scheduler_args;

        const char *audit_path; /* NULL: no audit log file */
        const char *audit_webhook_server;
        const char *token_webhook_cluster, *token_webhook_server, *token_webhook_user;
        int token_webhook, token_webhook_ca, token_webhook_cert;
        const char **etcd_endpoints;
        size_t n_etcd_endpoints;

        /* pod_security (Pod Security Admission): the API server reads the defaults and
         * exemptions from admission_path, NULL without pod_security. The API server
         * reads the file only when it starts: the name carries a checksum of the content,
         * so a change is a changed flag, which kubeadm.reconfigure applies. psa: enforce,
         * enforce-version, audit, audit-version, warn, warn-version; exempt: namespaces,
         * usernames, runtime classes. */
        const char *admission_path;
        const char *psa[6];
        const char **exempt[3];
        size_t n_exempt[3];

        /* cgroup v1 hosts, which the kubelet refuses from 1.35 on (kadm_input_cgroups). */
        int allow_cgroup_v1;   /* KubeletConfiguration failCgroupV1: false (cluster-wide) */
        int skip_system_check; /* nodeRegistration.ignorePreflightErrors: SystemVerification */

        struct kadm_copy copies[KADM_MAX_FILES];
        size_t n_copies;
        char *owned[64]; /* strings built here, freed with the input */
        size_t n_owned;
};

/* Fills in from cluster.yml. root: the whole document; hostnode: the node's
 * entry; hostname: its hostname fact. Returns 0, or -1 with why set. */
int kadm_input_fill(const struct pharos_host *h, const struct pharos_config_node *root,
                    const struct pharos_config_node *hostnode, const char *hostname,
                    struct kadm_input *in, char *why, size_t why_len);
void kadm_input_free(struct kadm_input *in);
/* The host's peer address: private_address (cluster.yml's, or its private_interface's
 * learnt with the facts), else address. */
const char *kadm_peer_address(const struct pharos_host *h,
                              const struct pharos_config_node *hostnode);
/* The CRI socket of a container_runtime name, or NULL when unknown. */
const char *kadm_cri_socket(const char *runtime);
/* Whether the kubelet of version "MAJOR.MINOR.PATCH" refuses a cgroup v1 host by default
 * (its failCgroupV1 defaults to true from 1.35 on). */
int kadm_kubelet_fails_cgroup_v1(const char *version);
/* What cgroup v1 hosts change in the input: node_v1, the node is one; any_v1, some host of
 * the cluster is; worker_up, the node joins with `pharos worker up` (its kubelet then gets
 * --fail-cgroupv1=false: the cluster's kubelet configuration is not this run's).
 * Returns 0, -1 when out of memory. */
int kadm_input_cgroups(struct kadm_input *in, int node_v1, int any_v1, int worker_up);
/* Whether kubeadm.k8s.io/v1beta4 is the API for version "MAJOR.MINOR.PATCH". */
int kadm_is_v1beta4(const char *version);

/* Renderers: append to b. The kubeadm.yaml kept on masters has no cert_key (NULL);
 * the copy given to `kubeadm init` and its upload-certs phase has the key. */
void kadm_render_kubeadm(const struct kadm_input *in, const char *cert_key, struct kbuf *b);
/* A JoinConfiguration; cert_key non-NULL for a control-plane join. */
void kadm_render_join(const struct kadm_input *in, const char *api_endpoint, const char *token,
                      const char *ca_hash, const char *cert_key, struct kbuf *b);
void kadm_render_encryption(const char *key_b64, struct kbuf *b);
void kadm_render_audit_policy(struct kbuf *b);
/* The API server's AdmissionConfiguration with the PodSecurity plugin's defaults. */
void kadm_render_admission(const struct kadm_input *in, struct kbuf *b);
/* A kubeconfig naming a remote service (audit or token webhook). */
void kadm_render_webhook_kubeconfig(const char *cluster, const char *server, const char *ca_path,
                                    const char *user, const char *cert_path, const char *key_path,
                                    struct kbuf *b);
/* The aescbc key of an EncryptionConfiguration this plugin wrote, or NULL (malloc'd). */
char *kadm_parse_encryption_key(const char *text);

/* The merge patch that gives the CoreDNS Deployment (its JSON) `want` replicas: 1 with
 * it appended to patch and the difference in why, 0 when it has them, -1 (why set) when
 * the JSON cannot be read. */
int kadm_dns_replicas_patch(const char *deployment_json, long want, struct kbuf *patch, char *why,
                            size_t why_len);

/* Parts of a kubeadm.yaml that differ between two renderings (config_diff.c). */
enum kadm_change {
        KADM_CH_CLUSTER = 1u << 0,    /* anything in the ClusterConfiguration */
        KADM_CH_APISERVER = 1u << 1,  /* apiServer apart from certSANs */
        KADM_CH_SANS = 1u << 2,       /* apiServer.certSANs or controlPlaneEndpoint */
        KADM_CH_CONTROLLER = 1u << 3, /* controllerManager */
        KADM_CH_SCHEDULER = 1u << 4,  /* scheduler */
        KADM_CH_KUBELET = 1u << 5,    /* the KubeletConfiguration */
        KADM_CH_PROXY = 1u << 6,      /* the KubeProxyConfiguration */
};
/* enum kadm_change bits for a kubeadm.yaml going from old_text to new_text. */
unsigned kadm_config_changes(const char *old_text, const char *new_text);
/* The document of `kind` in a kubeadm.yaml: its length, *start NULL when absent. */
size_t kadm_config_document(const char *text, const char *kind, const char **start);

/* Rewrites every `server:` of a kubeconfig's text that names neither server nor one of
 * keep (NULL-terminated, may be NULL) to server, appending the result to out unless NULL.
 * Returns how many lines that rewrites, -1 when out of memory. */
int kadm_kubeconfig_retarget(const char *text, const char *server, const char *const *keep,
                             struct kbuf *out);

/* "https://ADDRESS:6443" (IPv6 bracketed): a master's own API server. */
void kadm_api_url(const char *address, char *buf, size_t size);

/* The "pharos-change: WHAT" lines a host script printed in out, joined with "; " into buf
 * (truncated to size). Returns how many there were. */
unsigned kadm_script_changes(const char *out, char *buf, size_t size);

/* Shell word for s, single-quoted (malloc'd), NULL when out of memory. */
char *kadm_shq(const char *s);
/* n random bytes from the kernel, as lowercase hex or base64 (into out). */
int kadm_random_hex(size_t n, char *out, size_t out_len);
int kadm_random_base64(size_t n, char *out, size_t out_len);

/* Join data made on the first master and used by the other hosts' steps. */
struct kadm_join {
        char endpoint[256];
        char token[64];
        char ca_hash[128];
        char cert_key[80]; /* "" until certificates were uploaded in this run */
};

/* Per-host status read in the facts phase, by cluster.yml index. */
enum kadm_host_status {
        KADM_UNKNOWN = 0,
        KADM_FRESH,  /* neither admin.conf nor kubelet.conf */
        KADM_JOINED, /* kubelet.conf (and admin.conf on masters) present */
};

/* What the validate phase learnt about a master's etcd member. */
struct kadm_etcd_probe {
        int probed;
        int in_cluster;     /* the master runs a control plane (admin.conf) */
        int healthy;        /* its etcd answered /health with true */
        char why[200];      /* why not, for messages */
        char *members_json; /* its member list when healthy (malloc'd) */
};

/* Members the run removes, and the staying master whose etcd is asked to. */
struct kadm_etcd_removal {
        struct kadm_member *v; /* malloc'd */
        size_t n;
        char via[256];      /* cluster.yml address of that master */
        char via_peer[256]; /* where its etcd listens */
};

struct kadm_state {
        const struct pharos_host *host;
        struct pharos_plugin *self;
        pthread_mutex_t mu;
        char enc_key[64]; /* base64 aescbc key, "" until known */
        int have_join;
        struct kadm_join join;
        enum kadm_host_status *status;
        size_t n_status;
        int nodes_read;               /* the labels step listed the Nodes (once per run) */
        void *nodes;                  /* that list (a yajl_val), NULL if it could not be read */
        struct kadm_etcd_probe *etcd; /* by cluster.yml index, n_etcd entries */
        size_t n_etcd;
        struct kadm_etcd_removal removal;
        /* By cluster.yml index, n_rejoin entries: 1 for a master with a control plane
         * whose etcd member is gone (etcd-check): it is reset and joins again. */
        unsigned char *rejoin;
        size_t n_rejoin;
        unsigned char *cgroup_v1; /* by cluster.yml index, n_cgroup entries: 1 on cgroup v1 */
        size_t n_cgroup;
        int cgroup_warned; /* the cgroup v1 warning was printed in this run */
        /* The Node list and the API servers' mirror Pods, read once per run by the
         * upgrade steps (yajl_val, NULL until upgrade_read). */
        int upgrade_read;
        void *upgrade_nodes, *upgrade_pods;
};

extern const struct pharos_step kadm_step_status, kadm_step_encryption_key, kadm_step_config,
        kadm_step_init, kadm_step_cp_token, kadm_step_join_masters, kadm_step_worker_token,
        kadm_step_join_workers, kadm_step_labels, kadm_step_reconfigure, kadm_step_kubelet_config,
        kadm_step_worker_up_join, kadm_step_etcd_probe, kadm_step_etcd_check, kadm_step_etcd_remove,
        kadm_step_etcd_reset, kadm_step_reset, kadm_step_endpoint, kadm_step_endpoint_info,
        kadm_step_worker_up_endpoint, kadm_step_cgroups, kadm_step_cgroups_warning,
        kadm_step_dns_replicas, kadm_step_node_local_dns, kadm_step_etcd_verify,
        kadm_step_upgrade_masters, kadm_step_upgrade_workers, kadm_step_api_proxy;

/* Frees what the etcd steps keep in st (kubeadm's fini). */
void kadm_etcd_free(struct kadm_state *st);
/* A request to the etcd of the master whose etcd listens on peer, tunnelled through
 * via (NULL: the step's host), with kubeadm's API server client certificate. */
void kadm_etcd_request(const char *via, const char *peer, const char *method, const char *path,
                       const char *body, uint32_t timeout_ms, struct pharos_https_request *q);
/* 1 when etcd-check found the step's master without its etcd member. */
int kadm_rejoining(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* Takes the control plane of such a master, or what a control-plane join that did
 * not finish left, down before it joins again (rejoin.c): kubeadm reset, then its
 * Node deleted; why ends the reset's change message. Returns 0, or <0 with the
 * step failed. */
int kadm_rejoin_reset(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *why);

/* 1 when workers reach the API through the node-local proxy: no api.endpoint (a load
 * balancer of the user's) and two masters or more. */
int kadm_api_proxy(const struct pharos_host *h, const struct pharos_config_node *root);
/* 1 when the step's host runs the node-local API proxy: a worker of such a cluster, or
 * any host `pharos worker up` joins (kube-proxy's kubeconfig, the cluster's, may name the
 * proxy, and a worker up has no cluster.yml to tell). */
int kadm_node_proxy(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* The proxy's HAProxy configuration and its static pod, appended to cfg and manifest. It
 * reaches endpoints ("HOST:PORT" or "[IPV6]:PORT", space-separated: the masters given to
 * `pharos worker up`), or every master of cluster.yml at port 6443 when endpoints is NULL.
 * Returns 0, or -1 with why set. */
int kadm_render_api_proxy(const struct pharos_host *h, const struct pharos_config_node *root,
                          const char *endpoints, struct kbuf *cfg, struct kbuf *manifest, char *why,
                          size_t why_len);
/* kube_proxy.mode as kube-proxy runs it (input.c): unset or the removed
 * userspace mode is iptables. Returns configured or a static string. */
const char *kadm_proxy_mode(const char *configured);
/* NodeLocal DNSCache (node_local_dns.c). The kube-dns ClusterIP of an IPv4
 * service range into out: 0, or -1 when it is not one. */
int kadm_dns_service_ip(const char *service_cidr, char *out, size_t size);
/* 1 when, with kube-proxy in proxy_mode, pods must be given the cache's link-local
 * address as their nameserver (the kubelet's clusterDNS). */
int kadm_node_local_dns_kubelet(const char *proxy_mode);
void kadm_node_local_dns_image(const char *repository, char *buf, size_t size);
/* The stack's YAML appended to b: 0, or -1 with why set. */
int kadm_render_node_local_dns(const char *service_cidr, const char *proxy_mode,
                               const char *image_repository, struct kbuf *b, char *why,
                               size_t why_len);
/* The proxy's image for image_repository (NULL: the default) into buf. */
void kadm_api_proxy_image(const char *repository, char *buf, size_t size);

/* Helpers shared by the steps. */
const struct pharos_config_node *kadm_hosts(struct kadm_state *st);
/* Index in cluster.yml of the first master, or -1. */
long kadm_first_master(struct kadm_state *st);
long kadm_host_index(struct kadm_state *st, struct pharos_step_ctx *ctx);
int kadm_is_master(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* 1 when `path` exists on the step's host, 0 when not, <0 on error. */
int kadm_exists(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *path);
/* 1 if the step's master runs a control plane: admin.conf AND data in its etcd
 * member (admin.conf alone with an external etcd). A kubeadm init or control-plane join that failed
 * before etcd first ran leaves admin.conf only; such a master is set up again (reset, init or
 * join), not taken for one with a stopped etcd. 0 if not, -1 failed. */
int kadm_control_plane_exists(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* 1 when cluster.yml names an external etcd (etcd.endpoints): the masters run
 * no etcd member, so the membership steps have nothing to do. */
int kadm_etcd_external(struct kadm_state *st);
/* cluster.yml's etcd.endpoints (owned by the core), or NULL. */
const struct pharos_config_node *kadm_etcd_endpoints(struct kadm_state *st);
/* 1 when the facts phase found the step's host in the cluster (KADM_JOINED). */
int kadm_joined(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* 1 when the run is `pharos worker up` (the "sequence" fact). */
int kadm_worker_up(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* "kubeadm join EP --token T --discovery-token-ca-cert-hash H" (anywhere in text) -> j.
 * Returns 0, or -1 when text holds no such command. */
int kadm_parse_join(const char *text, struct kadm_join *j);
/* Joins the step's host with j (wiped before returning): resets what an interrupted
 * join left, renders the JoinConfiguration into a root-only file, runs kubeadm join. */
int kadm_join_host(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kadm_join *j,
                   int master);
/* control_plane.use_proxy: the step host's proxy variables for kubeadm commands, as
 * script variables (a proxy URL may carry a password, so never on a command line):
 * fills env (KADM_PROXY_VARS entries; strings owned by the core's config) and returns
 * how many, 0 when off. And the kubelet's drop-in with the same variables. */
#define KADM_PROXY_VARS 8
size_t kadm_proxy_env(struct kadm_state *st, struct pharos_step_ctx *ctx, struct pharos_env *env);
int kadm_kubelet_proxy(struct kadm_state *st, struct pharos_step_ctx *ctx);
/* One Environment= line of the kubelet's proxy drop-in, quoted for systemd;
 * -1 (nothing written) when the value holds a control character. */
int kadm_render_proxy_env(struct kbuf *b, const char *k, const char *v);
/* Whether the step's host (node) or any host of the run (any) has cgroup v1, as the
 * kubeadm.cgroups step recorded. */
void kadm_cgroup_v1(struct kadm_state *st, struct pharos_step_ctx *ctx, int *node, int *any);
/* Input for the step's host; the step fails (returns <0) when it cannot be built. */
int kadm_input_for(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kadm_input *in);
/* The servers a host's kubeconfigs may name (step_endpoint.c): want (URL), and the
 * NULL-terminated keep list; kubeconfigs naming anything else are rewritten to want,
 * the kubelet restarted when its own was. Returns 0, or <0 with the step failed.
 * With fix 0 only *stale is set (non-zero: some file names another server). */
int kadm_retarget_host(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *want,
                       const char *const *keep, int fix, unsigned *stale);

#endif
