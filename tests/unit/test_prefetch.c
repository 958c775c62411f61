/* tp_batch (many reads in one round trip, each answered as if run alone) and
 * the prefetch cache over it, on the local transport. Runs as root, as the
 * suite does: the batch runs its requests as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/prefetch.h"
#include "ssh/transport.h"

static char dir[64];
static char path_bin[128], path_big[128], path_missing[128];

static struct transport *open_local(void)
{
        struct tp_target t = {.address = "localhost", .local = 1};
        struct tp_opts o = {0};
        struct transport *tp = NULL;
        struct pharos_error err = {0};
        assert_int_equal(tp_open(&t, &o, &tp, &err), 0);
        return tp;
}

static int setup(void **unused)
{
        (void)unused;
        snprintf(dir, sizeof(dir), "/tmp/pharos-prefetch-test.XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path_bin, sizeof(path_bin), "%s/bin", dir);
        snprintf(path_big, sizeof(path_big), "%s/big file's", dir);
        snprintf(path_missing, sizeof(path_missing), "%s/missing", dir);
        FILE *f = fopen(path_bin, "wb");
        if (!f)
                return -1;
        /* NUL bytes, a line that looks like the batch's own framing, no newline at the end. */
        static const char bin[] = "a\0b\npharos-batch 9 0 1 1\nz";
        fwrite(bin, 1, sizeof(bin) - 1, f);
        fclose(f);
        f = fopen(path_big, "wb");
        if (!f)
                return -1;
        for (int i = 0; i < 40000; i++)
                fprintf(f, "line %05d of a file bigger than any pipe buffer\n", i);
        fclose(f);
        return 0;
}

static int teardown(void **unused)
{
        (void)unused;
        unlink(path_bin);
        unlink(path_big);
        return rmdir(dir);
}

static void run_alone(struct transport *tp, const struct tp_batch_req *q, struct tp_result *res)
{
        struct pharos_error err = {0};
        if (q->kind == TP_BATCH_SCRIPT) {
                struct tp_cmd io = {.capture = 1};
                assert_int_equal(tp_script(tp, q->text, q->env, q->n_env, 1, &io, res, &err), 0);
                return;
        }
        char cmd[600] = "cat -- '"; /* tp_read_file's command */
        if (q->kind == TP_BATCH_READ) {
                size_t n = strlen(cmd);
                for (const char *c = q->text; *c && n < sizeof(cmd) - 8; c++)
                        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s",
                                              *c == '\'' ? "'\\''" : (char[]){*c, 0});
                snprintf(cmd + n, sizeof(cmd) - n, "'");
        }
        struct tp_cmd c = {
                .cmd = q->kind == TP_BATCH_READ ? cmd : q->text, .sudo = 1, .capture = 1};
        assert_int_equal(tp_exec(tp, &c, res, &err), 0);
}

static void assert_same(const struct tp_result *a, const struct tp_result *b, size_t i)
{
        if (a->status != b->status || a->out_len != b->out_len || a->err_len != b->err_len ||
            (a->out_len && memcmp(a->out, b->out, a->out_len) != 0) ||
            (a->err_len && memcmp(a->err, b->err, a->err_len) != 0))
                fail_msg("request %zu: batch gave status %d, %zu+%zu bytes; alone %d, %zu+%zu", i,
                         a->status, a->out_len, a->err_len, b->status, b->out_len, b->err_len);
}

/* Every kind of request answers in the batch exactly as it does alone. */
static void test_batch_same_as_alone(void **unused)
{
        (void)unused;
        struct transport *tp = open_local();
        const struct tp_env env[] = {{"A", "it's \"q\" $HOME `x` \\\nline 2"}, {"B", ""}};
        const struct tp_batch_req reqs[] = {
                {TP_BATCH_EXEC, "printf 'a\\nb'; echo err >&2; exit 3", NULL, 0},
                {TP_BATCH_SCRIPT, "printf '%s|%s' \"$A\" \"$B\"; echo warn >&2; exit 4", env, 2},
                {TP_BATCH_READ, path_bin, NULL, 0},
                {TP_BATCH_READ, path_missing, NULL, 0},
                /* stdin is empty for a command: it cannot eat the batch behind it. */
                {TP_BATCH_EXEC, "cat; echo after", NULL, 0},
                {TP_BATCH_SCRIPT, "echo \"$PATH\"; env | grep -c '^pb_' || true", NULL, 0},
                {TP_BATCH_READ, path_big, NULL, 0},
                {TP_BATCH_EXEC, "kill -TERM $$", NULL, 0},
                {TP_BATCH_EXEC, "printf 'pharos-batch 99 0 0 0\\n'", NULL, 0},
        };
        const size_t n = sizeof(reqs) / sizeof(reqs[0]);
        struct tp_result got[sizeof(reqs) / sizeof(reqs[0])];
        struct pharos_error err = {0};
        unsigned long before = tp_round_trips(tp);
        assert_int_equal(tp_batch(tp, reqs, n, got, &err), 0);
        assert_int_equal(tp_round_trips(tp) - before, 1);
        for (size_t i = 0; i < n; i++) {
                struct tp_result alone;
                run_alone(tp, &reqs[i], &alone);
                assert_same(&got[i], &alone, i);
                tp_result_free(&alone);
        }
        assert_int_equal(got[0].status, 3);
        assert_string_equal(got[0].out, "a\nb");
        assert_string_equal(got[0].err, "err\n");
        assert_string_equal(got[1].out, "it's \"q\" $HOME `x` \\\nline 2|");
        assert_int_equal(got[2].out_len, 26);
        assert_memory_equal(got[2].out, "a\0b\npharos-batch 9 0 1 1\nz", 26);
        assert_int_not_equal(got[3].status, 0);
        assert_non_null(strstr(got[3].err, "No such file"));
        assert_string_equal(got[4].out, "after\n");
        assert_non_null(strstr(got[5].out, "/usr/sbin:/sbin\n0\n"));
        assert_int_equal(got[6].out_len, 40000 * 49);
        assert_int_equal(got[7].status, 128 + 15);
        assert_int_equal(got[7].err_len, 0);
        for (size_t i = 0; i < n; i++)
                tp_result_free(&got[i]);
        tp_close(tp);
}

/* Outputs wait in a directory of the batch's own on /run (a tmpfs: reads
 * carry keys), gone when the batch ends. */
static void test_batch_cleans_up(void **unused)
{
        (void)unused;
        struct transport *tp = open_local();
        const struct tp_batch_req q = {TP_BATCH_EXEC, "readlink /proc/self/fd/1", NULL, 0};
        struct tp_result r;
        struct pharos_error err = {0};
        assert_int_equal(tp_batch(tp, &q, 1, &r, &err), 0);
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, "/run/.pharos-batch.", 19) == 0);
        char *slash = strrchr(r.out, '/');
        assert_non_null(slash);
        assert_string_equal(slash, "/0.o\n");
        *slash = '\0';
        assert_int_not_equal(access(r.out, F_OK), 0);
        tp_result_free(&r);
        tp_close(tp);
}

/* A bad variable name fails the batch before anything is sent. */
static void test_batch_refuses_bad_name(void **unused)
{
        (void)unused;
        struct transport *tp = open_local();
        const struct tp_env env[] = {{"BAD NAME", "x"}};
        const struct tp_batch_req q = {TP_BATCH_SCRIPT, "true", env, 1};
        struct tp_result r;
        struct pharos_error err = {0};
        assert_true(tp_batch(tp, &q, 1, &r, &err) < 0);
        assert_int_equal(r.status, -1);
        assert_int_equal(tp_round_trips(tp), 0);
        tp_close(tp);
}

/* The cache: one entry per distinct request, answers only after the send,
 * only for the same arguments, and only in the generation they came in. */
static void test_cache(void **unused)
{
        (void)unused;
        struct transport *tp = open_local();
        struct pf_cache c = {0};
        const struct pharos_env e1[] = {{"V", "1"}}, e2[] = {{"V", "2"}};
        assert_int_equal(pf_record(&c, TP_BATCH_SCRIPT, "echo $V", e1, 1), 0);
        assert_int_equal(pf_record(&c, TP_BATCH_SCRIPT, "echo $V", e1, 1), 0);
        assert_int_equal(pf_record(&c, TP_BATCH_SCRIPT, "echo $V", e2, 1), 0);
        assert_int_equal(pf_record(&c, TP_BATCH_EXEC, "echo $V", NULL, 0), 0);
        assert_int_equal(pf_record(&c, TP_BATCH_EXEC, "exit 75", NULL, 0), 0);
        assert_int_equal(c.n, 4);
        assert_null(pf_answer(&c, 7, TP_BATCH_SCRIPT, "echo $V", e1, 1));
        struct pharos_error err = {0};
        assert_int_equal(pf_send(&c, tp, 7, &err), 0);
        assert_int_equal(tp_round_trips(tp), 1);
        const struct tp_result *a = pf_answer(&c, 7, TP_BATCH_SCRIPT, "echo $V", e1, 1);
        assert_non_null(a);
        assert_string_equal(a->out, "1\n");
        a = pf_answer(&c, 7, TP_BATCH_SCRIPT, "echo $V", e2, 1);
        assert_non_null(a);
        assert_string_equal(a->out, "2\n");
        a = pf_answer(&c, 7, TP_BATCH_EXEC, "echo $V", NULL, 0);
        assert_non_null(a);
        assert_string_equal(a->out, "\n");
        /* Another kind, other variables, another text: not answered. */
        assert_null(pf_answer(&c, 7, TP_BATCH_READ, "echo $V", NULL, 0));
        assert_null(pf_answer(&c, 7, TP_BATCH_SCRIPT, "echo $V", NULL, 0));
        assert_null(pf_answer(&c, 7, TP_BATCH_SCRIPT, "echo  $V", e1, 1));
        /* A transient failure is asked again, by the step's retry. */
        assert_null(pf_answer(&c, 7, TP_BATCH_EXEC, "exit 75", NULL, 0));
        /* A step's run() moved the generation on: stale. */
        assert_null(pf_answer(&c, 8, TP_BATCH_SCRIPT, "echo $V", e1, 1));
        pf_free(&c);
        assert_int_equal(c.n, 0);
        tp_close(tp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_batch_same_as_alone),
                cmocka_unit_test(test_batch_cleans_up),
                cmocka_unit_test(test_batch_refuses_bad_name),
                cmocka_unit_test(test_cache),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
