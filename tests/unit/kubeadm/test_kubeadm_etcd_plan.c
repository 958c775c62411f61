/* The kubeadm plugin's etcd membership decisions: which members go, and the
 * quorum rules that refuse a removal before anything changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "etcd_plan.h"

/* A member list as etcd 3.4's JSON gateway answers it (IDs as strings). */
static const char three[] =
        "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"raft_term\":\"3\"},"
        "\"members\":["
        "{\"ID\":\"11\",\"name\":\"host-1\",\"peerURLs\":[\"https://127.0.0.11:2380\"],"
        "\"clientURLs\":[\"https://127.0.0.11:2379\"]},"
        "{\"ID\":\"13\",\"name\":\"host-3\",\"peerURLs\":[\"https://127.0.0.13:2380\"]},"
        "{\"ID\":\"14\",\"name\":\"host-4\",\"peerURLs\":[\"https://127.0.0.14:2380\"]}]}";

static const char two[] =
        "{\"members\":["
        "{\"ID\":\"11\",\"name\":\"host-1\",\"peerURLs\":[\"https://127.0.0.11:2380\"]},"
        "{\"ID\":13,\"name\":\"host-3\",\"peerURLs\":[\"https://127.0.0.13:2380\"]}]}";

struct fx {
        struct kadm_members m;
        size_t remove[8];
        size_t n_remove;
        char why[1400];
};

static int plan(struct fx *f, const char *json, const char *const *keep, size_t n_keep)
{
        assert_int_equal(kadm_members_parse(json, &f->m), 0);
        struct kadm_etcd_view v = {.members = &f->m,
                                   .keep_peers = keep,
                                   .n_keep = n_keep,
                                   .n_keep_in_cluster = n_keep,
                                   .what = "cluster.yml"};
        f->why[0] = '\0';
        int rc = kadm_etcd_plan(&v, f->remove, &f->n_remove, f->why, sizeof(f->why));
        kadm_members_free(&f->m);
        return rc;
}

static void parse_members(void **s)
{
        (void)s;
        struct kadm_members m;
        assert_int_equal(kadm_members_parse(three, &m), 0);
        assert_int_equal(m.n, 3);
        assert_string_equal(m.v[1].id, "13");
        assert_string_equal(m.v[1].name, "host-3");
        assert_string_equal(m.v[2].peer, "https://127.0.0.14:2380");
        kadm_members_free(&m);
        /* A numeric ID keeps its digits. */
        assert_int_equal(kadm_members_parse(two, &m), 0);
        assert_string_equal(m.v[1].id, "13");
        kadm_members_free(&m);
        assert_int_equal(kadm_members_parse("[1,2]", &m), -1);
        assert_int_equal(kadm_members_parse("{\"members\":3}", &m), -1);
        assert_int_equal(kadm_members_parse("not json", &m), -1);
}

static void peer_urls(void **s)
{
        (void)s;
        char buf[80];
        kadm_peer_url("10.0.0.5", buf, sizeof(buf));
        assert_string_equal(buf, "https://10.0.0.5:2380");
        kadm_peer_url("fd00::5", buf, sizeof(buf));
        assert_string_equal(buf, "https://[fd00::5]:2380");
}

static void nothing_to_remove(void **s)
{
        (void)s;
        struct fx f;
        const char *keep[] = {"https://127.0.0.11:2380", "https://127.0.0.13:2380",
                              "https://127.0.0.14:2380", "https://127.0.0.15:2380"};
        /* Every member stays; a fourth master still to join changes nothing here. */
        assert_int_equal(plan(&f, three, keep, 4), 0);
        assert_int_equal(f.n_remove, 0);
}

static void one_of_three_goes(void **s)
{
        (void)s;
        struct fx f;
        const char *keep[] = {"https://127.0.0.11:2380", "https://127.0.0.13:2380"};
        assert_int_equal(plan(&f, three, keep, 2), 0);
        assert_int_equal(f.n_remove, 1);
        assert_int_equal(f.remove[0], 2);
}

static void majority_refused(void **s)
{
        (void)s;
        struct fx f;
        /* Two of three go, while a new master would make two again. */
        const char *keep[] = {"https://127.0.0.11:2380", "https://127.0.0.15:2380"};
        assert_int_equal(plan(&f, three, keep, 2), -1);
        assert_int_equal(f.n_remove, 0);
        assert_non_null(strstr(f.why, "remove 2 of the 3 etcd members"));
        assert_non_null(strstr(f.why, "host-3 (https://127.0.0.13:2380), host-4"));
        assert_non_null(strstr(f.why, "Nothing was changed"));
        /* Exactly half is refused too. */
        const char *keep2[] = {"https://127.0.0.11:2380", "https://127.0.0.15:2380"};
        assert_int_equal(plan(&f, two, keep2, 2), -1);
        assert_non_null(strstr(f.why, "half or more"));
}

static void back_to_one_refused(void **s)
{
        (void)s;
        struct fx f;
        const char *keep[] = {"https://127.0.0.11:2380"};
        assert_int_equal(plan(&f, two, keep, 1), -1);
        assert_non_null(strstr(f.why, "back to one"));
        assert_int_equal(plan(&f, three, keep, 1), -1);
        assert_non_null(strstr(f.why, "back to one"));
        assert_int_equal(f.n_remove, 0);
}

static void no_healthy_master(void **s)
{
        (void)s;
        size_t remove[4], n = 9;
        char why[1400];
        const char *keep[] = {"https://127.0.0.11:2380"};
        struct kadm_etcd_view v = {.keep_peers = keep,
                                   .n_keep = 1,
                                   .n_keep_in_cluster = 1,
                                   .unhealthy = "127.0.0.11: etcd unhealthy (HTTP 503)",
                                   .what = "cluster.yml"};
        assert_int_equal(kadm_etcd_plan(&v, remove, &n, why, sizeof(why)), -1);
        assert_int_equal(n, 0);
        assert_non_null(strstr(why, "no master that stays in the cluster has a healthy etcd"));
        assert_non_null(strstr(why, "127.0.0.11: etcd unhealthy (HTTP 503)"));
        /* Before the first control plane there is nothing to compare. */
        v.n_keep_in_cluster = 0;
        assert_int_equal(kadm_etcd_plan(&v, remove, &n, why, sizeof(why)), 0);
        assert_int_equal(n, 0);
}

/* A master dropped from cluster.yml while it ran, then added back: its member was
 * removed, so cluster.yml names a master etcd does not know. */
static void master_without_member(void **s)
{
        (void)s;
        struct kadm_members m;
        assert_int_equal(kadm_members_parse(two, &m), 0);
        const char *const masters[] = {"https://127.0.0.11:2380", "https://127.0.0.12:2380",
                                       "https://127.0.0.13:2380"};
        unsigned char missing[3];
        size_t extra[2];
        assert_int_equal(kadm_etcd_missing(&m, masters, 3, missing), 1);
        assert_int_equal(missing[0], 0);
        assert_int_equal(missing[1], 1);
        assert_int_equal(missing[2], 0);
        assert_int_equal(kadm_etcd_extra(&m, masters, 3, extra), 0);
        kadm_members_free(&m);
}

/* Both ways at once, and a member named by its peer URL only (added, not started). */
static void members_and_masters_differ(void **s)
{
        (void)s;
        struct kadm_members m;
        assert_int_equal(
                kadm_members_parse("{\"members\":["
                                   "{\"ID\":\"11\",\"name\":\"host-1\","
                                   "\"peerURLs\":[\"https://127.0.0.11:2380\"]},"
                                   "{\"ID\":\"15\",\"peerURLs\":[\"https://127.0.0.15:2380\"]},"
                                   "{\"ID\":\"16\",\"name\":\"host-6\","
                                   "\"peerURLs\":[\"https://127.0.0.16:2380\"]}]}",
                                   &m),
                0);
        const char *const masters[] = {"https://127.0.0.11:2380", "https://127.0.0.15:2380",
                                       "https://127.0.0.17:2380"};
        unsigned char missing[3];
        size_t extra[3];
        assert_int_equal(kadm_etcd_missing(&m, masters, 3, missing), 1);
        assert_int_equal(missing[2], 1);
        assert_int_equal(kadm_etcd_extra(&m, masters, 3, extra), 1);
        assert_string_equal(m.v[extra[0]].name, "host-6");
        /* No masters: every member is extra. */
        assert_int_equal(kadm_etcd_extra(&m, masters, 0, extra), 3);
        kadm_members_free(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(parse_members),
                cmocka_unit_test(peer_urls),
                cmocka_unit_test(nothing_to_remove),
                cmocka_unit_test(one_of_three_goes),
                cmocka_unit_test(majority_refused),
                cmocka_unit_test(back_to_one_refused),
                cmocka_unit_test(no_healthy_master),
                cmocka_unit_test(master_without_member),
                cmocka_unit_test(members_and_masters_differ),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
