/* How cluster.yml host entries become transport targets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ssh/target_cfg.h"

static void plain_host(void **s)
{
        (void)s;
        struct cfg_host h = {
                .address = "10.0.0.1", .user = "ubuntu", .ssh_key_path = "/k", .ssh_port = 2222};
        struct tp_target t, b;
        tp_target_from_host(&h, &t, &b);
        assert_string_equal(t.address, "10.0.0.1");
        assert_string_equal(t.user, "ubuntu");
        assert_string_equal(t.key_path, "/k");
        assert_int_equal(t.port, 2222);
        assert_null(t.bastion);
        assert_null(t.proxy_command);
        assert_false(t.local);
}

static void bastion_inherits_user_and_key(void **s)
{
        (void)s;
        struct cfg_bastion bh = {.address = "10.0.0.254", .ssh_port = 22};
        struct cfg_host h = {
                .address = "10.0.0.1", .user = "ubuntu", .ssh_key_path = "/k", .bastion = &bh};
        struct tp_target t, b;
        tp_target_from_host(&h, &t, &b);
        assert_ptr_equal(t.bastion, &b);
        assert_string_equal(b.address, "10.0.0.254");
        assert_string_equal(b.user, "ubuntu");
        assert_string_equal(b.key_path, "/k");
        bh.user = "jump";
        bh.ssh_key_path = "/j";
        tp_target_from_host(&h, &t, &b);
        assert_string_equal(b.user, "jump");
        assert_string_equal(b.key_path, "/j");
}

static void localhost_runs_locally_unless_tunnelled(void **s)
{
        (void)s;
        struct cfg_bastion bh = {.address = "10.0.0.254"};
        struct cfg_host h = {.address = "localhost", .user = "ubuntu"};
        struct tp_target t, b;
        tp_target_from_host(&h, &t, &b);
        assert_true(t.local);
        h.address = "127.0.0.1";
        tp_target_from_host(&h, &t, &b);
        assert_true(t.local);
        h.address = "127.0.0.11"; /* a testbed host: a real sshd */
        tp_target_from_host(&h, &t, &b);
        assert_false(t.local);
        h.address = "localhost";
        h.ssh_proxy_command = "nc %h %p";
        tp_target_from_host(&h, &t, &b);
        assert_false(t.local);
        h.ssh_proxy_command = NULL;
        h.bastion = &bh;
        tp_target_from_host(&h, &t, &b);
        assert_false(t.local);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_host),
                cmocka_unit_test(bastion_inherits_user_and_key),
                cmocka_unit_test(localhost_runs_locally_unless_tunnelled),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
