/* kubeadm plugin: kubeconfigs pointed at a moved control-plane endpoint
 * (kubeconfig_server.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kadm.h"

static const char *const kubelet_conf = "apiVersion: v1\n"
                                        "clusters:\n"
                                        "- cluster:\n"
                                        "    certificate-authority-data: LS0t\n"
                                        "    server: https://10.0.0.1:6443\n"
                                        "  name: default-cluster\n"
                                        "users:\n"
                                        "- name: default-auth\n"
                                        "  user:\n"
                                        "    client-certificate: /var/lib/kubelet/pki/x.pem\n";

static void rewrites_only_the_server_line(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        assert_int_equal(kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.3:6443", NULL, &b),
                         1);
        char *want = strdup(kubelet_conf);
        memcpy(strstr(want, "10.0.0.1"), "10.0.0.3", 8);
        assert_string_equal(b.p, want);
        free(want);
        kb_free(&b);
}

static void same_server_is_no_change(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        assert_int_equal(kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.1:6443", NULL, &b),
                         0);
        assert_string_equal(b.p, kubelet_conf);
        kb_free(&b);
        assert_int_equal(
                kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.1:6443", NULL, NULL), 0);
}

static void keeps_the_masters_own_server(void **unused)
{
        (void)unused;
        const char *const own[] = {"https://10.0.0.1:6443", NULL};
        const char *const other[] = {"https://10.0.0.2:6443", "https://10.0.0.4:6443", NULL};
        const char *const several[] = {"https://10.0.0.2:6443", "https://10.0.0.1:6443", NULL};
        assert_int_equal(kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.3:6443", own, NULL),
                         0);
        assert_int_equal(
                kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.3:6443", other, NULL), 1);
        assert_int_equal(
                kadm_kubeconfig_retarget(kubelet_conf, "https://10.0.0.3:6443", several, NULL), 0);
}

static void quoted_values_several_clusters_no_final_newline(void **unused)
{
        (void)unused;
        const char *text = "clusters:\n"
                           "- cluster:\n"
                           "    server: \"https://[fd00::1]:6443\"\r\n"
                           "- cluster: {}\n"
                           "  name: x\n"
                           "- server: 'https://lb:6443'\n"
                           "    server: https://lb:6443";
        struct kbuf b = {0};
        assert_int_equal(kadm_kubeconfig_retarget(text, "https://lb:6443", NULL, &b), 1);
        assert_string_equal(b.p, "clusters:\n"
                                 "- cluster:\n"
                                 "    server: https://lb:6443\n"
                                 "- cluster: {}\n"
                                 "  name: x\n"
                                 "- server: 'https://lb:6443'\n"
                                 "    server: https://lb:6443");
        kb_free(&b);
}

static void other_keys_are_not_servers(void **unused)
{
        (void)unused;
        const char *text = "    tls-server-name: a\n    serverx: b\n    # server: c\n";
        assert_int_equal(kadm_kubeconfig_retarget(text, "https://lb:6443", NULL, NULL), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(rewrites_only_the_server_line),
                cmocka_unit_test(same_server_is_no_change),
                cmocka_unit_test(keeps_the_masters_own_server),
                cmocka_unit_test(quoted_values_several_clusters_no_final_newline),
                cmocka_unit_test(other_keys_are_not_servers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
