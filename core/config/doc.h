/*
 * The typed view of a loaded cluster.yml (every section but the hosts,
 * which are struct cfg_host in config.h). Filled by libcyaml from the
 * validated tree, so every default is already in place: a field is NULL
 * only where the comment says it may be. Owned by the struct
 * cluster_config it hangs off; freed by cfg_free().
 */
#ifndef PHAROS_CORE_CONFIG_DOC_H
#define PHAROS_CORE_CONFIG_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <pharos/config.h>

struct cfg_kv;
struct cfg_host;

struct cfg_api {
        char *endpoint; /* may be NULL */
        char **sans;
        size_t n_sans;
};

struct cfg_open_port {
        char *port;     /* "N" or "N-M" */
        char *protocol; /* tcp or udp */
        char **roles;   /* master, worker or "*" */
        size_t n_roles;
};

struct cfg_firewalld {
        bool enabled;
        struct cfg_open_port *open_ports;
        size_t n_open_ports;
        char **trusted_subnets;
        size_t n_trusted_subnets;
};

struct cfg_network {
        char *provider; /* the network plugin is "network-<provider>" */
        char *service_cidr;
        char *pod_network_cidr;
        int dns_replicas;
        bool node_local_dns_cache;
        struct cfg_firewalld firewalld;
};

/* External etcd; absent (NULL) means stacked etcd on the masters. */
struct cfg_etcd {
        char **endpoints;
        size_t n_endpoints;
        char *certificate;    /* may be NULL */
        char *key;            /* may be NULL */
        char *ca_certificate; /* may be NULL */
};

struct cfg_webhook_cluster {
        char *name;
        char *server;
        char *certificate_authority; /* may be NULL */
};

struct cfg_webhook_user {
        char *name;
        char *client_certificate; /* may be NULL */
        char *client_key;         /* may be NULL */
};

struct cfg_webhook_config {
        struct cfg_webhook_cluster cluster;
        struct cfg_webhook_user user;
};

struct cfg_token_webhook {
        struct cfg_webhook_config config;
        char *cache_ttl; /* may be NULL */
};

/* Every member may be NULL except issuer_url and client_id. */
struct cfg_oidc {
        char *issuer_url;
        char *client_id;
        char *username_claim;
        char *username_prefix;
        char *groups_claim;
        char *groups_prefix;
        char *ca_file;
};

struct cfg_authentication {
        struct cfg_token_webhook *token_webhook; /* may be NULL */
        struct cfg_oidc *oidc;                   /* may be NULL */
};

struct cfg_cloud {
        char *provider;
        char *config; /* may be NULL */
};

struct cfg_audit_webhook {
        char *server;
};

struct cfg_audit_file {
        char *path;
        int max_age;  /* days */
        int max_size; /* MB */
        int max_backups;
};

struct cfg_audit {
        struct cfg_audit_webhook *webhook; /* may be NULL */
        struct cfg_audit_file file;
};

struct cfg_kube_proxy {
        char *mode; /* userspace, iptables or ipvs */
        struct cfg_kv *conntrack;
        size_t n_conntrack;
};

struct cfg_kubelet {
        bool read_only_port;
        struct cfg_kv *feature_gates;
        size_t n_feature_gates;
        char **extra_args;
        size_t n_extra_args;
        bool cpu_cfs_quota;
        char *cpu_cfs_quota_period; /* may be NULL */
        struct cfg_kv *system_reserved;
        size_t n_system_reserved;
        struct cfg_kv *kube_reserved;
        size_t n_kube_reserved;
};

struct cfg_control_plane {
        bool use_proxy;
        struct cfg_kv *feature_gates;
        size_t n_feature_gates;
};

/* Who Pod Security Admission leaves alone, whatever the levels. */
struct cfg_psa_exemptions {
        char **namespaces;
        size_t n_namespaces;
        char **usernames;
        size_t n_usernames;
        char **runtime_classes;
        size_t n_runtime_classes;
};

/* Pod Security Admission's cluster-wide defaults: levels privileged, baseline or
 * restricted; versions "latest" or "vMAJOR.MINOR" of the Pod Security Standards. */
struct cfg_pod_security {
        char *enforce, *enforce_version;
        char *audit, *audit_version;
        char *warn, *warn_version;
        struct cfg_psa_exemptions exemptions;
};

struct cfg_admission_plugin {
        char *name;
        bool enabled;
};

struct cfg_container_runtime_opts {
        char **insecure_registries;
        size_t n_insecure_registries;
};

struct cfg_kubernetes {
        char *version; /* "X.Y.Z" */
};

/* How `up` moves the cluster to a newer kubernetes.version. */
struct cfg_upgrade {
        int max_unavailable; /* workers drained and upgraded at once, >= 1 */
};

/* One entry of `addons:`; the rest of its section belongs to plugin addon-<name>. */
struct cfg_addon {
        char *name;
        bool enabled;
        const struct pharos_config_node *section;
};

struct cfg_doc {
        /* Mapped by libcyaml (schema.c). */
        char *name; /* may be NULL */
        struct cfg_host *hosts;
        size_t n_hosts;
        struct cfg_api *api; /* may be NULL */
        struct cfg_network network;
        struct cfg_etcd *etcd;                     /* may be NULL */
        struct cfg_authentication *authentication; /* may be NULL */
        struct cfg_cloud *cloud;                   /* may be NULL */
        struct cfg_audit audit;
        struct cfg_kube_proxy kube_proxy;
        struct cfg_kubelet kubelet;
        struct cfg_control_plane control_plane;
        struct cfg_pod_security *pod_security; /* may be NULL: Kubernetes' defaults */
        struct cfg_admission_plugin *admission_plugins;
        size_t n_admission_plugins;
        struct cfg_container_runtime_opts container_runtime;
        char *image_repository;
        char **manifests;
        size_t n_manifests;
        struct cfg_kubernetes kubernetes;
        struct cfg_upgrade upgrade;

        /* Filled from the tree (libcyaml has no free-form maps). */
        struct cfg_addon *addons;
        size_t n_addons;
        /* The effective document with defaults; what `config show` prints. */
        struct pharos_config_node *tree;
};

/* The validated plugin section at a dotted path ("network.weave"), or NULL. */
const struct pharos_config_node *cfg_doc_section(const struct cfg_doc *doc, const char *path);

#endif
