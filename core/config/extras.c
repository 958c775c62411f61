/* The side table of schema.h: what libcyaml cannot express about a key. */
#include <string.h>

#include "config/checks.h"
#include "config/defaults.h"
#include "config/schema.h"

static const char *const roles[] = {"master", "worker", NULL};
static const char *const port_roles[] = {"master", "worker", "*", NULL};
static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
static const char *const protocols[] = {"tcp", "udp", NULL};
static const char *const psa_levels[] = {"privileged", "baseline", "restricted", NULL};
static const char *const proxy_modes[] = {"userspace", "iptables", "ipvs", "nftables", NULL};
/* The original's other names are refused with a reason (retired.c). */
static const char *const cloud_providers[] = {"external", NULL};

/* The original's default firewalld rules. */
#define OPEN_PORTS                                                                                 \
        "[{port: '22', protocol: tcp, roles: ['*']},"                                              \
        " {port: '80', protocol: tcp, roles: [worker]},"                                           \
        " {port: '443', protocol: tcp, roles: [worker]},"                                          \
        " {port: '6443', protocol: tcp, roles: [master]},"                                         \
        " {port: '30000-32767', protocol: tcp, roles: ['*']},"                                     \
        " {port: '30000-32767', protocol: udp, roles: ['*']}]"

#define PORT .min = 1, .max = 65535

static const struct cfg_extra extras[] = {
        {"hosts.*.address", .check = cfg_check_host_address},
        {"hosts.*.private_address", .check = cfg_check_ip},
        {"hosts.*.role", .enums = roles},
        {"hosts.*.private_interface", .check = cfg_check_interface},
        {"hosts.*.labels", .flags = CFG_X_STRING_MAP, .key_check = cfg_check_label_key,
         .check = cfg_check_label_value},
        {"hosts.*.taints.*.key", .check = cfg_check_label_key},
        {"hosts.*.taints.*.value", .check = cfg_check_label_value},
        {"hosts.*.taints.*.effect", .enums = effects},
        {"hosts.*.user", .def = PHAROS_DEFAULT_SSH_USER, .check = cfg_check_user},
        {"hosts.*.ssh_key_path", .def = PHAROS_DEFAULT_SSH_KEY_PATH, .flags = CFG_X_PATH},
        {"hosts.*.ssh_port", .def = PHAROS_DEFAULT_SSH_PORT, PORT},
        {"hosts.*.bastion.address", .check = cfg_check_host_address},
        {"hosts.*.bastion.user", .check = cfg_check_user},
        {"hosts.*.bastion.ssh_key_path", .flags = CFG_X_PATH},
        {"hosts.*.bastion.ssh_port", .def = PHAROS_DEFAULT_SSH_PORT, PORT},
        {"hosts.*.container_runtime", .def = PHAROS_DEFAULT_CONTAINER_RUNTIME,
         .check = cfg_check_plugin_word},
        {"hosts.*.environment", .flags = CFG_X_STRING_MAP, .key_check = cfg_check_env_name,
         .check = cfg_check_env_value},
        {"hosts.*.repositories.*.name", .check = cfg_check_file_name},
        {"hosts.*.repositories.*.contents", .flags = CFG_X_MULTILINE},
        {"hosts.*.repositories.*.key_url", .check = cfg_check_url},
        {"api.sans.*", .check = cfg_check_san},
        {"api.endpoint", .check = cfg_check_host_address},
        {"network", .flags = CFG_X_PLUGIN_SECTIONS, .plugin_prefix = "network"},
        {"network.provider", .def = PHAROS_DEFAULT_NETWORK_PROVIDER,
         .check = cfg_check_plugin_word},
        {"network.service_cidr", .def = PHAROS_DEFAULT_SERVICE_CIDR,
         .check = cfg_check_service_cidr},
        {"network.pod_network_cidr", .def = PHAROS_DEFAULT_POD_NETWORK_CIDR,
         .check = cfg_check_pod_cidr},
        {"network.dns_replicas", .min = 1, .max = 1000},
        /* The original's default was true; pharos refuses true (config/retired.c). */
        {"network.node_local_dns_cache", .def = "false"},
        {"network.firewalld.enabled", .def = "false"},
        {"network.firewalld.open_ports", .def = OPEN_PORTS},
        {"network.firewalld.open_ports.*.port", .check = cfg_check_port_spec},
        {"network.firewalld.open_ports.*.protocol", .enums = protocols},
        {"network.firewalld.open_ports.*.roles.*", .enums = port_roles},
        {"network.firewalld.trusted_subnets.*", .check = cfg_check_cidr},
        {"etcd.endpoints.*", .check = cfg_check_url},
        {"etcd.certificate", .flags = CFG_X_PATH},
        {"etcd.key", .flags = CFG_X_PATH},
        {"etcd.ca_certificate", .flags = CFG_X_PATH},
        {"authentication.token_webhook.config.cluster.server", .check = cfg_check_url},
        {"authentication.token_webhook.config.cluster.certificate_authority", .flags = CFG_X_PATH},
        {"authentication.token_webhook.config.user.client_certificate", .flags = CFG_X_PATH},
        {"authentication.token_webhook.config.user.client_key", .flags = CFG_X_PATH},
        {"authentication.oidc.issuer_url", .check = cfg_check_url},
        {"authentication.oidc.ca_file", .flags = CFG_X_PATH},
        {"cloud.provider", .enums = cloud_providers},
        {"cloud.config", .flags = CFG_X_PATH},
        {"audit.webhook.server", .check = cfg_check_url},
        {"audit.file.path", .def = "/var/log/kubernetes/audit.json", .check = cfg_check_abs_path},
        {"audit.file.max_age", .def = "30", .min = 0, .max = 36500},
        {"audit.file.max_size", .def = "100", .min = 0, .max = 1048576},
        {"audit.file.max_backups", .def = "20", .min = 0, .max = 100000},
        {"kube_proxy.mode", .def = "iptables", .enums = proxy_modes},
        {"kube_proxy.conntrack", .flags = CFG_X_STRING_MAP, .key_check = cfg_check_key_word,
         .check = cfg_check_key_word},
        {"kubelet.read_only_port", .def = "false"},
        {"kubelet.feature_gates", .flags = CFG_X_STRING_MAP, .key_check = cfg_check_key_word,
         .check = cfg_check_key_word},
        {"kubelet.extra_args.*", .check = cfg_check_flag_arg},
        {"kubelet.cpu_cfs_quota", .def = "true"},
        {"kubelet.system_reserved", .def = "{cpu: 50m, memory: 50Mi}", .flags = CFG_X_STRING_MAP,
         .key_check = cfg_check_key_word, .check = cfg_check_key_word},
        {"kubelet.kube_reserved", .def = "{cpu: 100m, memory: 200Mi}", .flags = CFG_X_STRING_MAP,
         .key_check = cfg_check_key_word, .check = cfg_check_key_word},
        {"control_plane.use_proxy", .def = "false"},
        {"control_plane.feature_gates", .flags = CFG_X_STRING_MAP, .key_check = cfg_check_key_word,
         .check = cfg_check_key_word},
        {"pod_security.enforce", .def = "privileged", .enums = psa_levels},
        {"pod_security.enforce_version", .def = "latest", .check = cfg_check_psa_version},
        {"pod_security.audit", .def = "privileged", .enums = psa_levels},
        {"pod_security.audit_version", .def = "latest", .check = cfg_check_psa_version},
        {"pod_security.warn", .def = "privileged", .enums = psa_levels},
        {"pod_security.warn_version", .def = "latest", .check = cfg_check_psa_version},
        /* The network plugins' pods in kube-system need privileges no level but
         * privileged allows. */
        {"pod_security.exemptions.namespaces", .def = "[kube-system]"},
        {"pod_security.exemptions.namespaces.*", .check = cfg_check_dns_label},
        {"pod_security.exemptions.runtime_classes.*", .check = cfg_check_dns_subdomain},
        {"admission_plugins.*.name", .check = cfg_check_key_word},
        {"admission_plugins.*.enabled", .def = "true"},
        {"container_runtime.insecure_registries.*", .check = cfg_check_registry},
        {"image_repository", .def = PHAROS_DEFAULT_IMAGE_REPOSITORY,
         .check = cfg_check_image_repository},
        {"manifests.*", .flags = CFG_X_PATH},
        {"addons", .flags = CFG_X_PLUGIN_SECTIONS, .plugin_prefix = "addon"},
        {"kubernetes.version", .def = PHAROS_DEFAULT_KUBE_VERSION, .check = cfg_check_version},
        {"upgrade.max_unavailable", .def = "1", .min = 1, .max = 1000},
};

const struct cfg_extra *cfg_extra_find(const char *path)
{
        for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
                if (strcmp(extras[i].path, path) == 0)
                        return &extras[i];
        return NULL;
}

const struct cfg_extra *cfg_extras(size_t *n)
{
        *n = sizeof(extras) / sizeof(extras[0]);
        return extras;
}
