/* The parallel executor: every host runs once, concurrency is bounded,
 * failures are counted and summarised in host order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/executor.h"

struct state {
        pthread_mutex_t mu;
        int running, max_running;
        int runs[200];
        size_t fail_mod; /* hosts with i % fail_mod == 1 fail; 0: none */
};

static int job(void *ud, size_t i, struct pharos_error *err)
{
        struct state *st = ud;
        pthread_mutex_lock(&st->mu);
        st->runs[i]++;
        if (++st->running > st->max_running)
                st->max_running = st->running;
        pthread_mutex_unlock(&st->mu);
        usleep(2000);
        pthread_mutex_lock(&st->mu);
        st->running--;
        pthread_mutex_unlock(&st->mu);
        if (st->fail_mod && i % st->fail_mod == 1)
                return perr_set(err, PERR_FAIL, "h%zu: boom", i);
        return 0;
}

static void bounded_and_complete(void **s)
{
        (void)s;
        struct state st = {.mu = PTHREAD_MUTEX_INITIALIZER};
        struct xr_report rep;
        assert_int_equal(xr_run(200, 7, job, &st, &rep), 0);
        for (int i = 0; i < 200; i++)
                assert_int_equal(st.runs[i], 1);
        assert_true(st.max_running <= 7);
        assert_true(st.max_running >= 2);
        assert_int_equal(rep.failed, 0);
        assert_int_equal(rep.n, 200);
}

static void failures_summarised_in_host_order(void **s)
{
        (void)s;
        struct state st = {.mu = PTHREAD_MUTEX_INITIALIZER, .fail_mod = 25};
        struct xr_report rep;
        char text[512];
        assert_int_equal(xr_run(50, 0, job, &st, &rep), PERR_FAIL);
        assert_int_equal(rep.failed, 2);
        xr_summary(&rep, text, sizeof(text));
        assert_string_equal(text, "failed on 2 of 50 hosts: h1: boom; h26: boom");
}

/* A rolling change: one host after the other, and none after the one that failed
 * (host 1 here); with two at a time, what already runs finishes. */
static void until_failure_starts_no_more(void **s)
{
        (void)s;
        struct state st = {.mu = PTHREAD_MUTEX_INITIALIZER, .fail_mod = 25};
        struct xr_report rep;
        char text[512];
        assert_int_equal(xr_run_until_failure(5, 1, job, &st, &rep), PERR_FAIL);
        assert_int_equal(st.runs[0] + st.runs[1], 2);
        assert_int_equal(st.runs[2] + st.runs[3] + st.runs[4], 0);
        assert_int_equal(rep.failed, 1);
        assert_int_equal(rep.not_started, 3);
        xr_summary(&rep, text, sizeof(text));
        assert_string_equal(text, "failed on 1 of 5 hosts: h1: boom; the step stopped there: 3 "
                                  "later hosts not tried");

        struct state two = {.mu = PTHREAD_MUTEX_INITIALIZER, .fail_mod = 25};
        assert_int_equal(xr_run_until_failure(50, 2, job, &two, &rep), PERR_FAIL);
        /* How far the other thread got before host 1 failed is the scheduler's
         * business; that every host either ran or is counted is not. */
        int ran = 0;
        for (int i = 0; i < 50; i++)
                ran += two.runs[i];
        assert_true(ran >= 2);
        assert_int_equal((size_t)ran + rep.not_started, 50);
        assert_true(two.max_running <= 2);

        struct state none = {.mu = PTHREAD_MUTEX_INITIALIZER};
        assert_int_equal(xr_run_until_failure(9, 1, job, &none, &rep), 0);
        assert_int_equal(rep.not_started, 0);
        for (int i = 0; i < 9; i++)
                assert_int_equal(none.runs[i], 1);
}

static void summary_keeps_the_first_few(void **s)
{
        (void)s;
        struct xr_report rep = {.n = 10};
        char text[512];
        /* recorded out of order, as threads finish */
        size_t order[] = {9, 3, 7, 1, 5, 0, 8};
        for (size_t k = 0; k < 7; k++) {
                char msg[16];
                snprintf(msg, sizeof(msg), "h%zu", order[k]);
                xr_record(&rep, order[k], msg);
        }
        xr_summary(&rep, text, sizeof(text));
        assert_string_equal(text, "failed on 7 of 10 hosts: h0; h1; h3; h5; h7; and 2 more");
        struct xr_report one = {.n = 1};
        xr_record(&one, 0, "h0: down");
        xr_summary(&one, text, sizeof(text));
        assert_string_equal(text, "failed on 1 of 1 host: h0: down");
}

/* A long failure keeps its head (where it failed) and its end (why). */
static void long_message_keeps_head_and_end(void **s)
{
        (void)s;
        struct xr_report rep = {.n = 1};
        char msg[1024];
        int n = snprintf(msg, sizeof(msg), "phase control-plane, host h1, step kubeadm.init: ");
        /* a 3-byte UTF-8 character repeated, so any cut could land inside one */
        while (n < 900)
                n += snprintf(msg + n, sizeof(msg) - (size_t)n, "\xe2\x80\xa6");
        snprintf(msg + n, sizeof(msg) - (size_t)n,
                 "APIError: namespaces \"kube-system\" not found");
        xr_record(&rep, 0, msg);
        const char *kept = rep.first[0].msg;
        assert_true(strlen(kept) < sizeof(rep.first[0].msg));
        assert_non_null(strstr(kept, "phase control-plane, host h1, step kubeadm.init: "));
        assert_non_null(strstr(kept, " [...] "));
        const char *end = "APIError: namespaces \"kube-system\" not found";
        assert_string_equal(kept + strlen(kept) - strlen(end), end);
        for (const char *c = kept; *c; c++) {
                if (((unsigned char)*c & 0xE0) == 0xE0) {
                        assert_true(((unsigned char)c[1] & 0xC0) == 0x80);
                        assert_true(((unsigned char)c[2] & 0xC0) == 0x80);
                } else if (((unsigned char)*c & 0xC0) == 0x80) {
                        assert_true(c > kept && ((unsigned char)c[-1] & 0x80));
                }
        }
        /* the bytes around the cut are whole characters */
        const char *cut = strstr(kept, " [...] ");
        assert_true(((unsigned char)cut[-1] & 0xC0) == 0x80 || (unsigned char)cut[-1] < 0x80);
        assert_true(((unsigned char)cut[7] & 0xC0) != 0x80);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(bounded_and_complete),
                cmocka_unit_test(failures_summarised_in_host_order),
                cmocka_unit_test(until_failure_starts_no_more),
                cmocka_unit_test(summary_keeps_the_first_few),
                cmocka_unit_test(long_message_keeps_head_and_end),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
