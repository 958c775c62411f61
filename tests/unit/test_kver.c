/* Kubernetes versions and the upgrade and kubelet skew rules (kube/kver.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kver.h"

static struct kver v(const char *s)
{
        struct kver k = {-1, -1, -1};
        assert_int_equal(kver_parse(s, &k), 0);
        return k;
}

static void parses_releases_and_git_versions(void **s)
{
        (void)s;
        struct kver k = v("1.37.2");
        assert_int_equal(k.major, 1);
        assert_int_equal(k.minor, 37);
        assert_int_equal(k.patch, 2);
        k = v("v1.36.10");
        assert_int_equal(k.minor, 36);
        assert_int_equal(k.patch, 10);
        k = v("v1.37.0-rc.1");
        assert_int_equal(k.patch, 0);
        k = v("v1.33.6+k3s1");
        assert_int_equal(k.patch, 6);
}

static void refuses_what_is_no_version(void **s)
{
        (void)s;
        struct kver k;
        const char *bad[] = {"",         "1",       "1.37",           "1.37.",
                             "v",        "vv1.2.3", "1..2",           "1.37.2x",
                             "1.37.2.1", "a.b.c",   "1.1234567890.0", " 1.2.3"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(kver_parse(bad[i], &k), -1);
        assert_int_equal(kver_parse(NULL, &k), -1);
}

static void orders_numerically(void **s)
{
        (void)s;
        struct kver a = v("1.9.0"), b = v("1.10.0"), c = v("1.10.1"), d = v("2.0.0");
        assert_true(kver_cmp(&a, &b) < 0);
        assert_true(kver_cmp(&c, &b) > 0);
        assert_true(kver_cmp(&d, &c) > 0);
        assert_int_equal(kver_cmp(&b, &b), 0);
}

static int upgrade(const char *have, const char *want, char *why, size_t n)
{
        struct kver h = v(have), w = v(want);
        why[0] = '\0';
        return kver_check_upgrade(&h, &w, why, n);
}

static void one_minor_at_a_time_and_never_down(void **s)
{
        (void)s;
        char why[400];
        assert_int_equal(upgrade("1.36.3", "1.36.3", why, sizeof(why)), 0);
        assert_int_equal(upgrade("1.36.0", "1.36.3", why, sizeof(why)), 0);
        assert_int_equal(upgrade("1.36.3", "1.37.0", why, sizeof(why)), 0);
        assert_int_equal(upgrade("1.36.3", "1.37.2", why, sizeof(why)), 0);

        assert_int_equal(upgrade("1.36.3", "1.36.0", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "1.36.0 is older than the cluster's 1.36.3"));
        assert_int_equal(upgrade("1.37.2", "1.36.3", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "not downgraded"));

        assert_int_equal(upgrade("1.35.4", "1.37.2", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "1.37.2 skips minors from the cluster's 1.35.4"));
        assert_non_null(strstr(why, "go to 1.36 first"));
        assert_int_equal(upgrade("1.37.2", "2.0.0", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "skips minors"));
        assert_int_equal(upgrade("1.37.2", "0.99.0", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "older"));
        /* A short buffer truncates the message, never overflows. */
        char tiny[8];
        assert_int_equal(upgrade("1.35.4", "1.37.2", tiny, sizeof(tiny)), -1);
        assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static int kubelet(const char *k, const char *api, char *why, size_t n)
{
        struct kver a = v(k), b = v(api);
        why[0] = '\0';
        return kver_check_kubelet(&a, &b, why, n);
}

static void kubelets_up_to_three_minors_older_never_newer(void **s)
{
        (void)s;
        char why[400];
        assert_int_equal(kubelet("v1.37.2", "1.37.2", why, sizeof(why)), 0);
        assert_int_equal(kubelet("v1.37.2", "1.37.0", why, sizeof(why)), 0);
        assert_int_equal(kubelet("v1.36.3", "1.37.2", why, sizeof(why)), 0);
        assert_int_equal(kubelet("v1.34.0", "1.37.2", why, sizeof(why)), 0);

        assert_int_equal(kubelet("v1.33.6", "1.37.2", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "kubelet 1.33.6 is more than 3 minors older"));
        assert_non_null(strstr(why, "(1.37.2)"));
        assert_int_equal(kubelet("v1.37.0", "1.36.3", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "kubelet 1.37.0 is newer than the API server"));
        assert_int_equal(kubelet("v2.0.0", "1.37.2", why, sizeof(why)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parses_releases_and_git_versions),
                cmocka_unit_test(refuses_what_is_no_version),
                cmocka_unit_test(orders_numerically),
                cmocka_unit_test(one_minor_at_a_time_and_never_down),
                cmocka_unit_test(kubelets_up_to_three_minors_older_never_newer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
