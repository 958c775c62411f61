/* kubeconfig: reading admin.conf, rendering, merging into an existing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/json.h"
#include "kube/kubeconfig.h"
#include "kube/yaml_json.h"

/* base64 of "CA-PEM\n", "CERT-PEM\n", "KEY-PEM\n" */
static const char admin_conf[] = "apiVersion: v1\n"
                                 "clusters:\n"
                                 "- cluster:\n"
                                 "    certificate-authority-data: Q0EtUEVNCg==\n"
                                 "    server: https://127.0.0.11:6443\n"
                                 "  name: kubernetes\n"
                                 "contexts:\n"
                                 "- context:\n"
                                 "    cluster: kubernetes\n"
                                 "    user: kubernetes-admin\n"
                                 "  name: kubernetes-admin@kubernetes\n"
                                 "current-context: kubernetes-admin@kubernetes\n"
                                 "kind: Config\n"
                                 "preferences: {}\n"
                                 "users:\n"
                                 "- name: kubernetes-admin\n"
                                 "  user:\n"
                                 "    client-certificate-data: Q0VSVC1QRU0K\n"
                                 "    client-key-data: S0VZLVBFTQo=\n";

static void parse_admin_conf(void **s)
{
        (void)s;
        struct kubeconfig kc;
        struct pharos_error err = {0};
        assert_int_equal(kubeconfig_parse(admin_conf, "admin.conf", &kc, &err), 0);
        assert_string_equal(kc.server, "https://127.0.0.11:6443");
        assert_string_equal(kc.cluster, "kubernetes");
        assert_string_equal(kc.user, "kubernetes-admin");
        assert_string_equal(kc.ca_pem, "CA-PEM\n");
        assert_string_equal(kc.cert_pem, "CERT-PEM\n");
        assert_string_equal(kc.key_pem, "KEY-PEM\n");
        kubeconfig_free(&kc);
}

static void missing_parts(void **s)
{
        (void)s;
        struct kubeconfig kc;
        struct pharos_error err = {0};
        assert_int_equal(kubeconfig_parse("apiVersion: v1\nkind: Config\n", "x.conf", &kc, &err),
                         PERR_FAIL);
        assert_string_equal(err.msg, "x.conf: the current context has no server, embedded CA, "
                                     "client certificate or key");
}

static void render_round_trip(void **s)
{
        (void)s;
        struct kubeconfig kc = {.cluster = "prod",
                                .user = "prod-admin",
                                .context = "prod",
                                .server = "https://api.example.com:6443",
                                .ca_pem = "ca\n",
                                .cert_pem = "cert\n",
                                .key_pem = strdup("key\n")};
        char *yaml = kubeconfig_render(&kc);
        assert_non_null(yaml);
        struct kubeconfig back;
        struct pharos_error err = {0};
        assert_int_equal(kubeconfig_parse(yaml, "rendered", &back, &err), 0);
        assert_string_equal(back.server, "https://api.example.com:6443");
        assert_string_equal(back.context, "prod");
        assert_string_equal(back.key_pem, "key\n");
        kubeconfig_free(&back);
        free(yaml);
        free(kc.key_pem);
}

static void merge_keeps_other_entries(void **s)
{
        (void)s;
        struct kubeconfig kc = {.cluster = "kubernetes",
                                .user = "kubernetes-admin",
                                .context = "pharos",
                                .server = "https://10.0.0.1:6443",
                                .ca_pem = "new-ca\n",
                                .cert_pem = "c\n",
                                .key_pem = "k\n"};
        char *merged = NULL;
        struct pharos_error err = {0};
        assert_int_equal(kubeconfig_merge(admin_conf, "old", &kc, &merged, &err), 0);
        struct json_docs docs;
        assert_int_equal(yaml_to_json(merged, strlen(merged), "merged", &docs, &err), 0);
        char msg[64];
        yajl_val v = json_parse(docs.json[0], msg, sizeof(msg));
        /* The cluster and user of the same names are replaced, the old context kept. */
        assert_int_equal(json_get(v, "clusters")->u.array.len, 1);
        assert_int_equal(json_get(v, "users")->u.array.len, 1);
        assert_int_equal(json_get(v, "contexts")->u.array.len, 2);
        assert_string_equal(json_get_str(v, "current-context"), "pharos");
        yajl_tree_free(v);
        json_docs_free(&docs);
        struct kubeconfig back;
        assert_int_equal(kubeconfig_parse(merged, "merged", &back, &err), 0);
        assert_string_equal(back.server, "https://10.0.0.1:6443");
        assert_string_equal(back.ca_pem, "new-ca\n");
        kubeconfig_free(&back);
        free(merged);
        assert_int_equal(kubeconfig_merge("- just a list\n", "bad", &kc, &merged, &err),
                         PERR_USAGE);
        assert_string_equal(err.msg, "bad: not a kubeconfig file");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_admin_conf),
                cmocka_unit_test(missing_parts),
                cmocka_unit_test(render_round_trip),
                cmocka_unit_test(merge_keeps_other_entries),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
