/* kubeadm plugin: cluster.yml -> kubeadm configuration, checked line by line
 * and by the kubeadm emulator's strict `config validate` decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/load.h"
#include "config/node_api.h"
#include "kadm.h"

static const struct pharos_config_node *tree;

/* A certificate key as kubeadm wants it: 32 bytes, hex. */
#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const struct pharos_config_node *root_of(struct pharos_plugin *self)
{
        (void)self;
        return tree;
}

static const struct pharos_host fake_host = {
        .struct_size = sizeof(struct pharos_host),
        .config_kind = cfg_api_kind,
        .config_get = cfg_api_get,
        .config_string = cfg_api_string,
        .config_int = cfg_api_int,
        .config_bool = cfg_api_bool,
        .config_double = cfg_api_double,
        .config_len = cfg_api_len,
        .config_at = cfg_api_at,
        .config_key_at = cfg_api_key_at,
        .config_root = root_of,
};

/* Every cluster.yml key the kubeadm configuration maps. */
static const char *const full_yml =
        "hosts:\n"
        "  - {address: 192.0.2.1, private_address: 10.0.0.1, role: master,\n"
        "     container_runtime: crio,\n"
        "     taints: [{key: dedicated, value: a-b.c, effect: NoSchedule}]}\n"
        "  - {address: 192.0.2.2, role: master, container_runtime: docker}\n"
        "  - {address: 192.0.2.3, role: worker}\n"
        "api: {endpoint: api.example.com, sans: [extra.example.com, 192.0.2.100]}\n"
        "network: {pod_network_cidr: 10.200.0.0/16, service_cidr: 10.100.0.0/16}\n"
        "kubernetes: {version: %s}\n"
        "kubelet:\n"
        "  read_only_port: true\n"
        "  feature_gates: {SidecarContainers: 'true', Foo: 'false'}\n"
        "  extra_args: ['--max-pods=200', '--node-labels=x=\"y\": z']\n"
        "  system_reserved: {cpu: 100m, memory: 1Gi}\n"
        "  kube_reserved: {cpu: 200m}\n"
        "  cpu_cfs_quota: false\n"
        "  cpu_cfs_quota_period: 50ms\n"
        "kube_proxy: {mode: ipvs, conntrack: {maxPerCore: '0', tcpEstablishedTimeout: 24h}}\n"
        "admission_plugins:\n"
        "  - {name: AlwaysPullImages, enabled: false}\n"
        "  - {name: PodNodeSelector}\n"
        "audit:\n"
        "  file: {path: /var/log/kube/audit.json, max_age: 7, max_size: 50, max_backups: 3}\n"
        "  webhook: {server: 'https://audit.example.com/events'}\n"
        "authentication:\n"
        "  oidc: {issuer_url: 'https://id.example.com', client_id: kube,\n"
        "         username_claim: email, username_prefix: 'oidc:', groups_claim: groups,\n"
        "         groups_prefix: 'oidc:'}\n"
        "  token_webhook:\n"
        "    config:\n"
        "      cluster: {name: tw, server: 'https://tw.example.com/authn'}\n"
        "      user: {name: apiserver}\n"
        "    cache_ttl: 5m\n"
        "cloud: {provider: external, config: /etc/pharos-test/cloud.conf}\n"
        "control_plane: {feature_gates: {SidecarContainers: 'true'}}\n"
        "etcd: {endpoints: ['https://etcd1.example.com:2379', 'https://etcd2.example.com:2379']}\n"
        "image_repository: mirror.example.com/k8s\n";

static struct cluster_config *load(const char *yml)
{
        struct cluster_config *cfg = NULL;
        struct cfg_diags d = {0};
        struct pharos_error err = {0};
        int rc = cfg_load_buffer(yml, strlen(yml), "cluster.yml", NULL, &cfg, &d, &err);
        if (rc < 0)
                cfg_diag_print(&d, "cluster.yml", stderr);
        cfg_diag_free(&d);
        assert_int_equal(rc, 0);
        tree = cfg->doc->tree;
        return cfg;
}

static const struct pharos_config_node *host_at(size_t i)
{
        return cfg_api_at(cfg_api_get(tree, "hosts"), i);
}

/* Renders host i's kubeadm.yaml for a cluster.yml with kubernetes.version `version`. */
static char *render(const char *version, size_t i, struct kadm_input *in)
{
        char yml[4096];
        snprintf(yml, sizeof(yml), full_yml, version);
        struct cluster_config *cfg = load(yml);
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(i), "Node-1", in, why, sizeof(why)), 0);
        struct kbuf b = {0};
        kadm_render_kubeadm(in, NULL, &b);
        assert_false(b.oom);
        kadm_input_free(in);
        cfg_free(cfg);
        tree = NULL;
        return b.p;
}

/* Runs the emulator's `kubeadm config validate` (kubeadm's field, kind and value checks) on
 * text as the kubeadm of `version` does; returns its exit status. */
static int validate_status(const char *text, const char *version)
{
        char path[] = "/tmp/kadm-render-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); "
                 "from pharos_emu import kubeadm_config as k; "
                 "k.validate(open(sys.argv[2]).read(), strict=True, version=sys.argv[3])' "
                 "'%s' '%s' '%s'",
                 EMULATORS_DIR, path, version);
        int rc = system(cmd);
        unlink(path);
        return rc;
}

static void validate(const char *text, const char *version)
{
        int rc = validate_status(text, version);
        if (rc != 0)
                fprintf(stderr, "rejected:\n%s\n", text);
        assert_int_equal(rc, 0);
}

/* The YAML value at a dotted path of document `kind`, through a real YAML parser. */
static void expect_yaml(const char *text, const char *kind, const char *expr, const char *want)
{
        char path[] = "/tmp/kadm-value-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        char cmd[2048];
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import sys, json, yaml; "
                 "d = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x[\"kind\"] == "
                 "sys.argv[2]][0]; "
                 "print(json.dumps(eval(sys.argv[3], {\"d\": d}), sort_keys=True))' '%s' '%s' '%s'",
                 path, kind, expr);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char got[2048] = "";
        size_t n = fread(got, 1, sizeof(got) - 1, p);
        got[n] = '\0';
        pclose(p);
        unlink(path);
        if (n && got[n - 1] == '\n')
                got[n - 1] = '\0';
        if (strcmp(got, want) != 0)
                fprintf(stderr, "%s %s: got %s, want %s\n", kind, expr, got, want);
        assert_string_equal(got, want);
}

static void test_v1beta4_every_option(void **unused)
{
        (void)unused;
        struct kadm_input in;
        char *t = render("1.31.0", 0, &in);
        validate(t, "1.31.0");
        assert_non_null(strstr(t, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration"));
        expect_yaml(t, "InitConfiguration", "d[\"localAPIEndpoint\"]",
                    "{\"advertiseAddress\": \"10.0.0.1\", \"bindPort\": 6443}");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"criSocket\"]",
                    "\"unix:///var/run/crio/crio.sock\"");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"name\"]", "\"node-1\"");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"taints\"]",
                    "[{\"effect\": \"NoSchedule\", \"key\": \"dedicated\", \"value\": "
                    "\"a-b.c\"}]");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"kubeletExtraArgs\"]",
                    "[{\"name\": \"node-ip\", \"value\": \"10.0.0.1\"}, "
                    "{\"name\": \"cloud-provider\", \"value\": \"external\"}, "
                    "{\"name\": \"max-pods\", \"value\": \"200\"}, "
                    "{\"name\": \"node-labels\", \"value\": \"x=\\\"y\\\": z\"}]");
        expect_yaml(t, "ClusterConfiguration", "d[\"kubernetesVersion\"]", "\"v1.31.0\"");
        expect_yaml(t, "ClusterConfiguration", "d[\"controlPlaneEndpoint\"]",
                    "\"api.example.com:6443\"");
        expect_yaml(t, "ClusterConfiguration", "d[\"imageRepository\"]",
                    "\"mirror.example.com/k8s\"");
        expect_yaml(t, "ClusterConfiguration", "d[\"networking\"]",
                    "{\"podSubnet\": \"10.200.0.0/16\", \"serviceSubnet\": \"10.100.0.0/16\"}");
        expect_yaml(t, "ClusterConfiguration", "d[\"apiServer\"][\"certSANs\"]",
                    "[\"api.example.com\", \"extra.example.com\", \"192.0.2.100\", "
                    "\"192.0.2.1\", \"10.0.0.1\", \"192.0.2.2\"]");
        expect_yaml(
                t, "ClusterConfiguration",
                "{a[\"name\"]: a[\"value\"] for a in d[\"apiServer\"][\"extraArgs\"]}",
                "{\"audit-log-maxage\": \"7\", \"audit-log-maxbackup\": \"3\", "
                "\"audit-log-maxsize\": \"50\", \"audit-log-path\": \"/var/log/kube/audit.json\", "
                "\"audit-policy-file\": \"/etc/kubernetes/pharos/audit-policy.yaml\", "
                "\"audit-webhook-config-file\": \"/etc/kubernetes/pharos/audit-webhook.yaml\", "
                "\"authentication-token-webhook-cache-ttl\": \"5m\", "
                "\"authentication-token-webhook-config-file\": "
                "\"/etc/kubernetes/pharos/token-webhook.yaml\", "
                "\"disable-admission-plugins\": \"AlwaysPullImages\", "
                "\"enable-admission-plugins\": "
                "\"NodeRestriction,NamespaceLifecycle,ServiceAccount,PodNodeSelector\", "
                "\"encryption-provider-config\": \"/etc/kubernetes/pharos/encryption.yaml\", "
                "\"feature-gates\": \"SidecarContainers=true\", "
                "\"oidc-client-id\": \"kube\", \"oidc-groups-claim\": \"groups\", "
                "\"oidc-groups-prefix\": \"oidc:\", "
                "\"oidc-issuer-url\": \"https://id.example.com\", "
                "\"oidc-username-claim\": \"email\", \"oidc-username-prefix\": \"oidc:\"}");
        expect_yaml(t, "ClusterConfiguration",
                    "[v[\"hostPath\"] for v in d[\"apiServer\"][\"extraVolumes\"]]",
                    "[\"/etc/kubernetes/pharos\", \"/var/log/kube\"]");
        expect_yaml(t, "ClusterConfiguration", "d[\"controllerManager\"][\"extraArgs\"]",
                    "[{\"name\": \"cloud-provider\", \"value\": \"external\"}, "
                    "{\"name\": \"feature-gates\", \"value\": \"SidecarContainers=true\"}]");
        expect_yaml(t, "ClusterConfiguration", "d[\"scheduler\"][\"extraArgs\"]",
                    "[{\"name\": \"feature-gates\", \"value\": \"SidecarContainers=true\"}]");
        expect_yaml(t, "ClusterConfiguration", "d[\"etcd\"][\"external\"][\"endpoints\"]",
                    "[\"https://etcd1.example.com:2379\", \"https://etcd2.example.com:2379\"]");
        expect_yaml(
                t, "KubeletConfiguration",
                "[d[k] for k in (\"cgroupDriver\", \"readOnlyPort\", \"cpuCFSQuota\", "
                "\"cpuCFSQuotaPeriod\", \"featureGates\", \"systemReserved\", \"kubeReserved\")]",
                "[\"systemd\", 10255, false, \"50ms\", {\"CustomCPUCFSQuotaPeriod\": true, "
                "\"Foo\": false, \"SidecarContainers\": true}, {\"cpu\": \"100m\", "
                "\"memory\": \"1Gi\"}, {\"cpu\": \"200m\"}]");
        expect_yaml(t, "KubeProxyConfiguration",
                    "[d[\"mode\"], d[\"clusterCIDR\"], d[\"conntrack\"]]",
                    "[\"ipvs\", \"10.200.0.0/16\", {\"maxPerCore\": 0, "
                    "\"tcpEstablishedTimeout\": \"24h\"}]");
        free(t);
}

/* The kubelet refuses a cpuCFSQuotaPeriod without its CustomCPUCFSQuotaPeriod gate before
 * 1.36 (alpha, off); from 1.36 the gate is GA and on. */
static void test_cpu_cfs_quota_period_gate(void **unused)
{
        (void)unused;
        struct kadm_input in;
        char *t = render("1.37.2", 0, &in);
        expect_yaml(t, "KubeletConfiguration", "sorted(d[\"featureGates\"])",
                    "[\"Foo\", \"SidecarContainers\"]");
        free(t);
        t = render("1.35.4", 0, &in);
        expect_yaml(t, "KubeletConfiguration", "d[\"featureGates\"][\"CustomCPUCFSQuotaPeriod\"]",
                    "true");
        free(t);
}

static void test_v1beta3_maps(void **unused)
{
        (void)unused;
        struct kadm_input in;
        char *t = render("1.30.14", 1, &in);
        validate(t, "1.30.14");
        assert_non_null(strstr(t, "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration"));
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"kubeletExtraArgs\"]",
                    "{\"cloud-provider\": \"external\", \"max-pods\": \"200\", "
                    "\"node-ip\": \"192.0.2.2\", \"node-labels\": \"x=\\\"y\\\": z\"}");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"criSocket\"]",
                    "\"unix:///var/run/cri-dockerd.sock\"");
        expect_yaml(t, "InitConfiguration", "\"taints\" in d[\"nodeRegistration\"]", "false");
        expect_yaml(t, "ClusterConfiguration", "d[\"controllerManager\"][\"extraArgs\"]",
                    "{\"cloud-provider\": \"external\", \"feature-gates\": "
                    "\"SidecarContainers=true\"}");
        free(t);
}

/* The defaults: containerd, first master as endpoint, the original's admission plugins. */
static void test_defaults(void **unused)
{
        (void)unused;
        struct cluster_config *cfg = load("hosts:\n  - {address: 192.0.2.7, role: master}\n"
                                          "  - {address: 192.0.2.8, role: worker}\n");
        struct kadm_input in;
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(1), "w-1", &in, why, sizeof(why)), 0);
        struct kbuf b = {0};
        kadm_render_kubeadm(&in, NULL, &b);
        validate(b.p, "1.37.2");
        expect_yaml(b.p, "ClusterConfiguration", "d[\"controlPlaneEndpoint\"]",
                    "\"192.0.2.7:6443\"");
        expect_yaml(b.p, "ClusterConfiguration", "d[\"networking\"]",
                    "{\"podSubnet\": \"10.32.0.0/12\", \"serviceSubnet\": \"10.96.0.0/12\"}");
        expect_yaml(b.p, "InitConfiguration", "d[\"nodeRegistration\"][\"criSocket\"]",
                    "\"unix:///run/containerd/containerd.sock\"");
        expect_yaml(b.p, "KubeletConfiguration",
                    "[d[\"readOnlyPort\"], d[\"cpuCFSQuota\"], "
                    "d[\"systemReserved\"], d[\"kubeReserved\"]]",
                    "[0, true, {\"cpu\": \"50m\", \"memory\": \"50Mi\"}, "
                    "{\"cpu\": \"100m\", \"memory\": \"200Mi\"}]");
        expect_yaml(b.p, "KubeProxyConfiguration", "d[\"mode\"]", "\"iptables\"");
        expect_yaml(b.p, "ClusterConfiguration",
                    "[a[\"value\"] for a in d[\"apiServer\"][\"extraArgs\"] "
                    "if a[\"name\"] == \"enable-admission-plugins\"]",
                    "[\"NodeRestriction,AlwaysPullImages,NamespaceLifecycle,ServiceAccount\"]");
        kb_free(&b);
        /* A join configuration for this worker, with the token quoted. */
        kadm_render_join(&in, "192.0.2.7:6443", "abcdef.0123456789abcdef", "sha256:00ff", NULL, &b);
        validate(b.p, "1.37.2");
        expect_yaml(b.p, "JoinConfiguration", "d[\"discovery\"][\"bootstrapToken\"]",
                    "{\"apiServerEndpoint\": \"192.0.2.7:6443\", \"caCertHashes\": "
                    "[\"sha256:00ff\"], \"token\": \"abcdef.0123456789abcdef\"}");
        expect_yaml(b.p, "JoinConfiguration", "\"controlPlane\" in d", "false");
        kb_free(&b);
        kadm_render_join(&in, "192.0.2.7:6443", "abcdef.0123456789abcdef", "sha256:00ff", KEY, &b);
        validate(b.p, "1.37.2");
        expect_yaml(b.p, "JoinConfiguration", "d[\"controlPlane\"]",
                    "{\"certificateKey\": \"" KEY "\", \"localAPIEndpoint\": "
                    "{\"advertiseAddress\": \"192.0.2.8\", \"bindPort\": 6443}}");
        kb_free(&b);
        /* kubeadm's ValidateCertificateKey: a hex AES-256 key, 32 bytes. */
        kadm_render_join(&in, "192.0.2.7:6443", "abcdef.0123456789abcdef", "sha256:00ff",
                         "00112233", &b);
        assert_int_not_equal(validate_status(b.p, "1.37.2"), 0);
        kb_free(&b);
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
}

/* The admission file's path for a cluster.yml, rendering its text into b (caller frees). */
static char *admission_for(const char *yml, struct kbuf *b, char **kubeadm_text)
{
        struct cluster_config *cfg = load(yml);
        struct kadm_input in;
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(0), "m-1", &in, why, sizeof(why)), 0);
        char *path = in.admission_path ? strdup(in.admission_path) : NULL;
        if (path)
                kadm_render_admission(&in, b);
        struct kbuf k = {0};
        kadm_render_kubeadm(&in, NULL, &k);
        *kubeadm_text = k.p;
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
        return path;
}

/* pod_security: an AdmissionConfiguration (kubernetes.io, "Enforce Pod Security Standards
 * by Configuring the Built-in Admission Controller") named by the API server's
 * --admission-control-config-file, in the directory its pharos-config volume mounts. */
static void test_pod_security(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        char *k = NULL;
        char *path = admission_for("hosts:\n  - {address: 192.0.2.7, role: master}\n"
                                   "pod_security:\n  enforce: baseline\n  audit: restricted\n"
                                   "  warn_version: v1.35\n"
                                   "  exemptions: {usernames: ['system:serviceaccount:a:b']}\n",
                                   &b, &k);
        validate(k, "1.37.2");
        assert_non_null(path);
        assert_int_equal(strncmp(path, "/etc/kubernetes/pharos/admission-", 33), 0);
        char want[300];
        snprintf(want, sizeof(want), "[\"%s\"]", path);
        expect_yaml(k, "ClusterConfiguration",
                    "[a[\"value\"] for a in d[\"apiServer\"][\"extraArgs\"] "
                    "if a[\"name\"] == \"admission-control-config-file\"]",
                    want);
        expect_yaml(k, "ClusterConfiguration",
                    "[v[\"hostPath\"] for v in d[\"apiServer\"][\"extraVolumes\"] "
                    "if v[\"hostPath\"] == \"/etc/kubernetes/pharos\"]",
                    "[\"/etc/kubernetes/pharos\"]");
        expect_yaml(b.p, "AdmissionConfiguration", "[d[\"apiVersion\"], d[\"plugins\"]]",
                    "[\"apiserver.config.k8s.io/v1\", [{\"configuration\": "
                    "{\"apiVersion\": \"pod-security.admission.config.k8s.io/v1\", "
                    "\"defaults\": {\"audit\": \"restricted\", \"audit-version\": \"latest\", "
                    "\"enforce\": \"baseline\", \"enforce-version\": \"latest\", "
                    "\"warn\": \"privileged\", \"warn-version\": \"v1.35\"}, "
                    "\"exemptions\": {\"namespaces\": [\"kube-system\"], \"runtimeClasses\": [], "
                    "\"usernames\": [\"system:serviceaccount:a:b\"]}, "
                    "\"kind\": \"PodSecurityConfiguration\"}, \"name\": \"PodSecurity\"}]]");
        kb_free(&b);
        free(k);
        /* The API server reads the file when it starts: another content, another name
         * (a changed flag, which restarts it); the same content, the same name. */
        char *again = admission_for("hosts:\n  - {address: 192.0.2.7, role: master}\n"
                                    "pod_security:\n  enforce: baseline\n  audit: restricted\n"
                                    "  warn_version: v1.35\n"
                                    "  exemptions: {usernames: ['system:serviceaccount:a:b']}\n",
                                    &b, &k);
        assert_string_equal(again, path);
        kb_free(&b);
        free(k);
        free(again);
        again = admission_for("hosts:\n  - {address: 192.0.2.7, role: master}\n"
                              "pod_security: {enforce: restricted}\n",
                              &b, &k);
        assert_string_not_equal(again, path);
        kb_free(&b);
        free(k);
        free(again);
        free(path);
        /* Without pod_security, Kubernetes' own defaults: no file, no flag. */
        assert_null(admission_for("hosts:\n  - {address: 192.0.2.7, role: master}\n", &b, &k));
        assert_null(strstr(k, "admission-control-config-file"));
        free(k);
}

/* kubeadm refuses --certificate-key next to --config: the copy of kubeadm.yaml given
 * to `kubeadm init` and its upload-certs phase carries the key, the kept one never. */
static void test_certificate_key_in_the_file(void **unused)
{
        (void)unused;
        struct cluster_config *cfg = load("hosts:\n  - {address: 192.0.2.7, role: master}\n");
        struct kadm_input in;
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(0), "m-1", &in, why, sizeof(why)), 0);
        struct kbuf b = {0};
        kadm_render_kubeadm(&in, KEY, &b);
        validate(b.p, "1.37.2");
        expect_yaml(b.p, "InitConfiguration", "d[\"certificateKey\"]", "\"" KEY "\"");
        kb_free(&b);
        kadm_render_kubeadm(&in, NULL, &b);
        expect_yaml(b.p, "InitConfiguration", "\"certificateKey\" in d", "false");
        kb_free(&b);
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
}

/* Renders host i of a two-host cluster.yml (master, worker) at `version` with the
 * given cgroup facts. */
static char *render_cgroups(const char *version, size_t i, int node_v1, int any_v1, int worker_up,
                            int join)
{
        char yml[512];
        snprintf(yml, sizeof(yml),
                 "hosts:\n  - {address: 192.0.2.7, role: master}\n"
                 "  - {address: 192.0.2.8, role: worker}\nkubernetes: {version: %s}\n",
                 version);
        struct cluster_config *cfg = load(yml);
        struct kadm_input in;
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(i), "n-1", &in, why, sizeof(why)), 0);
        assert_int_equal(kadm_input_cgroups(&in, node_v1, any_v1, worker_up), 0);
        struct kbuf b = {0};
        if (join)
                kadm_render_join(&in, "192.0.2.7:6443", "abcdef.0123456789abcdef", "sha256:00ff",
                                 NULL, &b);
        else
                kadm_render_kubeadm(&in, NULL, &b);
        assert_false(b.oom);
        validate(b.p, version);
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
        return b.p;
}

/* The kubelet refuses cgroup v1 from 1.35 on unless failCgroupV1 is false, and kubeadm's
 * SystemVerification fails there: both only where a host has cgroup v1. */
static void test_cgroup_v1(void **unused)
{
        (void)unused;
        assert_false(kadm_kubelet_fails_cgroup_v1("1.34.2"));
        assert_true(kadm_kubelet_fails_cgroup_v1("1.35.0"));
        assert_true(kadm_kubelet_fails_cgroup_v1("1.37.2"));
        char *t = render_cgroups("1.37.2", 0, 1, 1, 0, 0);
        expect_yaml(t, "KubeletConfiguration", "d[\"failCgroupV1\"]", "false");
        expect_yaml(t, "InitConfiguration", "d[\"nodeRegistration\"][\"ignorePreflightErrors\"]",
                    "[\"SystemVerification\"]");
        free(t);
        /* A cgroup v2 master of a cluster with a cgroup v1 worker: the kubelet configuration
         * is the cluster's, the preflight check stays. */
        t = render_cgroups("1.37.2", 0, 0, 1, 0, 0);
        expect_yaml(t, "KubeletConfiguration", "d[\"failCgroupV1\"]", "false");
        expect_yaml(t, "InitConfiguration", "\"ignorePreflightErrors\" in d[\"nodeRegistration\"]",
                    "false");
        free(t);
        t = render_cgroups("1.37.2", 0, 0, 0, 0, 0);
        expect_yaml(t, "KubeletConfiguration", "\"failCgroupV1\" in d", "false");
        free(t);
        /* Before 1.35 the kubelet runs there and kubeadm only warns. */
        t = render_cgroups("1.34.2", 0, 1, 1, 0, 0);
        expect_yaml(t, "KubeletConfiguration", "\"failCgroupV1\" in d", "false");
        expect_yaml(t, "InitConfiguration", "\"ignorePreflightErrors\" in d[\"nodeRegistration\"]",
                    "false");
        free(t);
        /* The worker joins: the check is skipped there; in `pharos worker up` its kubelet
         * is also told, since the cluster's kubelet configuration is not this run's. */
        t = render_cgroups("1.37.2", 1, 1, 1, 0, 1);
        expect_yaml(t, "JoinConfiguration", "d[\"nodeRegistration\"][\"ignorePreflightErrors\"]",
                    "[\"SystemVerification\"]");
        expect_yaml(t, "JoinConfiguration",
                    "[a for a in d[\"nodeRegistration\"][\"kubeletExtraArgs\"] "
                    "if a[\"name\"] == \"fail-cgroupv1\"]",
                    "[]");
        free(t);
        t = render_cgroups("1.37.2", 1, 1, 1, 1, 1);
        expect_yaml(t, "JoinConfiguration",
                    "[a for a in d[\"nodeRegistration\"][\"kubeletExtraArgs\"] "
                    "if a[\"name\"] == \"fail-cgroupv1\"]",
                    "[{\"name\": \"fail-cgroupv1\", \"value\": \"false\"}]");
        free(t);
}

/* cloud.config reaches the masters, 0600 like every copied file, for the
 * cloud-controller-manager the user deploys. */
static void test_cloud_config_copied(void **unused)
{
        (void)unused;
        char yml[4096];
        snprintf(yml, sizeof(yml), full_yml, "1.37.2");
        struct cluster_config *cfg = load(yml);
        struct kadm_input in;
        char why[200];
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(0), "Node-1", &in, why, sizeof(why)), 0);
        int copied = 0;
        for (size_t i = 0; i < in.n_copies; i++)
                copied |= strcmp(in.copies[i].local, "/etc/pharos-test/cloud.conf") == 0 &&
                          strcmp(in.copies[i].remote, KADM_DIR "/cloud-config") == 0;
        assert_true(copied);
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
}

static void test_unknown_runtime_fails(void **unused)
{
        (void)unused;
        struct cluster_config *cfg =
                load("hosts:\n  - {address: 192.0.2.7, role: master, container_runtime: rkt}\n");
        struct kadm_input in;
        char why[200];
        assert_int_equal(kadm_input_fill(&fake_host, tree, host_at(0), "m", &in, why, sizeof(why)),
                         -1);
        assert_non_null(strstr(why, "container_runtime 'rkt'"));
        cfg_free(cfg);
        tree = NULL;
}

static void test_encryption_key_round_trip(void **unused)
{
        (void)unused;
        char key[64];
        assert_int_equal(kadm_random_base64(32, key, sizeof(key)), 0);
        assert_int_equal(strlen(key), 44);
        struct kbuf b = {0};
        kadm_render_encryption(key, &b);
        char *back = kadm_parse_encryption_key(b.p);
        assert_non_null(back);
        assert_string_equal(back, key);
        free(back);
        expect_yaml(b.p, "EncryptionConfiguration",
                    "[list(p) for p in d[\"resources\"][0][\"providers\"]]",
                    "[[\"aescbc\"], [\"identity\"]]");
        kb_free(&b);
        assert_null(kadm_parse_encryption_key("secret: \"not base64!\"\n"));
}

static void test_versions_and_quoting(void **unused)
{
        (void)unused;
        assert_false(kadm_is_v1beta4("1.30.14"));
        assert_true(kadm_is_v1beta4("1.31.0"));
        assert_true(kadm_is_v1beta4("1.37.2"));
        char *q = kadm_shq("it's $HOME");
        assert_string_equal(q, "'it'\\''s $HOME'");
        free(q);
        char hex[80];
        assert_int_equal(kadm_random_hex(32, hex, sizeof(hex)), 0);
        assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
}

/* The kubelet's proxy drop-in: '%' is a systemd specifier, a line break a new setting. */
static void test_proxy_dropin_quoting(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        assert_int_equal(kadm_render_proxy_env(&b, "https_proxy", "http://u:p%40ss@proxy:3128"), 0);
        assert_string_equal(b.p, "Environment=\"https_proxy=http://u:p%%40ss@proxy:3128\"\n");
        kb_free(&b);
        assert_int_equal(kadm_render_proxy_env(&b, "no_proxy", "a\"b\\c"), 0);
        assert_string_equal(b.p, "Environment=\"no_proxy=a\\\"b\\\\c\"\n");
        kb_free(&b);
        assert_int_equal(kadm_render_proxy_env(&b, "http_proxy", "x\nExecStartPre=/bin/id"), -1);
        assert_int_equal(b.len, 0);
        kb_free(&b);
}

/* `pharos worker up`'s masters, each at the port it was given (IPv6 bracketed there,
 * HAProxy's last-colon form here); a port that is no port, or a host that cannot go into
 * the configuration unquoted, is refused. The image follows an image_repository of the
 * user's, and is Docker Hub's under kubeadm's default. */
static void test_api_proxy_given(void **unused)
{
        (void)unused;
        struct cluster_config *cfg = load("hosts:\n  - {address: 192.0.2.1, role: master}\n"
                                          "  - {address: 192.0.2.4, role: worker}\n"
                                          "image_repository: mirror.local:5000/k8s\n");
        struct kbuf conf = {0}, pod = {0};
        char why[200];
        assert_int_equal(kadm_render_api_proxy(&fake_host, tree,
                                               "10.0.0.1:7443 [2001:db8::3]:6443 m3.example:443",
                                               &conf, &pod, why, sizeof(why)),
                         0);
        assert_non_null(strstr(conf.p, "\tserver master-1 10.0.0.1:7443\n"
                                       "\tserver master-2 2001:db8::3:6443\n"
                                       "\tserver master-3 m3.example:443\n"));
        assert_null(strstr(conf.p, "192.0.2.1"));
        assert_non_null(strstr(pod.p, "    image: mirror.local:5000/k8s/haproxy:2.6\n"));
        kb_free(&conf);
        kb_free(&pod);
        const char *bad[] = {"10.0.0.1",     "10.0.0.1:", "10.0.0.1:0",    "10.0.0.1:65536",
                             "10.0.0.1:64x", "a$b:6443",  "[2001:db8::3]", ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why[0] = '\0';
                assert_int_equal(kadm_render_api_proxy(&fake_host, tree, bad[i], &conf, &pod, why,
                                                       sizeof(why)),
                                 -1);
                assert_true(why[0] != '\0');
                kb_free(&conf);
                kb_free(&pod);
        }
        cfg_free(cfg);

        char image[300];
        kadm_api_proxy_image("registry.k8s.io", image, sizeof(image));
        assert_string_equal(image, "docker.io/library/haproxy:2.6");
        kadm_api_proxy_image(NULL, image, sizeof(image));
        assert_string_equal(image, "docker.io/library/haproxy:2.6");
        kadm_api_proxy_image("registry.example/k8s", image, sizeof(image));
        assert_string_equal(image, "registry.example/k8s/haproxy:2.6");
}

/* The node-local API proxy: wanted with two masters or more and no api.endpoint; its
 * HAProxy configuration names every master's peer address, the emulator's parser (which
 * refuses what it does not know) takes it, and the API server certificate names 127.0.0.1. */
static void test_api_proxy(void **unused)
{
        (void)unused;
        struct cluster_config *cfg =
                load("hosts:\n  - {address: 192.0.2.1, private_address: 10.0.0.1, role: master}\n"
                     "  - {address: 192.0.2.2, role: master}\n"
                     "  - {address: 2001:db8::3, role: master}\n"
                     "  - {address: 192.0.2.4, role: worker}\n");
        assert_int_equal(kadm_api_proxy(&fake_host, tree), 1);
        struct kbuf conf = {0}, pod = {0};
        char why[200];
        assert_int_equal(
                kadm_render_api_proxy(&fake_host, tree, NULL, &conf, &pod, why, sizeof(why)), 0);
        assert_non_null(strstr(conf.p, "\tbind 127.0.0.1:6443\n"));
        assert_non_null(strstr(conf.p, "\tserver master-1 10.0.0.1:6443\n"
                                       "\tserver master-2 192.0.2.2:6443\n"
                                       "\tserver master-3 2001:db8::3:6443\n"));
        assert_null(strstr(conf.p, "192.0.2.4"));
        assert_non_null(strstr(pod.p, "    image: docker.io/library/haproxy:2.6\n"));
        assert_non_null(strstr(pod.p, "    hostPath: {path: /etc/kubernetes/pharos/api-proxy.cfg, "
                                      "type: File}\n"));
        assert_non_null(strstr(pod.p, "pharos.kontena.io/config-checksum: \""));

        char path[] = "/tmp/kadm-haproxy-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, conf.p, conf.len), (ssize_t)conf.len);
        close(fd);
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); "
                 "from pharos_emu import haproxy as h; "
                 "c = h.parse(open(sys.argv[2]).read()); "
                 "assert [s.addr for s in c[\"servers\"]] == [(\"10.0.0.1\", 6443), "
                 "(\"192.0.2.2\", 6443), (\"2001:db8::3\", 6443)], c; "
                 "assert all(s.check and s.tls and s.shutdown_on_down for s in c[\"servers\"]); "
                 "assert c[\"httpchk\"] and c[\"uri\"] == \"/readyz\"' '%s' '%s'",
                 EMULATORS_DIR, path);
        assert_int_equal(system(cmd), 0);
        unlink(path);

        /* The same configuration again: the checksum tells the kubelet nothing changed. */
        struct kbuf conf2 = {0}, pod2 = {0};
        assert_int_equal(
                kadm_render_api_proxy(&fake_host, tree, NULL, &conf2, &pod2, why, sizeof(why)), 0);
        assert_string_equal(pod.p, pod2.p);
        kb_free(&conf2);
        kb_free(&pod2);

        struct kadm_input in;
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(3), "w-1", &in, why, sizeof(why)), 0);
        struct kbuf b = {0};
        kadm_render_kubeadm(&in, NULL, &b);
        expect_yaml(b.p, "ClusterConfiguration", "\"127.0.0.1\" in d[\"apiServer\"][\"certSANs\"]",
                    "true");
        kb_free(&b);
        kadm_input_free(&in);
        kb_free(&conf);
        kb_free(&pod);
        cfg_free(cfg);

        /* A load balancer of the user's, or one master: no proxy, no such SAN. */
        cfg = load("hosts:\n  - {address: 192.0.2.1, role: master}\n"
                   "  - {address: 192.0.2.2, role: master}\n"
                   "  - {address: 192.0.2.4, role: worker}\n"
                   "api: {endpoint: api.example.com}\n");
        assert_int_equal(kadm_api_proxy(&fake_host, tree), 0);
        cfg_free(cfg);
        cfg = load("hosts:\n  - {address: 192.0.2.1, role: master}\n"
                   "  - {address: 192.0.2.4, role: worker}\n");
        assert_int_equal(kadm_api_proxy(&fake_host, tree), 0);
        assert_int_equal(
                kadm_input_fill(&fake_host, tree, host_at(1), "w-1", &in, why, sizeof(why)), 0);
        kadm_render_kubeadm(&in, NULL, &b);
        expect_yaml(b.p, "ClusterConfiguration",
                    "\"127.0.0.1\" in (d[\"apiServer\"].get(\"certSANs\") or [])", "false");
        kb_free(&b);
        kadm_input_free(&in);
        cfg_free(cfg);
        tree = NULL;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v1beta4_every_option),
                cmocka_unit_test(test_cpu_cfs_quota_period_gate),
                cmocka_unit_test(test_v1beta3_maps),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_pod_security),
                cmocka_unit_test(test_certificate_key_in_the_file),
                cmocka_unit_test(test_cgroup_v1),
                cmocka_unit_test(test_cloud_config_copied),
                cmocka_unit_test(test_unknown_runtime_fails),
                cmocka_unit_test(test_encryption_key_round_trip),
                cmocka_unit_test(test_versions_and_quoting),
                cmocka_unit_test(test_proxy_dropin_quoting),
                cmocka_unit_test(test_api_proxy),
                cmocka_unit_test(test_api_proxy_given),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
