/* The firewalld plugin's per-role port plan with the original's default rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fw_plan.h"

static const char *const ALL[] = {"*"};
static const char *const WORKER[] = {"worker"};
static const char *const MASTER[] = {"master"};

/* network.firewalld.open_ports as the config loader defaults it. */
static const struct fw_port DEFAULTS[] = {
        {"22", "tcp", ALL, 1},      {"80", "tcp", WORKER, 1},       {"443", "tcp", WORKER, 1},
        {"6443", "tcp", MASTER, 1}, {"30000-32767", "tcp", ALL, 1}, {"30000-32767", "udp", ALL, 1},
};

static void defaults_per_role(void **state)
{
        (void)state;
        char out[256] = "";
        assert_int_equal(fw_ports_for_role(DEFAULTS, 6, "master", out, sizeof(out)), 0);
        assert_string_equal(out, "22/tcp 6443/tcp 30000-32767/tcp 30000-32767/udp");
        out[0] = '\0';
        assert_int_equal(fw_ports_for_role(DEFAULTS, 6, "worker", out, sizeof(out)), 0);
        assert_string_equal(out, "22/tcp 80/tcp 443/tcp 30000-32767/tcp 30000-32767/udp");
}

static void duplicates_and_overflow(void **state)
{
        (void)state;
        char out[16] = "";
        assert_int_equal(fw_add_word(out, sizeof(out), "10.0.0.1"), 0);
        assert_int_equal(fw_add_word(out, sizeof(out), "10.0.0.1"), 0);
        assert_string_equal(out, "10.0.0.1");
        assert_int_equal(fw_add_word(out, sizeof(out), "10.0.0.2"), -1);
        assert_string_equal(out, "10.0.0.1");
        char small[8] = "";
        assert_int_equal(fw_ports_for_role(DEFAULTS, 6, "worker", small, sizeof(small)), -1);
}

static void words_are_checked(void **state)
{
        (void)state;
        assert_true(fw_word_ok("10.32.0.0/12"));
        assert_true(fw_word_ok("fd00::1"));
        assert_false(fw_word_ok("1.2.3.4;reboot"));
        assert_false(fw_word_ok("a b"));
        assert_false(fw_word_ok(""));
        assert_false(fw_word_ok(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults_per_role),
                cmocka_unit_test(duplicates_and_overflow),
                cmocka_unit_test(words_are_checked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
