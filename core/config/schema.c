#include <stddef.h>

#include "config/config.h"
#include "config/defaults.h"
#include "config/schema.h"

/* Shorthands: every string is a pointer; "opt" fields may be absent. */
#define OPT                     (CYAML_FLAG_OPTIONAL)
#define STR(key, st, m)         CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER, st, m, 0, CYAML_UNLIMITED)
#define OSTR(key, st, m)        CYAML_FIELD_STRING_PTR(key, OPT, st, m, 0, CYAML_UNLIMITED)
#define OINT(key, st, m)        CYAML_FIELD_INT(key, OPT, st, m)
#define OBOOL(key, st, m)       CYAML_FIELD_BOOL(key, OPT, st, m)
#define OMAP(key, st, m, f)     CYAML_FIELD_MAPPING(key, OPT, st, m, f)
#define OMAP_PTR(key, st, m, f) CYAML_FIELD_MAPPING_PTR(key, OPT, st, m, f)
#define OSEQ(key, st, m, n, entry)                                                                 \
        CYAML_FIELD_SEQUENCE_COUNT(key, CYAML_FLAG_POINTER | OPT, st, m, n, entry, 0,              \
                                   CYAML_UNLIMITED)
#define IGNORE(key) CYAML_FIELD_IGNORE(key, OPT)

static const cyaml_schema_value_t string_entry = {
        CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

/* hosts */

static const cyaml_schema_field_t taint_fields[] = {
        STR("key", struct cfg_taint, key),
        OSTR("value", struct cfg_taint, value),
        STR("effect", struct cfg_taint, effect),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t taint_entry = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cfg_taint, taint_fields),
};

static const cyaml_schema_field_t repository_fields[] = {
        STR("name", struct cfg_repository, name),
        STR("contents", struct cfg_repository, contents),
        OSTR("key_url", struct cfg_repository, key_url),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t repository_entry = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cfg_repository, repository_fields),
};

static const cyaml_schema_field_t bastion_fields[] = {
        STR("address", struct cfg_bastion, address),
        OSTR("user", struct cfg_bastion, user),
        OSTR("ssh_key_path", struct cfg_bastion, ssh_key_path),
        OINT("ssh_port", struct cfg_bastion, ssh_port),
        OSTR("ssh_proxy_command", struct cfg_bastion, ssh_proxy_command),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t host_fields[] = {
        STR("address", struct cfg_host, address),
        OSTR("private_address", struct cfg_host, private_address),
        OSTR("private_interface", struct cfg_host, private_interface),
        STR("role", struct cfg_host, role),
        IGNORE("labels"),
        OSEQ("taints", struct cfg_host, taints, n_taints, &taint_entry),
        OSTR("user", struct cfg_host, user),
        OSTR("ssh_key_path", struct cfg_host, ssh_key_path),
        OINT("ssh_port", struct cfg_host, ssh_port),
        OSTR("ssh_proxy_command", struct cfg_host, ssh_proxy_command),
        OMAP_PTR("bastion", struct cfg_host, bastion, bastion_fields),
        OSTR("container_runtime", struct cfg_host, container_runtime),
        IGNORE("environment"),
        OSEQ("repositories", struct cfg_host, repositories, n_repositories, &repository_entry),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t host_entry = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cfg_host, host_fields),
};

/* api, network */

static const cyaml_schema_field_t api_fields[] = {
        OSTR("endpoint", struct cfg_api, endpoint),
        OSEQ("sans", struct cfg_api, sans, n_sans, &string_entry),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t open_port_fields[] = {
        STR("port", struct cfg_open_port, port),
        STR("protocol", struct cfg_open_port, protocol),
        CYAML_FIELD_SEQUENCE_COUNT("roles", CYAML_FLAG_POINTER, struct cfg_open_port, roles,
                                   n_roles, &string_entry, 1, CYAML_UNLIMITED),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t open_port_entry = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cfg_open_port, open_port_fields),
};

static const cyaml_schema_field_t firewalld_fields[] = {
        OBOOL("enabled", struct cfg_firewalld, enabled),
        OSEQ("open_ports", struct cfg_firewalld, open_ports, n_open_ports, &open_port_entry),
        OSEQ("trusted_subnets", struct cfg_firewalld, trusted_subnets, n_trusted_subnets,
             &string_entry),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t network_fields[] = {
        OSTR("provider", struct cfg_network, provider),
        OSTR("service_cidr", struct cfg_network, service_cidr),
        OSTR("pod_network_cidr", struct cfg_network, pod_network_cidr),
        OINT("dns_replicas", struct cfg_network, dns_replicas),
        OBOOL("node_local_dns_cache", struct cfg_network, node_local_dns_cache),
        OMAP("firewalld", struct cfg_network, firewalld, firewalld_fields),
        CYAML_FIELD_END,
};

/* etcd, authentication, cloud, audit */

static const cyaml_schema_field_t etcd_fields[] = {
        CYAML_FIELD_SEQUENCE_COUNT("endpoints", CYAML_FLAG_POINTER, struct cfg_etcd, endpoints,
                                   n_endpoints, &string_entry, 1, CYAML_UNLIMITED),
        OSTR("certificate", struct cfg_etcd, certificate),
        OSTR("key", struct cfg_etcd, key),
        OSTR("ca_certificate", struct cfg_etcd, ca_certificate),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t webhook_cluster_fields[] = {
        STR("name", struct cfg_webhook_cluster, name),
        STR("server", struct cfg_webhook_cluster, server),
        OSTR("certificate_authority", struct cfg_webhook_cluster, certificate_authority),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t webhook_user_fields[] = {
        STR("name", struct cfg_webhook_user, name),
        OSTR("client_certificate", struct cfg_webhook_user, client_certificate),
        OSTR("client_key", struct cfg_webhook_user, client_key),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t webhook_config_fields[] = {
        CYAML_FIELD_MAPPING("cluster", CYAML_FLAG_DEFAULT, struct cfg_webhook_config, cluster,
                            webhook_cluster_fields),
        CYAML_FIELD_MAPPING("user", CYAML_FLAG_DEFAULT, struct cfg_webhook_config, user,
                            webhook_user_fields),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t token_webhook_fields[] = {
        CYAML_FIELD_MAPPING("config", CYAML_FLAG_DEFAULT, struct cfg_token_webhook, config,
                            webhook_config_fields),
        OSTR("cache_ttl", struct cfg_token_webhook, cache_ttl),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t oidc_fields[] = {
        STR("issuer_url", struct cfg_oidc, issuer_url),
        STR("client_id", struct cfg_oidc, client_id),
        OSTR("username_claim", struct cfg_oidc, username_claim),
        OSTR("username_prefix", struct cfg_oidc, username_prefix),
        OSTR("groups_claim", struct cfg_oidc, groups_claim),
        OSTR("groups_prefix", struct cfg_oidc, groups_prefix),
        OSTR("ca_file", struct cfg_oidc, ca_file),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t authentication_fields[] = {
        OMAP_PTR("token_webhook", struct cfg_authentication, token_webhook, token_webhook_fields),
        OMAP_PTR("oidc", struct cfg_authentication, oidc, oidc_fields),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t cloud_fields[] = {
        STR("provider", struct cfg_cloud, provider),
        OSTR("config", struct cfg_cloud, config),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t audit_webhook_fields[] = {
        STR("server", struct cfg_audit_webhook, server),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t audit_file_fields[] = {
        OSTR("path", struct cfg_audit_file, path),
        OINT("max_age", struct cfg_audit_file, max_age),
        OINT("max_size", struct cfg_audit_file, max_size),
        OINT("max_backups", struct cfg_audit_file, max_backups),
        CYAML_FIELD_END,
};
static const cyaml_schema_field_t audit_fields[] = {
        OMAP_PTR("webhook", struct cfg_audit, webhook, audit_webhook_fields),
        OMAP("file", struct cfg_audit, file, audit_file_fields),
        CYAML_FIELD_END,
};

/* kube_proxy, kubelet, control_plane, the rest */

static const cyaml_schema_field_t kube_proxy_fields[] = {
        OSTR("mode", struct cfg_kube_proxy, mode),
        IGNORE("conntrack"),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t kubelet_fields[] = {
        OBOOL("read_only_port", struct cfg_kubelet, read_only_port),
        IGNORE("feature_gates"),
        OSEQ("extra_args", struct cfg_kubelet, extra_args, n_extra_args, &string_entry),
        OBOOL("cpu_cfs_quota", struct cfg_kubelet, cpu_cfs_quota),
        OSTR("cpu_cfs_quota_period", struct cfg_kubelet, cpu_cfs_quota_period),
        IGNORE("system_reserved"),
        IGNORE("kube_reserved"),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t control_plane_fields[] = {
        OBOOL("use_proxy", struct cfg_control_plane, use_proxy),
        IGNORE("feature_gates"),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t psa_exemption_fields[] = {
        OSEQ("namespaces", struct cfg_psa_exemptions, namespaces, n_namespaces, &string_entry),
        OSEQ("usernames", struct cfg_psa_exemptions, usernames, n_usernames, &string_entry),
        OSEQ("runtime_classes", struct cfg_psa_exemptions, runtime_classes, n_runtime_classes,
             &string_entry),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t pod_security_fields[] = {
        OSTR("enforce", struct cfg_pod_security, enforce),
        OSTR("enforce_version", struct cfg_pod_security, enforce_version),
        OSTR("audit", struct cfg_pod_security, audit),
        OSTR("audit_version", struct cfg_pod_security, audit_version),
        OSTR("warn", struct cfg_pod_security, warn),
        OSTR("warn_version", struct cfg_pod_security, warn_version),
        OMAP("exemptions", struct cfg_pod_security, exemptions, psa_exemption_fields),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t admission_plugin_fields[] = {
        STR("name", struct cfg_admission_plugin, name),
        OBOOL("enabled", struct cfg_admission_plugin, enabled),
        CYAML_FIELD_END,
};
static const cyaml_schema_value_t admission_plugin_entry = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct cfg_admission_plugin,
                            admission_plugin_fields),
};

static const cyaml_schema_field_t container_runtime_fields[] = {
        OSEQ("insecure_registries", struct cfg_container_runtime_opts, insecure_registries,
             n_insecure_registries, &string_entry),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t kubernetes_fields[] = {
        OSTR("version", struct cfg_kubernetes, version),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t upgrade_fields[] = {
        OINT("max_unavailable", struct cfg_upgrade, max_unavailable),
        CYAML_FIELD_END,
};

static const cyaml_schema_field_t root_fields[] = {
        OSTR("name", struct cfg_doc, name),
        CYAML_FIELD_SEQUENCE_COUNT("hosts", CYAML_FLAG_POINTER, struct cfg_doc, hosts, n_hosts,
                                   &host_entry, 1, CYAML_UNLIMITED),
        OMAP_PTR("api", struct cfg_doc, api, api_fields),
        OMAP("network", struct cfg_doc, network, network_fields),
        OMAP_PTR("etcd", struct cfg_doc, etcd, etcd_fields),
        OMAP_PTR("authentication", struct cfg_doc, authentication, authentication_fields),
        OMAP_PTR("cloud", struct cfg_doc, cloud, cloud_fields),
        OMAP("audit", struct cfg_doc, audit, audit_fields),
        OMAP("kube_proxy", struct cfg_doc, kube_proxy, kube_proxy_fields),
        OMAP("kubelet", struct cfg_doc, kubelet, kubelet_fields),
        OMAP("control_plane", struct cfg_doc, control_plane, control_plane_fields),
        OMAP_PTR("pod_security", struct cfg_doc, pod_security, pod_security_fields),
        OSEQ("admission_plugins", struct cfg_doc, admission_plugins, n_admission_plugins,
             &admission_plugin_entry),
        OMAP("container_runtime", struct cfg_doc, container_runtime, container_runtime_fields),
        OSTR("image_repository", struct cfg_doc, image_repository),
        OSEQ("manifests", struct cfg_doc, manifests, n_manifests, &string_entry),
        IGNORE("addons"),
        OMAP("kubernetes", struct cfg_doc, kubernetes, kubernetes_fields),
        OMAP("upgrade", struct cfg_doc, upgrade, upgrade_fields),
        CYAML_FIELD_END,
};

const cyaml_schema_value_t cfg_schema_root = {
        CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct cfg_doc, root_fields),
};
