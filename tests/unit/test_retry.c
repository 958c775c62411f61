/* Retrying transient failures: backoff, the per-host budget, and which
 * failures count as transient (refused connections, API 429/5xx). */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/client.h"
#include "run/retry.h"
#include "ssh/transport.h"

static void backoff_doubles_up_to_a_cap(void **s)
{
        (void)s;
        assert_true(retry_delay(1) == 1.0);
        assert_true(retry_delay(2) == 2.0);
        assert_true(retry_delay(3) == 4.0);
        assert_true(retry_delay(5) == 16.0);
        assert_true(retry_delay(6) == 30.0);
        assert_true(retry_delay(1000) == 30.0);
}

static void budget_is_charged_and_bounded(void **s)
{
        (void)s;
        double spent = 0;
        assert_int_equal(retry_afford(&spent, 10, 0.5, 1), 1);
        assert_true(spent == 1.5);
        assert_int_equal(retry_afford(&spent, 10, 0.5, 2), 1);
        assert_true(spent == 4.0);
        /* 4 + 3 + 4 > 10: refused, nothing charged. */
        assert_int_equal(retry_afford(&spent, 10, 3, 4), 0);
        assert_true(spent == 4.0);
        assert_int_equal(retry_afford(&spent, 10, 2, 4), 1);
        assert_true(spent == 10.0);
        double none = 0;
        assert_int_equal(retry_afford(&none, 0, 0, 1), 0);
        assert_int_equal(retry_afford(&none, -1, 0, 1), 0);
}

static void run_budget_default_and_none(void **s)
{
        (void)s;
        struct run r = {0};
        assert_true(retry_budget(&r) == RETRY_DEFAULT_BUDGET_S);
        r.opts.retry_budget = 42;
        assert_true(retry_budget(&r) == 42);
        r.opts.retry_budget = -1;
        assert_true(retry_budget(&r) < 0);
}

static void exhausted_budget_gives_up_with_reason(void **s)
{
        (void)s;
        struct cfg_host cfg = {.address = "10.0.0.1", .role = "worker"};
        struct run r = {0};
        struct run_host h = {.cfg = &cfg, .retry_spent = 9.5};
        r.opts.retry_budget = 10;
        char why[160] = "";
        /* 9.5 + 0.2 + 1 s backoff > 10: no sleep, no retry. */
        assert_int_equal(
                run_retry(&r, &h, "join", "kubeadm.join", 3, 0.2, "refused", why, sizeof(why)), 0);
        assert_non_null(strstr(why, "gave up after 3 attempts"));
        assert_non_null(strstr(why, "of the 10 s retry budget"));
        assert_true(h.retry_spent == 9.5);
        r.opts.retry_budget = -1;
        assert_int_equal(
                run_retry(&r, &h, "join", "kubeadm.join", 1, 0, "refused", why, sizeof(why)), 0);
        assert_string_equal(why, "transient, retries disabled");
}

static void api_statuses(void **s)
{
        (void)s;
        assert_true(kube_status_transient(429));
        assert_true(kube_status_transient(500));
        assert_true(kube_status_transient(503));
        assert_false(kube_status_transient(200));
        assert_false(kube_status_transient(404));
        assert_false(kube_status_transient(409));
        assert_false(kube_status_transient(422));
}

/* A port with nothing listening: what a host shows while sshd restarts. */
static void refused_connection_is_transient(void **s)
{
        (void)s;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        socklen_t len = sizeof(a);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        close(fd); /* bound, never listened: the port now refuses */
        struct tp_target t = {.address = "127.0.0.1", .port = ntohs(a.sin_port), .user = "x"};
        struct tp_opts o = {.connect_timeout_ms = 2000, .known_hosts = "/dev/null"};
        struct transport *tp = NULL;
        struct pharos_error err = {0};
        assert_int_equal(tp_open(&t, &o, &tp, &err), PERR_TRANSIENT);
        assert_non_null(strstr(err.msg, "refused"));
        assert_null(tp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(backoff_doubles_up_to_a_cap),
                cmocka_unit_test(budget_is_charged_and_bounded),
                cmocka_unit_test(run_budget_default_and_none),
                cmocka_unit_test(exhausted_budget_gives_up_with_reason),
                cmocka_unit_test(api_statuses),
                cmocka_unit_test(refused_connection_is_transient),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
