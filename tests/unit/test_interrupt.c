/* SIGINT and SIGTERM during a run (run/interrupt.h): the first is noted and
 * ends waits early, a second ends the process at once with 130, and child
 * processes get the signals' default handling back. Each case runs in a
 * child process: the signal handling is process-wide and its end is _exit. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/interrupt.h"

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Waits up to 2 s for the signal thread to note a signal. */
static int noted(void)
{
        for (int i = 0; i < 200 && !run_interrupted(); i++)
                usleep(10000);
        return run_interrupted();
}

/* Runs body in a child; returns its wait status and how long it took. */
static int in_child(int (*body)(void), double *took)
{
        double t0 = now_s();
        pid_t pid = fork();
        if (pid == 0)
                _exit(body());
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
                ;
        if (took)
                *took = now_s() - t0;
        return st;
}

static int first_sigint(void)
{
        if (run_signals_start() != 0)
                return 10;
        if (run_interrupted() != 0)
                return 11;
        kill(getpid(), SIGINT);
        if (noted() != SIGINT)
                return 12;
        if (strcmp(run_interrupt_reason(), "interrupted by SIGINT") != 0)
                return 13;
        double t0 = now_s();
        if (run_sleep(5) != 1 || now_s() - t0 > 1)
                return 14;
        return 0;
}

static void first_signal_is_noted_and_ends_waits(void **s)
{
        (void)s;
        int st = in_child(first_sigint, NULL);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

static int first_sigterm(void)
{
        if (run_signals_start() != 0)
                return 10;
        kill(getpid(), SIGTERM);
        if (noted() != SIGTERM)
                return 12;
        return strcmp(run_interrupt_reason(), "interrupted by SIGTERM") == 0 ? 0 : 13;
}

static void sigterm_is_an_interrupt_too(void **s)
{
        (void)s;
        int st = in_child(first_sigterm, NULL);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

static int two_sigints(void)
{
        if (run_signals_start() != 0)
                return 10;
        kill(getpid(), SIGINT);
        if (noted() != SIGINT)
                return 12;
        kill(getpid(), SIGINT);
        /* Commands still running: only the second signal may end this. */
        sleep(10);
        return 0;
}

static void second_signal_ends_at_once(void **s)
{
        (void)s;
        double took = 0;
        int st = in_child(two_sigints, &took);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), RUN_INTERRUPTED_EXIT);
        assert_true(took < 5);
}

static int child_of_run(void)
{
        if (run_signals_start() != 0)
                return 10;
        pid_t pid = fork();
        if (pid == 0) {
                execlp("sleep", "sleep", "10", (char *)NULL);
                _exit(127);
        }
        usleep(200000);
        kill(pid, SIGINT);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
                ;
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGINT)
                return 20;
        /* The child's signal was its own: this process was not interrupted. */
        return run_interrupted() == 0 ? 0 : 21;
}

static void children_get_the_signals_back(void **s)
{
        (void)s;
        int st = in_child(child_of_run, NULL);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

static void sleep_runs_its_time_when_not_interrupted(void **s)
{
        (void)s;
        double t0 = now_s();
        assert_int_equal(run_sleep(0.3), 0);
        assert_true(now_s() - t0 >= 0.3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(first_signal_is_noted_and_ends_waits),
                cmocka_unit_test(sigterm_is_an_interrupt_too),
                cmocka_unit_test(second_signal_ends_at_once),
                cmocka_unit_test(children_get_the_signals_back),
                cmocka_unit_test(sleep_runs_its_time_when_not_interrupted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
