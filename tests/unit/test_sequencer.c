/* The step sequencer on its own: ordering, tie-break and every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "seq/sequencer.h"

static const char *const phases[] = {"first", "second", "third"};
#define NPH    3
#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_order(const struct seq_node *nodes, size_t n, const char *const *ids)
{
        size_t order[16];
        struct pharos_error err = {0};
        assert_int_equal(seq_resolve(phases, NPH, nodes, n, order, &err), 0);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(nodes[order[i]].id, ids[i]);
}

static void expect_error(const struct seq_node *nodes, size_t n, const char *msg)
{
        size_t order[16];
        struct pharos_error err = {0};
        assert_int_equal(seq_resolve(phases, NPH, nodes, n, order, &err), PERR_USAGE);
        assert_string_equal(err.msg, msg);
}

static void phases_then_ids(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"z.late", "third", NULL, NULL},
                {"b.two", "second", NULL, NULL},
                {"a.two", "second", NULL, NULL},
                {"y.early", "first", NULL, NULL},
        };
        expect_order(nodes, 4, L("y.early", "a.two", "b.two", "z.late"));
}

static void after_and_before(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"a", "second", L("c"), NULL},
                {"b", "second", NULL, L("c")},
                {"c", "second", NULL, NULL},
                {"d", "second", L("a"), L("b")},
        };
        /* c before a (a after c); b before c; d after a and before b: cycle? no:
         * d after a, a after c, c after b, d before b -> b after d -> cycle. */
        expect_error(nodes, 4, "steps of phase 'second' form a cycle: a -> d -> b -> c -> a");
}

static void tie_break_is_by_id(void **s)
{
        (void)s;
        /* Same graph, two registration orders: same result. */
        const struct seq_node one[] = {
                {"net.b", "second", L("net.a"), NULL},
                {"net.c", "second", NULL, NULL},
                {"net.a", "second", NULL, NULL},
        };
        const struct seq_node two[] = {
                {"net.a", "second", NULL, NULL},
                {"net.c", "second", NULL, NULL},
                {"net.b", "second", L("net.a"), NULL},
        };
        expect_order(one, 3, L("net.a", "net.b", "net.c"));
        expect_order(two, 3, L("net.a", "net.b", "net.c"));
}

static void before_pulls_forward(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"a", "first", NULL, NULL},
                {"z", "first", NULL, L("a")},
        };
        expect_order(nodes, 2, L("z", "a"));
}

static void optional_reference(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"addon.x", "third", L("?cert-manager.apply"), NULL},
                {"addon.w", "third", NULL, L("?ghost")},
        };
        expect_order(nodes, 2, L("addon.w", "addon.x"));
}

static void unknown_reference(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {{"addon.x", "third", L("cert-manager.apply"), NULL}};
        expect_error(
                nodes, 1,
                "step 'addon.x' (phase 'third') is to run after unknown step 'cert-manager.apply'");
}

static void three_cycle_path(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"a", "second", L("c"), NULL},
                {"b", "second", L("a"), NULL},
                {"c", "second", L("b"), NULL},
                {"free", "second", NULL, NULL},
        };
        expect_error(nodes, 4, "steps of phase 'second' form a cycle: a -> b -> c -> a");
}

static void self_cycle(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {{"me", "first", L("me"), NULL}};
        expect_error(nodes, 1, "steps of phase 'first' form a cycle: me -> me");
}

static void cross_phase(void **s)
{
        (void)s;
        const struct seq_node ok[] = {
                {"late", "third", L("early"), NULL},
                {"early", "first", NULL, L("late")},
        };
        expect_order(ok, 2, L("early", "late"));
        const struct seq_node bad[] = {
                {"late", "third", NULL, NULL},
                {"early", "first", L("late"), NULL},
        };
        expect_error(bad, 2,
                     "step 'early' (phase 'first') is to run after step 'late' of phase 'third', "
                     "which contradicts the phase order");
}

static void bad_phase_and_duplicate(void **s)
{
        (void)s;
        const struct seq_node ph[] = {{"x", "nowhere", NULL, NULL}};
        expect_error(ph, 1, "step 'x' names unknown phase 'nowhere'");
        const struct seq_node dup[] = {{"x", "first", NULL, NULL}, {"x", "second", NULL, NULL}};
        expect_error(dup, 2, "step id 'x' is registered twice");
}

static void cycle_does_not_hide_behind_later_phase(void **s)
{
        (void)s;
        const struct seq_node nodes[] = {
                {"later", "third", NULL, NULL},
                {"p", "second", L("q"), NULL},
                {"q", "second", L("p"), NULL},
        };
        expect_error(nodes, 3, "steps of phase 'second' form a cycle: p -> q -> p");
}

static void empty(void **s)
{
        (void)s;
        struct pharos_error err = {0};
        assert_int_equal(seq_resolve(phases, NPH, NULL, 0, NULL, &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(phases_then_ids),
                cmocka_unit_test(after_and_before),
                cmocka_unit_test(tie_break_is_by_id),
                cmocka_unit_test(before_pulls_forward),
                cmocka_unit_test(optional_reference),
                cmocka_unit_test(unknown_reference),
                cmocka_unit_test(three_cycle_path),
                cmocka_unit_test(self_cycle),
                cmocka_unit_test(cross_phase),
                cmocka_unit_test(bad_phase_and_duplicate),
                cmocka_unit_test(cycle_does_not_hide_behind_later_phase),
                cmocka_unit_test(empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
