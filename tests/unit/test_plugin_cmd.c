/* Typed plugin commands: argv conversion per type, every usage error, and the libffi call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/plugin_cmd.h"

static struct {
        void *state;
        const char *name;
        int64_t count;
        int flag;
        double ratio;
        const char *opt;
        int calls;
} got;

static int record(void *state, const char *name, int64_t count, int flag, double ratio,
                  const char *opt)
{
        got.state = state;
        got.name = name;
        got.count = count;
        got.flag = flag;
        got.ratio = ratio;
        got.opt = opt;
        got.calls++;
        return (int)count + 3;
}

static const struct pharos_param params[] = {
        {.name = "name", .type = PHAROS_PARAM_STRING},
        {.name = "count",
         .type = PHAROS_PARAM_INT,
         .flags = PHAROS_PARAM_OPTION | PHAROS_PARAM_OPTIONAL,
         .default_value = "5"},
        {.name = "flag",
         .type = PHAROS_PARAM_BOOL,
         .flags = PHAROS_PARAM_OPTION | PHAROS_PARAM_OPTIONAL},
        {.name = "ratio", .type = PHAROS_PARAM_DOUBLE, .flags = PHAROS_PARAM_OPTION},
        {.name = "opt", .type = PHAROS_PARAM_STRING, .flags = PHAROS_PARAM_OPTIONAL},
};

static const struct pharos_command cmd = {
        .struct_size = sizeof(struct pharos_command),
        .name = "test run",
        .params = params,
        .n_params = 5,
        .fn = (void (*)(void))record,
};

static int parse(const char *const *args, struct pcmd_value *vals, struct pharos_error *err)
{
        int argc = 0;
        while (args[argc])
                argc++;
        return pcmd_parse(&cmd, argc, (char **)args, vals, err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void convert_each_type(void **s)
{
        (void)s;
        struct pcmd_value v;
        struct pharos_error err = {0};
        assert_int_equal(pcmd_convert(PHAROS_PARAM_STRING, "text", &v, &err), 0);
        assert_string_equal(v.v.s, "text");
        assert_int_equal(pcmd_convert(PHAROS_PARAM_INT, "-9223372036854775808", &v, &err), 0);
        assert_true(v.v.i == INT64_MIN);
        assert_int_equal(pcmd_convert(PHAROS_PARAM_INT, "42", &v, &err), 0);
        assert_int_equal(v.v.i, 42);
        assert_int_equal(pcmd_convert(PHAROS_PARAM_BOOL, "yes", &v, &err), 0);
        assert_int_equal(v.v.b, 1);
        assert_int_equal(pcmd_convert(PHAROS_PARAM_BOOL, "False", &v, &err), 0);
        assert_int_equal(v.v.b, 0);
        assert_int_equal(pcmd_convert(PHAROS_PARAM_DOUBLE, "2.5e1", &v, &err), 0);
        assert_true(v.v.d == 25.0);
}

static void convert_wrong_input(void **s)
{
        (void)s;
        struct pcmd_value v;
        struct pharos_error err = {0};
        const struct {
                uint32_t type;
                const char *text, *msg;
        } bad[] = {
                {PHAROS_PARAM_INT, "abc", "'abc' is not an integer"},
                {PHAROS_PARAM_INT, "12x", "'12x' is not an integer"},
                {PHAROS_PARAM_INT, "", "'' is not an integer"},
                {PHAROS_PARAM_INT, "99999999999999999999",
                 "'99999999999999999999' is not an integer"},
                {PHAROS_PARAM_INT, "1.5", "'1.5' is not an integer"},
                {PHAROS_PARAM_BOOL, "maybe", "'maybe' is not a boolean (true/false)"},
                {PHAROS_PARAM_DOUBLE, "1,5", "'1,5' is not a number"},
                {PHAROS_PARAM_DOUBLE, "inf", "'inf' is not a number"},
                {PHAROS_PARAM_DOUBLE, "1e999", "'1e999' is not a number"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(pcmd_convert(bad[i].type, bad[i].text, &v, &err), PERR_USAGE);
                assert_string_equal(err.msg, bad[i].msg);
        }
}

static void parse_full(void **s)
{
        (void)s;
        struct pcmd_value v[5];
        struct pharos_error err = {0};
        assert_int_equal(
                parse(ARGS("alice", "--count", "7", "--flag", "--ratio=0.25", "extra"), v, &err),
                0);
        assert_string_equal(v[0].v.s, "alice");
        assert_int_equal(v[1].v.i, 7);
        assert_int_equal(v[2].v.b, 1);
        assert_true(v[3].v.d == 0.25);
        assert_string_equal(v[4].v.s, "extra");
}

static void parse_defaults(void **s)
{
        (void)s;
        struct pcmd_value v[5];
        struct pharos_error err = {0};
        assert_int_equal(parse(ARGS("--ratio", "-1.5", "bob", "--no-flag"), v, &err), 0);
        assert_string_equal(v[0].v.s, "bob");
        assert_int_equal(v[1].v.i, 5); /* declared default */
        assert_int_equal(v[2].v.b, 0);
        assert_true(v[3].v.d == -1.5);
        assert_null(v[4].v.s); /* optional without default */
}

static void parse_errors(void **s)
{
        (void)s;
        struct pcmd_value v[5];
        struct pharos_error err = {0};
        const struct {
                const char *const *args;
                const char *msg;
        } bad[] = {
                {ARGS("--ratio", "1"), "missing argument name"},
                {ARGS("x"), "missing --ratio"},
                {ARGS("x", "--ratio", "one"), "--ratio: 'one' is not a number"},
                {ARGS("x", "--ratio", "1", "--count", "many"), "--count: 'many' is not an integer"},
                {ARGS("x", "--ratio", "1", "--count"), "--count needs a value (an integer)"},
                {ARGS("x", "--ratio", "1", "--nope"), "unknown option --nope"},
                {ARGS("x", "--ratio", "1", "--flag=perhaps"),
                 "--flag: 'perhaps' is not a boolean (true/false)"},
                {ARGS("x", "--ratio", "1", "--no-flag=yes"), "--no-flag takes no value"},
                {ARGS("x", "y", "z", "--ratio", "1"), "unexpected argument 'z'"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(parse(bad[i].args, v, &err), PERR_USAGE);
                assert_string_equal(err.msg, bad[i].msg);
        }
        assert_int_equal(parse(ARGS("x", "--help"), v, &err), 1);
        /* After "--" a dash-word is a positional. */
        assert_int_equal(parse(ARGS("--ratio", "1", "--", "--weird"), v, &err), 0);
        assert_string_equal(v[0].v.s, "--weird");
}

static void call_through_ffi(void **s)
{
        (void)s;
        struct pcmd_value v[5];
        struct pharos_error err = {0};
        int marker, ret = -1;
        memset(&got, 0, sizeof(got));
        assert_int_equal(
                parse(ARGS("carol", "--count=-40000000000", "--flag", "--ratio", "3.75", "tail"), v,
                      &err),
                0);
        assert_int_equal(pcmd_call(&cmd, &marker, v, &ret, &err), 0);
        assert_int_equal(got.calls, 1);
        assert_ptr_equal(got.state, &marker);
        assert_string_equal(got.name, "carol");
        assert_true(got.count == -40000000000LL);
        assert_int_equal(got.flag, 1);
        assert_true(got.ratio == 3.75);
        assert_string_equal(got.opt, "tail");
        assert_int_equal(ret, (int)(-40000000000LL + 3));
}

static void find_longest_words(void **s)
{
        (void)s;
        struct pharos_plugin owner = {0};
        struct reg_command cmds[2] = {
                {.cmd = {.name = "etcd"}, .owner = &owner},
                {.cmd = {.name = "etcd members"}, .owner = &owner},
        };
        struct registry r = {.cmds = cmds, .n_cmds = 2};
        int words = 0;
        char *a1[] = {"etcd", "members", "--json"};
        assert_ptr_equal(pcmd_find(&r, 3, a1, &words), &cmds[1]);
        assert_int_equal(words, 2);
        char *a2[] = {"etcd", "health"};
        assert_ptr_equal(pcmd_find(&r, 2, a2, &words), &cmds[0]);
        assert_int_equal(words, 1);
        char *a3[] = {"etc"};
        assert_null(pcmd_find(&r, 1, a3, &words));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(convert_each_type),  cmocka_unit_test(convert_wrong_input),
                cmocka_unit_test(parse_full),         cmocka_unit_test(parse_defaults),
                cmocka_unit_test(parse_errors),       cmocka_unit_test(call_through_ffi),
                cmocka_unit_test(find_longest_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
