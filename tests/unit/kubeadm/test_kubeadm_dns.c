/* kubeadm plugin: network.dns_replicas against the CoreDNS Deployment the API returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kadm.h"

/* The Deployment kubeadm's CoreDNS addon creates (manifests.go: replicas 2), as served. */
#define COREDNS(replicas)                                                                          \
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"coredns\","  \
        "\"namespace\":\"kube-system\"},\"spec\":{" replicas "\"selector\":{\"matchLabels\":"      \
        "{\"k8s-app\":\"kube-dns\"}}}}"

static void test_scales_to_the_wanted_count(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        char why[200];
        assert_int_equal(
                kadm_dns_replicas_patch(COREDNS("\"replicas\":2,"), 3, &b, why, sizeof(why)), 1);
        assert_string_equal(b.p, "{\"spec\":{\"replicas\":3}}");
        assert_string_equal(why, "2 replicas, cluster.yml wants 3");
        kb_free(&b);
        assert_int_equal(
                kadm_dns_replicas_patch(COREDNS("\"replicas\":2,"), 1, &b, why, sizeof(why)), 1);
        assert_string_equal(b.p, "{\"spec\":{\"replicas\":1}}");
        kb_free(&b);
}

static void test_leaves_the_right_count(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        char why[200];
        assert_int_equal(
                kadm_dns_replicas_patch(COREDNS("\"replicas\":2,"), 2, &b, why, sizeof(why)), 0);
        assert_int_equal(b.len, 0);
        /* The API defaults an absent replicas to 1. */
        assert_int_equal(kadm_dns_replicas_patch(COREDNS(""), 1, &b, why, sizeof(why)), 0);
        assert_int_equal(kadm_dns_replicas_patch(COREDNS(""), 2, &b, why, sizeof(why)), 1);
        assert_string_equal(b.p, "{\"spec\":{\"replicas\":2}}");
        kb_free(&b);
}

static void test_unreadable_answer(void **unused)
{
        (void)unused;
        struct kbuf b = {0};
        char why[200];
        assert_int_equal(kadm_dns_replicas_patch("<html>", 2, &b, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "cannot parse the Deployment"));
        assert_int_equal(b.len, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scales_to_the_wanted_count),
                cmocka_unit_test(test_leaves_the_right_count),
                cmocka_unit_test(test_unreadable_answer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
