/* Names that reach API paths: the one Node name rule, and path-segment escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pharos/names.h>

#include "kube/kube_path.h"

static void node_paths(void **s)
{
        (void)s;
        char path[320];
        struct pharos_error err = {0};
        assert_int_equal(kube_path_node(path, sizeof(path), "worker-1.example.com", NULL, &err), 0);
        assert_string_equal(path, "/api/v1/nodes/worker-1.example.com");
        assert_int_equal(kube_path_node(path, sizeof(path), "m1", "/status", &err), 0);
        assert_string_equal(path, "/api/v1/nodes/m1/status");
}

/* Every one of these would reach another object, or none, if it went into the path. */
static void hostile_node_names(void **s)
{
        (void)s;
        static const char *const bad[] = {
                "../namespaces/prod",
                "..",
                "a/b",
                "a?watch=1",
                "a#b",
                "a%2Fb",
                "a b",
                "node\nX-Injected: 1",
                "Node1",
                "-node",
                "node-",
                "a..b",
                ".a",
                "a.",
                "",
                "n$(id)",
                "n;id",
                "n'x",
                "n\"x",
                "n\xc3\xa9",
                "n\xe2\x80\xa8",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char path[320] = "untouched";
                struct pharos_error err = {0};
                assert_int_equal(kube_path_node(path, sizeof(path), bad[i], NULL, &err),
                                 PERR_USAGE);
                assert_string_equal(path, "untouched");
                assert_non_null(strstr(err.msg, "is not a valid Node name"));
                assert_null(strchr(err.msg, '\n'));
        }
        char longest[300];
        memset(longest, 'a', sizeof(longest));
        for (size_t i = 63; i < sizeof(longest); i += 64)
                longest[i] = '.';
        longest[253] = '\0';
        char path[320];
        struct pharos_error err = {0};
        assert_int_equal(kube_path_node(path, sizeof(path), longest, NULL, &err), 0);
        longest[253] = 'a';
        longest[254] = '\0';
        assert_int_equal(kube_path_node(path, sizeof(path), longest, NULL, &err), PERR_USAGE);
        char label[70];
        memset(label, 'a', 64);
        label[64] = '\0';
        assert_int_equal(kube_path_node(path, sizeof(path), label, NULL, &err), PERR_USAGE);
}

/* kubeadm names the Node after the hostname in lower case. */
static void node_name_of_host(void **s)
{
        (void)s;
        char node[PHAROS_DNS1123_SUBDOMAIN_MAX + 1], why[160];
        assert_int_equal(pharos_node_name_of_host("Worker-1", node, sizeof(node), why, sizeof(why)),
                         0);
        assert_string_equal(node, "worker-1");
        assert_int_equal(pharos_node_name_of_host("../namespaces/prod", node, sizeof(node), why,
                                                  sizeof(why)),
                         -1);
        assert_string_equal(node, "");
        assert_non_null(strstr(why, "only a-z, 0-9"));
        assert_int_equal(pharos_node_name_of_host(NULL, node, sizeof(node), why, sizeof(why)), -1);
}

static void segments_escaped(void **s)
{
        (void)s;
        char out[64];
        assert_int_equal(kube_path_escape("kube-system", out, sizeof(out)), 0);
        assert_string_equal(out, "kube-system");
        assert_int_equal(kube_path_escape("../x?y=1#z %", out, sizeof(out)), 0);
        assert_string_equal(out, "..%2Fx%3Fy%3D1%23z%20%25");
        assert_int_equal(kube_path_escape("abcdef", out, 4), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(node_paths),
                cmocka_unit_test(hostile_node_names),
                cmocka_unit_test(node_name_of_host),
                cmocka_unit_test(segments_escaped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
