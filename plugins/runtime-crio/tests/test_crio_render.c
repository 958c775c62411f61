/* Rendering of CRI-O's configuration drop-ins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crio_render.h"

static void conf_uses_systemd_and_pause(void **state)
{
        (void)state;
        struct rtc_buf b;
        rtc_buf_init(&b);
        crio_render_conf(&b, "registry.k8s.io/pause:3.10.1");
        assert_string_equal(b.s, "# Written by pharos: CRI-O for the kubelet.\n"
                                 "[crio.runtime]\n"
                                 "cgroup_manager = \"systemd\"\n\n"
                                 "[crio.image]\n"
                                 "pause_image = \"registry.k8s.io/pause:3.10.1\"\n");
        rtc_buf_free(&b);
}

static void registries_skip_networks(void **state)
{
        (void)state;
        struct rtc_registry regs[3];
        char why[200];
        assert_int_equal(rtc_registry_parse("registry.local:5000", &regs[0], why, 200), 0);
        assert_int_equal(rtc_registry_parse("10.0.0.0/8", &regs[1], why, 200), 0);
        assert_int_equal(rtc_registry_parse("https://r2.example", &regs[2], why, 200), 0);
        struct rtc_buf b;
        rtc_buf_init(&b);
        crio_render_registries(&b, regs, 3);
        assert_string_equal(b.s, "# Written by pharos from container_runtime.insecure_registries.\n"
                                 "\n[[registry]]\nlocation = \"registry.local:5000\"\n"
                                 "insecure = true\n"
                                 "\n[[registry]]\nlocation = \"r2.example\"\ninsecure = true\n");
        rtc_buf_free(&b);
        rtc_buf_init(&b);
        crio_render_registries(&b, regs + 1, 1);
        assert_int_equal(b.len, 0);
        rtc_buf_free(&b);
}

static void minor_follows_kubernetes(void **state)
{
        (void)state;
        char m[16];
        assert_int_equal(crio_minor("1.37.2", m, sizeof(m)), 0);
        assert_string_equal(m, "v1.37");
        assert_int_equal(crio_minor("v1.31.0", m, sizeof(m)), 0);
        assert_string_equal(m, "v1.31");
        assert_int_equal(crio_minor("latest", m, sizeof(m)), -1);
        assert_int_equal(crio_minor(NULL, m, sizeof(m)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(conf_uses_systemd_and_pause),
                cmocka_unit_test(registries_skip_networks),
                cmocka_unit_test(minor_follows_kubernetes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
