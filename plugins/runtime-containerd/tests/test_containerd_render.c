/* Rendering of containerd's files and the runtime plugins' shared text helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "containerd_render.h"

static void config_has_systemd_cgroup_and_sandbox(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        ctd_render_config(&b, "registry.k8s.io/pause:3.10.1", 0);
        assert_true(b.ok);
        assert_null(strstr(b.s, "restrict_oom_score_adj"));
        assert_non_null(strstr(b.s, "version = 2\n"));
        assert_non_null(strstr(b.s, "        SystemdCgroup = true\n"));
        assert_non_null(strstr(b.s, "  sandbox_image = \"registry.k8s.io/pause:3.10.1\"\n"));
        assert_non_null(strstr(b.s, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes"
                                    ".runc.options]\n"));
        assert_non_null(strstr(b.s, "config_path = \"/etc/containerd/certs.d\"\n"));
        assert_null(strstr(b.s, "disabled_plugins"));
        rtc_buf_free(&b);
}

static void config_quotes_the_image(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        ctd_render_config(&b, "reg\"x\\/pause:1", 0);
        assert_non_null(strstr(b.s, "sandbox_image = \"reg\\\"x\\\\/pause:1\"\n"));
        rtc_buf_free(&b);
}

/* A host without CAP_SYS_RESOURCE: the key sits in the CRI plugin's table. */
static void config_restricts_oom_score_adj(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        ctd_render_config(&b, "registry.k8s.io/pause:3.10.2", 1);
        const char *cri = strstr(b.s, "[plugins.\"io.containerd.grpc.v1.cri\"]\n");
        const char *key = strstr(b.s, "\n  restrict_oom_score_adj = true\n");
        const char *next = strstr(b.s, "[plugins.\"io.containerd.grpc.v1.cri\".containerd]");
        assert_non_null(cri);
        assert_non_null(key);
        assert_non_null(next);
        assert_true(cri < key && key < next);
        rtc_buf_free(&b);
}

static void hosts_without_scheme_tries_https_then_http(void **state)
{
        (void)state;
        struct rtc_registry r;
        char why[200];
        assert_int_equal(rtc_registry_parse("registry.local:5000", &r, why, sizeof(why)), 0);
        struct rtc_buf b;
        rtc_buf_init(&b);
        ctd_render_hosts(&b, &r);
        assert_string_equal(b.s, CTD_HOSTS_MARKER
                            "\n"
                            "server = \"https://registry.local:5000\"\n"
                            "\n[host.\"https://registry.local:5000\"]\n"
                            "  capabilities = [\"pull\", \"resolve\", \"push\"]\n"
                            "  skip_verify = true\n"
                            "\n[host.\"http://registry.local:5000\"]\n"
                            "  capabilities = [\"pull\", \"resolve\", \"push\"]\n");
        rtc_buf_free(&b);
}

static void hosts_with_scheme_uses_only_it(void **state)
{
        (void)state;
        struct rtc_registry r;
        char why[200];
        assert_int_equal(rtc_registry_parse("http://10.0.0.5:5000/", &r, why, sizeof(why)), 0);
        assert_string_equal(r.scheme, "http");
        assert_string_equal(r.host, "10.0.0.5:5000");
        struct rtc_buf b;
        rtc_buf_init(&b);
        ctd_render_hosts(&b, &r);
        assert_non_null(strstr(b.s, "server = \"http://10.0.0.5:5000\"\n"));
        assert_null(strstr(b.s, "https://"));
        rtc_buf_free(&b);
}

static void registry_names_are_checked(void **state)
{
        (void)state;
        struct rtc_registry r;
        char why[200];
        assert_int_equal(rtc_registry_parse("10.0.0.0/8", &r, why, sizeof(why)), 0);
        assert_true(r.is_cidr);
        assert_int_equal(rtc_registry_parse("../../etc", &r, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "is not a registry"));
        assert_int_equal(rtc_registry_parse("a b", &r, why, sizeof(why)), -1);
        assert_int_equal(rtc_registry_parse("reg/path", &r, why, sizeof(why)), -1);
        assert_int_equal(rtc_registry_parse("", &r, why, sizeof(why)), -1);
        assert_int_equal(rtc_registry_parse("x'y", &r, why, sizeof(why)), -1);
}

static void proxy_dropin_escapes_for_systemd(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        rtc_render_proxy_dropin(&b, "http://u:p%40\"x@proxy:3128", NULL, "localhost,10.0.0.0/8");
        assert_string_equal(b.s, "# Written by pharos from the host's environment in cluster.yml.\n"
                                 "[Service]\n"
                                 "Environment=\"HTTP_PROXY=http://u:p%%40\\\"x@proxy:3128\"\n"
                                 "Environment=\"NO_PROXY=localhost,10.0.0.0/8\"\n");
        rtc_buf_free(&b);
        rtc_buf_init(&b);
        rtc_render_proxy_dropin(&b, NULL, "", NULL);
        assert_int_equal(b.len, 0);
        rtc_buf_free(&b);
}

static void pause_image_follows_kubeadm(void **state)
{
        (void)state;
        char img[200];
        rtc_pause_image(NULL, "1.37.2", img, sizeof(img));
        assert_string_equal(img, "registry.k8s.io/pause:3.10.2");
        rtc_pause_image(NULL, "1.36.3", img, sizeof(img));
        assert_string_equal(img, "registry.k8s.io/pause:3.10.2");
        rtc_pause_image(NULL, "1.35.4", img, sizeof(img));
        assert_string_equal(img, "registry.k8s.io/pause:3.10.1");
        rtc_pause_image(NULL, "1.34.2", img, sizeof(img));
        assert_string_equal(img, "registry.k8s.io/pause:3.10.1");
        rtc_pause_image("my.reg/k8s", "v1.31.0", img, sizeof(img));
        assert_string_equal(img, "my.reg/k8s/pause:3.10");
        rtc_pause_image("", "1.30.14", img, sizeof(img));
        assert_string_equal(img, "registry.k8s.io/pause:3.9");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(config_has_systemd_cgroup_and_sandbox),
                cmocka_unit_test(config_quotes_the_image),
                cmocka_unit_test(config_restricts_oom_score_adj),
                cmocka_unit_test(hosts_without_scheme_tries_https_then_http),
                cmocka_unit_test(hosts_with_scheme_uses_only_it),
                cmocka_unit_test(registry_names_are_checked),
                cmocka_unit_test(proxy_dropin_escapes_for_systemd),
                cmocka_unit_test(pause_image_follows_kubeadm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
