/* Command-line durations (drain --timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/duration.h"

static long ms_of(const char *text)
{
        long ms = -1;
        assert_int_equal(duration_parse_ms(text, &ms), 0);
        return ms;
}

static void units_and_sums(void **s)
{
        (void)s;
        assert_int_equal(ms_of("90s"), 90000);
        assert_int_equal(ms_of("5m"), 300000);
        assert_int_equal(ms_of("1h30m"), 5400000);
        assert_int_equal(ms_of("250ms"), 250);
        assert_int_equal(ms_of("1m30s"), 90000);
        assert_int_equal(ms_of("0"), 0);
        assert_int_equal(ms_of("45"), 45000);
}

static void rejects_what_is_not_a_duration(void **s)
{
        (void)s;
        long ms;
        const char *bad[] = {"", "5x", "m", "-5s", "5 m", "1.5s", "5m3", "99999999999999999999h"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(duration_parse_ms(bad[i], &ms), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(units_and_sums),
                cmocka_unit_test(rejects_what_is_not_a_duration),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
