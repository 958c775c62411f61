/* Manifests: YAML streams to JSON documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube/yaml_json.h"

static void convert(const char *yaml, struct json_docs *d)
{
        struct pharos_error err = {0};
        int rc = yaml_to_json(yaml, strlen(yaml), "m.yml", d, &err);
        if (rc)
                fail_msg("unexpected error: %s", err.msg);
}

static void multi_document(void **s)
{
        (void)s;
        struct json_docs d;
        convert("# leading comment\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: "
                "a\n"
                "---\n# only a comment\n---\nkind: List\nitems: [1, 2]\n...\n",
                &d);
        assert_int_equal(d.n, 2);
        assert_string_equal(d.json[0], "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                                       "\"metadata\":{\"name\":\"a\"}}");
        assert_int_equal(d.line[0], 3); /* its "---" */
        assert_string_equal(d.json[1], "{\"kind\":\"List\",\"items\":[1,2]}");
        json_docs_free(&d);
}

static void scalar_typing(void **s)
{
        (void)s;
        struct json_docs d;
        convert("[true, False, null, ~, '', 42, +5, -0, 007, 0x1F, 0o17, 1.5, .5, -1., 2e3, "
                "+1.5E-2, 0000044e1, -00.5,"
                " \"7\", 'true', yes, on, 1.2.3, 0x, 12345678901234567890123, text]",
                &d);
        assert_int_equal(d.n, 1);
        assert_string_equal(d.json[0],
                            "[true,false,null,null,\"\",42,5,0,7,31,15,1.5,0.5,-1.0,2e3,"
                            "1.5E-2,44e1,-0.5,\"7\",\"true\",\"yes\",\"on\",\"1.2.3\",\"0x\","
                            "12345678901234567890123,\"text\"]");
        json_docs_free(&d);
}

static void block_scalars_and_escapes(void **s)
{
        (void)s;
        struct json_docs d;
        convert("script: |\n  echo \"hi\"\n  exit 0\nfolded: >\n  a\n  b\nuni: \"\\u00e9\\t\"\n",
                &d);
        assert_string_equal(d.json[0],
                            "{\"script\":\"echo \\\"hi\\\"\\nexit 0\\n\",\"folded\":\"a b\\n\","
                            "\"uni\":\"\xc3\xa9\\t\"}");
        json_docs_free(&d);
}

static void expect_error(const char *yaml, const char *msg)
{
        struct json_docs d;
        struct pharos_error err = {0};
        assert_int_equal(yaml_to_json(yaml, strlen(yaml), "m.yml", &d, &err), PERR_USAGE);
        assert_string_equal(err.msg, msg);
        assert_int_equal(d.n, 0);
}

static void errors_are_located(void **s)
{
        (void)s;
        expect_error("a: &x [1]\nb: *x\n",
                     "m.yml:2:4: aliases (*name) are not supported in manifests");
        expect_error("a: [1, 2\n",
                     "m.yml:2:1: did not find expected ',' or ']' while parsing a flow sequence");
        expect_error("? [1]\n: v\n", "m.yml:1:3: mapping keys must be scalars");
        expect_error("ok: 1\n---\nx: \"unterminated\n",
                     "m.yml:4:1: found unexpected end of stream while scanning a quoted scalar");
}

static void deep_nesting_refused(void **s)
{
        (void)s;
        char yaml[1200];
        memset(yaml, '[', 600);
        yaml[600] = '\0';
        struct json_docs d;
        struct pharos_error err = {0};
        assert_int_equal(yaml_to_json(yaml, strlen(yaml), "m.yml", &d, &err), PERR_USAGE);
        assert_string_equal(err.msg, "m.yml:1:257: nesting deeper than 256 levels");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(multi_document),
                cmocka_unit_test(scalar_typing),
                cmocka_unit_test(block_scalars_and_escapes),
                cmocka_unit_test(errors_are_located),
                cmocka_unit_test(deep_nesting_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
