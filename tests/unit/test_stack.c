/* Stack bodies, merge patches and object paths (the parts that need no API server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/json.h"
#include "kube/stack.h"

static yajl_val parse(const char *text)
{
        char msg[128];
        yajl_val v = json_parse(text, msg, sizeof(msg));
        assert_non_null(v);
        return v;
}

static void body_gets_label_and_annotations(void **s)
{
        (void)s;
        yajl_val obj = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                             "\"x\",\"labels\":{\"app\":\"a\",\"" STACK_LABEL "\":\"old\"}},"
                             "\"data\":{\"k\":\"v\"}}");
        char *body = stack_object_body(obj, "weave", "abc", "{\"c\":1}");
        assert_string_equal(body, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
                                  "\"name\":\"x\",\"labels\":{\"app\":\"a\",\"" STACK_LABEL
                                  "\":\"weave\"},\"annotations\":{\"" STACK_CHECKSUM
                                  "\":\"abc\",\"" STACK_LAST_APPLIED "\":\"{\\\"c\\\":1}\"}},"
                                  "\"data\":{\"k\":\"v\"}}");
        free(body);
        yajl_tree_free(obj);
}

static void checksum_ignores_key_order(void **s)
{
        (void)s;
        yajl_val a = parse("{\"b\":1,\"a\":{\"y\":[1,{\"q\":2,\"p\":3}],\"x\":null}}");
        yajl_val b = parse("{\"a\":{\"x\":null,\"y\":[1,{\"p\":3,\"q\":2}]},\"b\":1}");
        char *ca = json_canonical(a), *cb = json_canonical(b);
        assert_string_equal(ca, "{\"a\":{\"x\":null,\"y\":[1,{\"p\":3,\"q\":2}]},\"b\":1}");
        assert_string_equal(ca, cb);
        char ha[65], hb[65];
        json_sha256_hex(ca, strlen(ca), ha);
        json_sha256_hex(cb, strlen(cb), hb);
        assert_string_equal(ha, hb);
        json_sha256_hex("", 0, ha);
        assert_string_equal(ha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        free(ca);
        free(cb);
        yajl_tree_free(a);
        yajl_tree_free(b);
}

static void patch_removes_dropped_fields(void **s)
{
        (void)s;
        yajl_val want = parse("{\"spec\":{\"replicas\":2,\"list\":[1]},\"data\":{\"a\":\"1\"}}");
        yajl_val last = parse("{\"spec\":{\"replicas\":1,\"paused\":true,\"list\":[1,2]},"
                              "\"data\":{\"a\":\"0\",\"b\":\"2\"},\"extra\":{\"z\":1}}");
        char *patch = stack_merge_patch(want, last);
        assert_string_equal(patch, "{\"spec\":{\"replicas\":2,\"list\":[1],\"paused\":null},"
                                   "\"data\":{\"a\":\"1\",\"b\":null},\"extra\":null}");
        free(patch);
        patch = stack_merge_patch(want, NULL);
        assert_string_equal(patch,
                            "{\"spec\":{\"replicas\":2,\"list\":[1]},\"data\":{\"a\":\"1\"}}");
        free(patch);
        yajl_tree_free(want);
        yajl_tree_free(last);
}

static void object_paths(void **s)
{
        (void)s;
        char buf[256];
        struct kube_resource pods = {"v1", "pods", 1};
        struct kube_resource deps = {"apps/v1", "deployments", 1};
        struct kube_resource nodes = {"v1", "nodes", 0};
        assert_int_equal(kube_object_path(&pods, "kube-system", "p", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/api/v1/namespaces/kube-system/pods/p");
        assert_int_equal(kube_object_path(&deps, "default", NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/apis/apps/v1/namespaces/default/deployments");
        assert_int_equal(kube_object_path(&nodes, "ignored", "n1", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/api/v1/nodes/n1");
        assert_int_equal(kube_object_path(&deps, "default", "x", buf, 10), -1);
}

static void json_lookup(void **s)
{
        (void)s;
        yajl_val v = parse("{\"metadata\":{\"name\":\"n\",\"labels\":{\"a\":\"b\"}},\"n\":3}");
        assert_string_equal(json_get_str(v, "metadata.name"), "n");
        assert_string_equal(json_get_str(v, "metadata.labels.a"), "b");
        assert_null(json_get_str(v, "n"));
        assert_null(json_get(v, "metadata.missing.deeper"));
        yajl_tree_free(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(body_gets_label_and_annotations),
                cmocka_unit_test(checksum_ignores_key_order),
                cmocka_unit_test(patch_removes_dropped_fields),
                cmocka_unit_test(object_paths),
                cmocka_unit_test(json_lookup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
