/* The addon plugins' pure rendering: manifests parse back with the expected objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addon.h"
#include "cm_render.h"
#include "helm_render.h"
#include "hu_render.h"
#include "ingress_render.h"
#include "kube/json.h"
#include "kube/yaml_json.h"
#include "kured_render.h"
#include "metrics_render.h"

/* The documents of a rendered stack, parsed. */
struct docs {
        struct json_docs d;
        yajl_val *v;
};

static void parse(const char *yaml, struct docs *out)
{
        struct pharos_error err = {0};
        assert_non_null(yaml);
        if (yaml_to_json(yaml, strlen(yaml), "test", &out->d, &err) < 0)
                fail_msg("YAML does not parse: %s", err.msg);
        out->v = calloc(out->d.n ? out->d.n : 1, sizeof(*out->v));
        assert_non_null(out->v);
        for (size_t i = 0; i < out->d.n; i++) {
                char msg[128];
                out->v[i] = json_parse(out->d.json[i], msg, sizeof(msg));
                assert_non_null(out->v[i]);
        }
}

static void docs_free(struct docs *d)
{
        for (size_t i = 0; i < d->d.n; i++)
                yajl_tree_free(d->v[i]);
        free(d->v);
        json_docs_free(&d->d);
}

/* The object of that kind and name (NULL: none). */
static yajl_val find(const struct docs *d, const char *kind, const char *name)
{
        for (size_t i = 0; i < d->d.n; i++) {
                const char *k = json_get_str(d->v[i], "kind");
                const char *n = json_get_str(d->v[i], "metadata.name");
                if (k && n && !strcmp(k, kind) && !strcmp(n, name))
                        return d->v[i];
        }
        return NULL;
}

/* The JSON text of a value, for whole-value comparisons. */
static char *text(yajl_val v)
{
        char *s = json_canonical(v);
        assert_non_null(s);
        return s;
}

static void expect_json(yajl_val v, const char *want)
{
        char *got = text(v);
        assert_string_equal(got, want);
        free(got);
}

static void scalars_follow_the_yaml_core_schema(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
                {"42", "42"},     {"-7", "-7"},           {"0", "0"},         {"3.5", "3.5"},
                {"1e3", "1e3"},   {"true", "true"},       {"False", "false"}, {"~", "null"},
                {"null", "null"}, {"0123", "\"0123\""},   {"+1", "\"+1\""},   {"yes", "\"yes\""},
                {"1.", "\"1.\""}, {"a\"b", "\"a\\\"b\""}, {"", "\"\""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct abuf b;
                abuf_init(&b);
                abuf_json_scalar(&b, cases[i][0]);
                assert_true(b.ok);
                assert_string_equal(b.s, cases[i][1]);
                abuf_free(&b);
        }
        struct abuf b;
        abuf_init(&b);
        abuf_json_str(&b, "tab\there\nnl\x01");
        assert_string_equal(b.s, "\"tab\\there\\nnl\\u0001\"");
        abuf_free(&b);
}

static void templates_substitute_known_names_only(void **state)
{
        (void)state;
        const struct addon_var vars[] = {{"A", "1"}, {"LONG_NAME", "[x]"}};
        char bad[32] = "";
        char *out = addon_render("a: ${A}\nb: ${LONG_NAME} ${A}\n", vars, 2, bad, sizeof(bad));
        assert_string_equal(out, "a: 1\nb: [x] 1\n");
        free(out);
        assert_null(addon_render("c: ${NOPE}\n", vars, 2, bad, sizeof(bad)));
        assert_string_equal(bad, "NOPE");
        assert_null(addon_render("c: ${A\n", vars, 2, bad, sizeof(bad)));
}

static void metrics_server_objects_and_args(void **state)
{
        (void)state;
        const char *extra[] = {"--v=2"};
        const struct metrics_opts o = {.image = "reg.example/ms:1 \"x\"",
                                       .replicas = 2,
                                       .kubelet_insecure_tls = 1,
                                       .extra_args = extra,
                                       .n_extra_args = 1};
        char bad[64];
        struct docs d;
        char *yaml = metrics_render(&o, bad, sizeof(bad));
        parse(yaml, &d);
        assert_int_equal(d.d.n, 9);
        yajl_val dep = find(&d, "Deployment", "metrics-server");
        assert_non_null(dep);
        assert_string_equal(json_get_str(dep, "metadata.namespace"), "kube-system");
        expect_json(json_get(dep, "spec.replicas"), "2");
        yajl_val c = json_get(dep, "spec.template.spec.containers")->u.array.values[0];
        assert_string_equal(json_get_str(c, "image"), "reg.example/ms:1 \"x\"");
        expect_json(json_get(c, "args"),
                    "[\"--cert-dir=/tmp\",\"--secure-port=10250\",\"--kubelet-preferred-address-"
                    "types=InternalIP,ExternalIP,Hostname\",\"--kubelet-use-node-status-port\","
                    "\"--metric-resolution=15s\",\"--kubelet-insecure-tls\",\"--v=2\"]");
        assert_non_null(find(&d, "APIService", "v1beta1.metrics.k8s.io"));
        docs_free(&d);
        free(yaml);

        const struct metrics_opts strict = {.kubelet_insecure_tls = 0};
        yaml = metrics_render(&strict, bad, sizeof(bad));
        assert_null(strstr(yaml, "insecure-tls"));
        assert_non_null(strstr(yaml, METRICS_IMAGE));
        free(yaml);
}

static void kured_args_from_options(void **state)
{
        (void)state;
        const char *days[] = {"mo", "fr"};
        const struct kured_opts o = {.period = "30m",
                                     .start_time = "1am",
                                     .end_time = "4am",
                                     .time_zone = "Europe/Helsinki",
                                     .reboot_days = days,
                                     .n_reboot_days = 2};
        char bad[64];
        struct docs d;
        char *yaml = kured_render(&o, bad, sizeof(bad));
        parse(yaml, &d);
        assert_int_equal(d.d.n, 6);
        yajl_val ds = find(&d, "DaemonSet", "kured");
        assert_non_null(ds);
        yajl_val c = json_get(ds, "spec.template.spec.containers")->u.array.values[0];
        assert_string_equal(json_get_str(c, "image"), KURED_IMAGE);
        expect_json(json_get(c, "args"),
                    "[\"--reboot-sentinel=/var/run/reboot-required\",\"--period=30m\","
                    "\"--start-time=1am\",\"--end-time=4am\",\"--time-zone=Europe/Helsinki\","
                    "\"--reboot-days=mo,fr\"]");
        docs_free(&d);
        free(yaml);
}

static void ingress_as_daemonset_takes_host_ports(void **state)
{
        (void)state;
        const struct ingress_opts o = {.kind = "DaemonSet"};
        char bad[64];
        struct docs d;
        char *yaml = ingress_render(&o, bad, sizeof(bad));
        parse(yaml, &d);
        assert_int_equal(d.d.n, 10);
        assert_null(find(&d, "Deployment", "ingress-nginx-controller"));
        yajl_val ds = find(&d, "DaemonSet", "ingress-nginx-controller");
        assert_non_null(ds);
        assert_null(json_get(ds, "spec.replicas"));
        yajl_val c = json_get(ds, "spec.template.spec.containers")->u.array.values[0];
        expect_json(
                json_get(c, "ports"),
                "[{\"containerPort\":80,\"hostPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"},"
                "{\"containerPort\":443,\"hostPort\":443,\"name\":\"https\",\"protocol\":"
                "\"TCP\"}]");
        expect_json(json_get(ds, "spec.template.spec.nodeSelector"),
                    "{\"kubernetes.io/os\":\"linux\"}");
        expect_json(json_get(ds, "spec.template.spec.tolerations"), "[]");
        expect_json(json_get(ds, "spec.template.spec.volumes"), "[]");
        assert_null(find(&d, "ValidatingWebhookConfiguration", "ingress-nginx-admission"));
        expect_json(json_get(find(&d, "ConfigMap", "ingress-nginx-controller"), "data"), "{}");
        assert_string_equal(json_get_str(find(&d, "Service", "ingress-nginx-controller"),
                                         "spec.externalTrafficPolicy"),
                            "Cluster");
        assert_non_null(find(&d, "IngressClass", "nginx"));
        assert_null(strstr(yaml, "default-http-backend"));
        docs_free(&d);
        free(yaml);
}

static void ingress_as_deployment_with_every_option(void **state)
{
        (void)state;
        const struct ingress_kv cm[] = {{"use-proxy-protocol", "true"}, {"x", "a\"b: c"}};
        const struct ingress_kv sel[] = {{"kubernetes.io/os", "windows"}, {"disk", "ssd"}};
        const char *extra[] = {"--enable-ssl-passthrough"};
        const struct ingress_opts o = {
                .kind = "Deployment",
                .replicas = 3,
                .external_traffic_policy = "Local",
                .configmap = cm,
                .n_configmap = 2,
                .node_selector = sel,
                .n_node_selector = 2,
                .tolerations = "[{\"key\": \"k\", \"operator\": \"Exists\"}]",
                .default_backend_image = "reg/backend:1",
                .extra_args = extra,
                .n_extra_args = 1,
                .admission_webhook = 1,
        };
        char bad[64];
        struct docs d;
        char *yaml = ingress_render(&o, bad, sizeof(bad));
        parse(yaml, &d);
        assert_int_equal(d.d.n, 16);
        yajl_val dep = find(&d, "Deployment", "ingress-nginx-controller");
        assert_non_null(dep);
        expect_json(json_get(dep, "spec.replicas"), "3");
        yajl_val c = json_get(dep, "spec.template.spec.containers")->u.array.values[0];
        char *ports = text(json_get(c, "ports"));
        assert_null(strstr(ports, "hostPort"));
        free(ports);
        expect_json(json_get(c, "args"),
                    "[\"/nginx-ingress-controller\",\"--election-id=ingress-nginx-leader\","
                    "\"--controller-class=k8s.io/ingress-nginx\",\"--ingress-class=nginx\","
                    "\"--configmap=$(POD_NAMESPACE)/ingress-nginx-controller\","
                    "\"--default-backend-service=$(POD_NAMESPACE)/default-http-backend\","
                    "\"--validating-webhook=:8443\",\"--validating-webhook-certificate=/usr/"
                    "local/certificates/cert\",\"--validating-webhook-key=/usr/local/"
                    "certificates/key\",\"--enable-ssl-passthrough\"]");
        expect_json(json_get(c, "volumeMounts"),
                    "[{\"mountPath\":\"/usr/local/certificates/\",\"name\":\"webhook-cert\","
                    "\"readOnly\":true}]");
        expect_json(json_get(dep, "spec.template.spec.volumes"),
                    "[{\"name\":\"webhook-cert\",\"secret\":{\"items\":[{\"key\":\"tls.crt\","
                    "\"path\":\"cert\"},{\"key\":\"tls.key\",\"path\":\"key\"}],"
                    "\"secretName\":\"ingress-nginx-admission\"}}]");
        /* The webhook's certificate: cert-manager issues it, cainjector fills the CA in. */
        yajl_val cert = find(&d, "Certificate", "ingress-nginx-admission");
        assert_string_equal(json_get_str(cert, "spec.secretName"), "ingress-nginx-admission");
        assert_non_null(find(&d, "Issuer", "ingress-nginx-selfsigned"));
        assert_non_null(find(&d, "Service", "ingress-nginx-controller-admission"));
        assert_non_null(find(&d, "ValidatingWebhookConfiguration", "ingress-nginx-admission"));
        /* The user's kubernetes.io/os wins over the default, without a duplicate key. */
        expect_json(json_get(dep, "spec.template.spec.nodeSelector"),
                    "{\"disk\":\"ssd\",\"kubernetes.io/os\":\"windows\"}");
        expect_json(json_get(dep, "spec.template.spec.tolerations"),
                    "[{\"key\":\"k\",\"operator\":\"Exists\"}]");
        expect_json(json_get(find(&d, "ConfigMap", "ingress-nginx-controller"), "data"),
                    "{\"use-proxy-protocol\":\"true\",\"x\":\"a\\\"b: c\"}");
        assert_string_equal(json_get_str(find(&d, "Service", "ingress-nginx-controller"),
                                         "spec.externalTrafficPolicy"),
                            "Local");
        yajl_val be = find(&d, "Deployment", "default-http-backend");
        assert_non_null(be);
        assert_string_equal(
                json_get_str(json_get(be, "spec.template.spec.containers")->u.array.values[0],
                             "image"),
                "reg/backend:1");
        assert_non_null(find(&d, "Service", "default-http-backend"));
        docs_free(&d);
        free(yaml);
}

static void cert_manager_components_and_crds(void **state)
{
        (void)state;
        const char *extra[] = {"--dns01-recursive-nameservers-only"};
        const struct cm_opts o = {.repository = "registry.local:5000/jetstack",
                                  .extra_args = extra,
                                  .n_extra_args = 1};
        char bad[64];
        struct docs d;
        char *yaml = cm_render(&o, bad, sizeof(bad));
        parse(yaml, &d);
        static const char *const crds[] = {
                "certificates.cert-manager.io", "certificaterequests.cert-manager.io",
                "issuers.cert-manager.io",      "clusterissuers.cert-manager.io",
                "orders.acme.cert-manager.io",  "challenges.acme.cert-manager.io",
        };
        for (size_t i = 0; i < 6; i++) {
                yajl_val crd = find(&d, "CustomResourceDefinition", crds[i]);
                assert_non_null(crd);
                /* The API server wants plural.group as the name. */
                char name[128];
                snprintf(name, sizeof(name), "%s.%s", json_get_str(crd, "spec.names.plural"),
                         json_get_str(crd, "spec.group"));
                assert_string_equal(name, crds[i]);
                /* CRDs first: the stack waits for their kinds only after seeing them. */
                assert_string_equal(json_get_str(d.v[i], "kind"), "CustomResourceDefinition");
        }
        assert_string_equal(
                json_get_str(find(&d, "CustomResourceDefinition", "clusterissuers.cert-manager.io"),
                             "spec.scope"),
                "Cluster");
        yajl_val dep = find(&d, "Deployment", "cert-manager");
        yajl_val c = json_get(dep, "spec.template.spec.containers")->u.array.values[0];
        assert_string_equal(json_get_str(c, "image"),
                            "registry.local:5000/jetstack/cert-manager-controller:" CM_VERSION);
        expect_json(
                json_get(c, "args"),
                "[\"--v=2\",\"--cluster-resource-namespace=$(POD_NAMESPACE)\","
                "\"--leader-election-namespace=kube-system\",\"--max-concurrent-challenges=60\","
                "\"--acme-http01-solver-image=registry.local:5000/jetstack/cert-manager-"
                "acmesolver:" CM_VERSION "\",\"--dns01-recursive-nameservers-only\"]");
        assert_non_null(find(&d, "Deployment", "cert-manager-webhook"));
        assert_non_null(find(&d, "Deployment", "cert-manager-cainjector"));
        assert_non_null(find(&d, "ValidatingWebhookConfiguration", "cert-manager-webhook"));
        docs_free(&d);
        free(yaml);

        const struct cm_opts evil = {.repository = "x\ny: z"};
        assert_null(cm_render(&evil, bad, sizeof(bad)));
        assert_string_equal(bad, "repository");
}

static void cert_manager_issuers(void **state)
{
        (void)state;
        char *none = cm_render_issuers(NULL, 0, NULL);
        assert_string_equal(none, "");
        free(none);
        const struct cm_issuer is[] = {
                {.name = "le", .kind = "ClusterIssuer", .spec = "{\"acme\": {\"email\": \"a@b\"}}"},
                {.name = "team",
                 .kind = "Issuer",
                 .namespace = "apps",
                 .spec = "{\"selfSigned\": {}}"},
        };
        struct docs d;
        char *yaml = cm_render_issuers(is, 2, "my-ca");
        parse(yaml, &d);
        assert_int_equal(d.d.n, 5);
        yajl_val le = find(&d, "ClusterIssuer", "le");
        assert_null(json_get(le, "metadata.namespace"));
        assert_string_equal(json_get_str(le, "spec.acme.email"), "a@b");
        assert_string_equal(json_get_str(find(&d, "Issuer", "team"), "metadata.namespace"), "apps");
        yajl_val root = find(&d, "Certificate", "my-ca");
        assert_string_equal(json_get_str(root, "metadata.namespace"), "cert-manager");
        expect_json(json_get(root, "spec.isCA"), "true");
        assert_string_equal(json_get_str(root, "spec.issuerRef.name"), "pharos-selfsigned");
        assert_string_equal(json_get_str(find(&d, "ClusterIssuer", "my-ca"), "spec.ca.secretName"),
                            "my-ca");
        assert_non_null(find(&d, "ClusterIssuer", "pharos-selfsigned"));
        docs_free(&d);
        free(yaml);
}

static void helm_controller_and_charts(void **state)
{
        (void)state;
        char bad[64];
        struct docs d;
        char *yaml = helm_render_controller(NULL, "reg/klipper:1", bad, sizeof(bad));
        parse(yaml, &d);
        assert_non_null(find(&d, "CustomResourceDefinition", "helmcharts.helm.cattle.io"));
        yajl_val dep = find(&d, "Deployment", "helm-controller");
        yajl_val c = json_get(dep, "spec.template.spec.containers")->u.array.values[0];
        assert_string_equal(json_get_str(c, "image"), HELM_CONTROLLER_IMAGE);
        expect_json(json_get(c, "args"),
                    "[\"--namespace\",\"kube-system\",\"--default-job-image\",\"reg/klipper:1\"]");
        docs_free(&d);
        free(yaml);

        char *none = helm_render_charts(NULL, 0);
        assert_string_equal(none, "");
        free(none);
        const struct helm_kv set[] = {{"service.type", "NodePort"}, {"replicas", "2"}};
        const struct helm_chart charts[] = {
                {.name = "bitnami/Redis_HA",
                 .repo = "https://charts.example/x",
                 .version = "1.2.3",
                 .namespace = "data",
                 .values = "{\"a\": {\"b\": 1}}",
                 .set = set,
                 .n_set = 2},
                {.name = "oci://ghcr.io/x/podinfo", .release = "web"},
        };
        char rel[64];
        helm_release_name(&charts[0], rel, sizeof(rel));
        assert_string_equal(rel, "redis-ha");
        yaml = helm_render_charts(charts, 2);
        parse(yaml, &d);
        assert_int_equal(d.d.n, 2);
        yajl_val hc = find(&d, "HelmChart", "redis-ha");
        assert_string_equal(json_get_str(hc, "metadata.namespace"), "kube-system");
        expect_json(json_get(hc, "spec"),
                    "{\"chart\":\"bitnami/Redis_HA\",\"createNamespace\":true,\"repo\":"
                    "\"https://charts.example/x\",\"set\":{\"replicas\":\"2\",\"service.type\":"
                    "\"NodePort\"},\"targetNamespace\":\"data\",\"valuesContent\":\"{\\\"a\\\": "
                    "{\\\"b\\\": 1}}\",\"version\":\"1.2.3\"}");
        yajl_val web = find(&d, "HelmChart", "web");
        expect_json(json_get(web, "spec"),
                    "{\"chart\":\"oci://ghcr.io/x/podinfo\",\"createNamespace\":true,"
                    "\"targetNamespace\":\"default\"}");
        docs_free(&d);
        free(yaml);
}

static void cron_schedules_become_calendars(void **state)
{
        (void)state;
        static const char *const ok[][2] = {
                {"0 3 * * *", "*-*-* 03:00:00"},
                {"30 4 * * 1-5", "Mon,Tue,Wed,Thu,Fri *-*-* 04:30:00"},
                {"*/15 * * * *", "*-*-* *:00/15:00"},
                {"0 0 1,15 * *", "*-*-01,15 00:00:00"},
                {"5 1-10/3 * jan,Jul sun", "Sun *-01,07-* 01,04,07,10:05:00"},
                {"0 2 * * 7", "Sun *-*-* 02:00:00"},
                {"0 2 * * 0,6", "Sun,Sat *-*-* 02:00:00"},
                {"@weekly", "weekly"},
                {"0 2 */2 * *", "*-*-01/2 02:00:00"},
        };
        char out[256], why[256];
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                if (hu_calendar(ok[i][0], out, sizeof(out), why, sizeof(why)) < 0)
                        fail_msg("'%s' refused: %s", ok[i][0], why);
                assert_string_equal(out, ok[i][1]);
        }
        static const char *const bad[] = {"0 3 * *",     "60 3 * * *", "0 24 * * *", "0 3 0 * *",
                                          "0 3 * 13 *",  "0 3 1 * 1",  "x 3 * * *",  "0 3 * * */2",
                                          "5-1 * * * *", "0 3 * * * *"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(hu_calendar(bad[i], out, sizeof(out), why, sizeof(why)), -1);
        hu_calendar("0 3 1 * 1", out, sizeof(out), why, sizeof(why));
        assert_non_null(strstr(why, "either"));
}

static void windows_become_seconds(void **state)
{
        (void)state;
        static const char *const ok[][2] = {
                {"0", "0s"},     {"90", "90s"},      {"45s", "45s"},   {"30m", "1800s"},
                {"2h", "7200s"}, {"1h30m", "5400s"}, {"1d", "86400s"},
        };
        char out[32];
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                assert_int_equal(hu_window(ok[i][0], out, sizeof(out)), 0);
                assert_string_equal(out, ok[i][1]);
        }
        static const char *const bad[] = {"", "1x", "h", "1h 30m", "-5", "400d", "30m5"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(hu_window(bad[i], out, sizeof(out)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(scalars_follow_the_yaml_core_schema),
                cmocka_unit_test(templates_substitute_known_names_only),
                cmocka_unit_test(metrics_server_objects_and_args),
                cmocka_unit_test(kured_args_from_options),
                cmocka_unit_test(ingress_as_daemonset_takes_host_ports),
                cmocka_unit_test(ingress_as_deployment_with_every_option),
                cmocka_unit_test(cert_manager_components_and_crds),
                cmocka_unit_test(cert_manager_issuers),
                cmocka_unit_test(helm_controller_and_charts),
                cmocka_unit_test(cron_schedules_become_calendars),
                cmocka_unit_test(windows_become_seconds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
