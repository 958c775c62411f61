/* Rendering of Docker's daemon.json and cri-dockerd's units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "docker_render.h"

static void daemon_json_with_registries(void **state)
{
        (void)state;
        const char *regs[] = {"registry.local:5000", "10.0.0.0/8"};
        struct rtc_buf b;
        rtc_buf_init(&b);
        dkr_render_daemon_json(&b, regs, 2);
        assert_string_equal(b.s, "{\n"
                                 "  \"exec-opts\": [\"native.cgroupdriver=systemd\"],\n"
                                 "  \"log-driver\": \"json-file\",\n"
                                 "  \"log-opts\": {\"max-size\": \"20m\", \"max-file\": \"3\"},\n"
                                 "  \"storage-driver\": \"overlay2\",\n"
                                 "  \"insecure-registries\": [\"registry.local:5000\", "
                                 "\"10.0.0.0/8\"]\n"
                                 "}\n");
        rtc_buf_free(&b);
        rtc_buf_init(&b);
        dkr_render_daemon_json(&b, NULL, 0);
        assert_non_null(strstr(b.s, "\"insecure-registries\": []\n"));
        rtc_buf_free(&b);
}

static void cri_units(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        assert_int_equal(dkr_render_cri_service(&b, "registry.k8s.io/pause:3.10.1"), 0);
        assert_non_null(strstr(b.s,
                               "ExecStart=/usr/local/bin/cri-dockerd --container-runtime-"
                               "endpoint fd:// --network-plugin=cni "
                               "\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n"));
        assert_non_null(strstr(b.s, "Requires=cri-docker.socket\n"));
        rtc_buf_free(&b);
        rtc_buf_init(&b);
        dkr_render_cri_socket(&b);
        /* %t is systemd's runtime directory: the socket is /run/cri-dockerd.sock. */
        assert_non_null(strstr(b.s, "ListenStream=%t/cri-dockerd.sock\n"));
        rtc_buf_free(&b);
}

/* A value that reaches ExecStart= must stay one argument of that one line. */
static void cri_service_hostile_image(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        assert_int_equal(
                dkr_render_cri_service(&b, "r.example\nExecStartPre=/bin/sh -c id/pause:3"), -1);
        assert_int_equal(b.len, 0);
        assert_int_equal(dkr_render_cri_service(&b, "r.example/%h/$HOME \"x\\/pause:3"), 0);
        assert_non_null(strstr(b.s, " \"--pod-infra-container-image=r.example/%%h/$$HOME "
                                    "\\\"x\\\\/pause:3\"\n"));
        assert_null(strstr(b.s, "ExecStartPre"));
        rtc_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(daemon_json_with_registries),
                cmocka_unit_test(cri_units),
                cmocka_unit_test(cri_service_hostile_image),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
