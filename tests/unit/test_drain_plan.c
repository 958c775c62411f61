/* Drain decisions: which pods are evicted, skipped, waited for or refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube/drain.h"
#include "kube/json.h"

static yajl_val parse(const char *text)
{
        char msg[256];
        yajl_val v = json_parse(text, msg, sizeof(msg));
        assert_non_null(v);
        return v;
}

static enum drain_verdict verdict(const char *pod, const struct drain_opts *o)
{
        yajl_val v = parse(pod);
        enum drain_verdict d = drain_classify(v, o);
        yajl_tree_free(v);
        return d;
}

#define RS_OWNER                                                                                   \
        "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"web\",\"controller\":true}]"
#define DS_OWNER                                                                                   \
        "\"ownerReferences\":[{\"kind\":\"DaemonSet\",\"name\":\"weave\",\"controller\":true}]"

static const char managed[] =
        "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"," RS_OWNER
        "},\"status\":{\"phase\":\"Running\"}}";
static const char daemon[] =
        "{\"metadata\":{\"name\":\"weave-x\",\"namespace\":\"kube-system\"," DS_OWNER
        "},\"status\":{\"phase\":\"Running\"}}";
static const char mirror[] = "{\"metadata\":{\"name\":\"kube-apiserver-m1\",\"namespace\":"
                             "\"kube-system\",\"annotations\":{\"kubernetes.io/config.mirror\":"
                             "\"abc\"}},\"status\":{\"phase\":\"Running\"}}";
static const char bare[] = "{\"metadata\":{\"name\":\"lonely\",\"namespace\":\"default\"},"
                           "\"status\":{\"phase\":\"Running\"}}";
static const char scratch[] =
        "{\"metadata\":{\"name\":\"cache-1\",\"namespace\":\"default\"," RS_OWNER
        "},\"spec\":{\"volumes\":[{\"name\":\"c\",\"emptyDir\":{}}]},"
        "\"status\":{\"phase\":\"Running\"}}";
static const char finished_bare[] = "{\"metadata\":{\"name\":\"job-x\",\"namespace\":\"default\"},"
                                    "\"spec\":{\"volumes\":[{\"name\":\"c\",\"emptyDir\":{}}]},"
                                    "\"status\":{\"phase\":\"Succeeded\"}}";
static const char terminating[] = "{\"metadata\":{\"name\":\"web-2\",\"namespace\":\"default\","
                                  "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"," RS_OWNER "}}";
static const char owner_not_controller[] =
        "{\"metadata\":{\"name\":\"x\",\"namespace\":\"default\",\"ownerReferences\":[{\"kind\":"
        "\"ReplicaSet\",\"name\":\"web\"}]},\"status\":{\"phase\":\"Running\"}}";

static void managed_pod_is_evicted(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(managed, &o), DRAIN_EVICT);
}

static void mirror_pod_is_skipped(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(mirror, &o), DRAIN_SKIP_MIRROR);
        o.force = 1;
        assert_int_equal(verdict(mirror, &o), DRAIN_SKIP_MIRROR);
}

static void daemonset_pod_refused_unless_ignored(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(daemon, &o), DRAIN_REFUSE_DAEMONSET);
        o.force = 1;
        assert_int_equal(verdict(daemon, &o), DRAIN_REFUSE_DAEMONSET);
        o.ignore_daemonsets = 1;
        assert_int_equal(verdict(daemon, &o), DRAIN_SKIP_DAEMONSET);
}

static void empty_dir_refused_unless_allowed(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(scratch, &o), DRAIN_REFUSE_LOCAL_DATA);
        o.delete_local_data = 1;
        assert_int_equal(verdict(scratch, &o), DRAIN_EVICT);
}

static void unmanaged_refused_unless_forced(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(bare, &o), DRAIN_REFUSE_UNMANAGED);
        /* an owner that is not the controller does not manage the pod */
        assert_int_equal(verdict(owner_not_controller, &o), DRAIN_REFUSE_UNMANAGED);
        o.force = 1;
        assert_int_equal(verdict(bare, &o), DRAIN_EVICT);
}

static void finished_pod_goes_without_options(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(finished_bare, &o), DRAIN_EVICT);
}

static void terminating_pod_is_waited_for(void **s)
{
        (void)s;
        struct drain_opts o = {0};
        assert_int_equal(verdict(terminating, &o), DRAIN_WAIT);
}

static char *pod_list(const char *const *pods, size_t n)
{
        static char buf[8192];
        strcpy(buf, "{\"kind\":\"PodList\",\"items\":[");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strcat(buf, ",");
                strcat(buf, pods[i]);
        }
        strcat(buf, "]}");
        return buf;
}

static void plan_lists_every_refusal_with_its_option(void **s)
{
        (void)s;
        const char *pods[] = {managed, daemon, scratch, bare, mirror};
        yajl_val list = parse(pod_list(pods, 5));
        struct drain_opts o = {0};
        struct drain_plan plan;
        struct pharos_error err = {0};
        assert_int_equal(drain_plan_build(list, &o, &plan, &err), PERR_FAIL);
        assert_null(plan.pods);
        assert_non_null(strstr(err.msg, "DaemonSet-managed Pods (use --ignore-daemonsets to "
                                        "ignore them): kube-system/weave-x"));
        assert_non_null(strstr(err.msg, "local storage (use --delete-local-data to override): "
                                        "default/cache-1"));
        assert_non_null(strstr(err.msg, "no controller (use --force to override): default/lonely"));
        assert_null(strstr(err.msg, "web-1"));
        assert_null(strstr(err.msg, "kube-apiserver"));
        yajl_tree_free(list);
}

static void plan_with_options_evicts_and_skips(void **s)
{
        (void)s;
        const char *pods[] = {managed, daemon, scratch, mirror, terminating};
        yajl_val list = parse(pod_list(pods, 5));
        struct drain_opts o = {.ignore_daemonsets = 1, .delete_local_data = 1};
        struct drain_plan plan;
        struct pharos_error err = {0};
        assert_int_equal(drain_plan_build(list, &o, &plan, &err), 0);
        assert_int_equal(plan.n, 5);
        assert_string_equal(plan.pods[0].name, "web-1");
        assert_string_equal(plan.pods[0].ns, "default");
        assert_int_equal(plan.pods[0].verdict, DRAIN_EVICT);
        assert_int_equal(plan.pods[1].verdict, DRAIN_SKIP_DAEMONSET);
        assert_int_equal(plan.pods[2].verdict, DRAIN_EVICT);
        assert_int_equal(plan.pods[3].verdict, DRAIN_SKIP_MIRROR);
        assert_int_equal(plan.pods[4].verdict, DRAIN_WAIT);
        drain_plan_free(&plan);
        assert_int_equal(plan.n, 0);
        yajl_tree_free(list);
}

static void plan_rejects_a_non_list(void **s)
{
        (void)s;
        yajl_val v = parse("{\"kind\":\"Status\"}");
        struct drain_opts o = {0};
        struct drain_plan plan;
        struct pharos_error err = {0};
        assert_int_equal(drain_plan_build(v, &o, &plan, &err), PERR_FAIL);
        yajl_tree_free(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(managed_pod_is_evicted),
                cmocka_unit_test(mirror_pod_is_skipped),
                cmocka_unit_test(daemonset_pod_refused_unless_ignored),
                cmocka_unit_test(empty_dir_refused_unless_allowed),
                cmocka_unit_test(unmanaged_refused_unless_forced),
                cmocka_unit_test(finished_pod_goes_without_options),
                cmocka_unit_test(terminating_pod_is_waited_for),
                cmocka_unit_test(plan_lists_every_refusal_with_its_option),
                cmocka_unit_test(plan_with_options_evicts_and_skips),
                cmocka_unit_test(plan_rejects_a_non_list),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
