/* The facts a host reports are checked when gathered (run/facts_check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "run/facts_check.h"

struct facts {
        char *v[FACT_COUNT];
};

static struct facts good(void)
{
        struct facts f = {{
                [FACT_HOSTNAME] = "Master-1",
                [FACT_OS_ID] = "ubuntu",
                [FACT_OS_ID_LIKE] = "rhel centos fedora",
                [FACT_OS_VERSION_ID] = "24.04",
                [FACT_ARCH] = "x86_64",
                [FACT_CGROUP_FS] = "cgroup2fs",
                [FACT_CAP_BOUNDING] = "000001ffffffffff",
        }};
        return f;
}

static void plain_facts_pass(void **s)
{
        (void)s;
        char why[300] = "";
        struct facts f = good();
        assert_int_equal(run_facts_check(f.v, why, sizeof(why)), 0);
        f.v[FACT_CGROUP_FS] = "UNKNOWN (0x1234abcd)";
        f.v[FACT_OS_ID_LIKE] = "";
        f.v[FACT_CAP_BOUNDING] = NULL;
        assert_int_equal(run_facts_check(f.v, why, sizeof(why)), 0);
}

static void expect_refused(enum run_fact which, char *value, const char *msg)
{
        char why[300] = "";
        struct facts f = good();
        f.v[which] = value;
        assert_int_equal(run_facts_check(f.v, why, sizeof(why)), -1);
        assert_string_equal(why, msg);
}

static void hostile_facts_refused(void **s)
{
        (void)s;
        expect_refused(FACT_HOSTNAME, "../namespaces/prod",
                       "hostname '../namespaces/prod' is not a valid Node name (RFC 1123 "
                       "subdomain): only a-z, 0-9, '-' and '.' are allowed");
        expect_refused(FACT_HOSTNAME, "",
                       "hostname '' is not a valid Node name (RFC 1123 subdomain): it is empty");
        expect_refused(FACT_HOSTNAME, "m1\x1b]0;x",
                       "hostname 'm1?]0;x' is not a valid Node name (RFC 1123 subdomain): only "
                       "a-z, 0-9, '-' and '.' are allowed");
        expect_refused(FACT_OS_ID, "ubuntu$(reboot)",
                       "os-release ID 'ubuntu$(reboot)' is not an os-release value (0-9, a-z, "
                       "'.', '_', '-')");
        expect_refused(FACT_OS_VERSION_ID, "24.04/../../x",
                       "os-release VERSION_ID '24.04/../../x' is not an os-release value (0-9, "
                       "a-z, '.', '_', '-')");
        expect_refused(FACT_OS_ID_LIKE, "debian\"; x",
                       "os-release ID_LIKE 'debian\"; x' is not a space-separated list of "
                       "os-release IDs (0-9, a-z, '.', '_', '-')");
        expect_refused(FACT_ARCH, "x86_64 --evil",
                       "architecture 'x86_64 --evil' holds characters no such value has");
        expect_refused(FACT_CAP_BOUNDING, "ff'",
                       "capability bounding set 'ff'' holds characters no such value has");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_facts_pass),
                cmocka_unit_test(hostile_facts_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
