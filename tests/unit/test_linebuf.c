/* Line splitting for host-prefixed output, and shell quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ssh/linebuf.h"
#include "ssh/shquote.h"

struct lines {
        char text[16][LINEBUF_SIZE + 1];
        size_t n;
};

static void collect(void *ud, const char *line, size_t len)
{
        struct lines *l = ud;
        assert_true(l->n < 16);
        memcpy(l->text[l->n], line, len);
        l->text[l->n++][len] = '\0';
}

static void split_across_chunks(void **s)
{
        (void)s;
        struct linebuf lb;
        struct lines l = {0};
        linebuf_init(&lb);
        linebuf_feed(&lb, "one\ntw", 6, collect, &l);
        assert_int_equal(l.n, 1);
        linebuf_feed(&lb, "o\n\nthr", 6, collect, &l);
        assert_int_equal(l.n, 3);
        linebuf_flush(&lb, collect, &l);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.text[0], "one");
        assert_string_equal(l.text[1], "two");
        assert_string_equal(l.text[2], "");
        assert_string_equal(l.text[3], "thr");
        /* nothing left after a flush */
        linebuf_flush(&lb, collect, &l);
        assert_int_equal(l.n, 4);
}

static void long_lines_in_pieces(void **s)
{
        (void)s;
        static char big[LINEBUF_SIZE * 2 + 10];
        memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\n';
        struct linebuf lb;
        struct lines l = {0};
        linebuf_init(&lb);
        linebuf_feed(&lb, "a", 1, collect, &l);
        linebuf_feed(&lb, big, sizeof(big), collect, &l);
        size_t total = 0;
        for (size_t i = 0; i < l.n; i++) {
                assert_true(strlen(l.text[i]) <= LINEBUF_SIZE);
                total += strlen(l.text[i]);
        }
        assert_int_equal(l.n, 3);
        assert_int_equal(total, sizeof(big)); /* 'a' + the x's, minus the '\n' */
}

static void exact_buffer_line_has_no_empty_tail(void **s)
{
        (void)s;
        static char line[LINEBUF_SIZE + 1];
        memset(line, 'y', LINEBUF_SIZE);
        line[LINEBUF_SIZE] = '\n';
        struct linebuf lb;
        struct lines l = {0};
        linebuf_init(&lb);
        linebuf_feed(&lb, "", 0, collect, &l);
        linebuf_feed(&lb, line, 10, collect, &l);
        linebuf_feed(&lb, line + 10, sizeof(line) - 10, collect, &l);
        linebuf_flush(&lb, collect, &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(strlen(l.text[0]), LINEBUF_SIZE);
}

static void quoting(void **s)
{
        (void)s;
        char buf[64] = "echo ";
        assert_int_equal(shq_append(buf, sizeof(buf), "it's $HOME"), 0);
        assert_string_equal(buf, "echo 'it'\\''s $HOME'");
        char small[8] = "";
        assert_int_equal(shq_append(small, sizeof(small), "abcdefgh"), -1);
        assert_string_equal(small, "");
        char *w = shq_word("");
        assert_string_equal(w, "''");
        free(w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(split_across_chunks),
                cmocka_unit_test(long_lines_in_pieces),
                cmocka_unit_test(exact_buffer_line_has_no_empty_tail),
                cmocka_unit_test(quoting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
