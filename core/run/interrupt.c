#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/interrupt.h"

static int interrupted;
static sigset_t stop_signals;
/* What the first signal is answered with (run_signals_notice). */
static const char *notice = "pharos: interrupted: no new step starts, running commands finish, "
                            "the lock is released (again to stop at once)\n";

/* Written with write(2) only: the process may be ending under a held stdio lock. */
static void say(const char *msg)
{
        ssize_t w = write(STDERR_FILENO, msg, strlen(msg));
        (void)w;
}

static void *signal_thread(void *arg)
{
        (void)arg;
        for (;;) {
                int sig = 0;
                if (sigwait(&stop_signals, &sig) != 0)
                        continue;
                int expected = 0;
                if (__atomic_compare_exchange_n(&interrupted, &expected, sig, 0, __ATOMIC_SEQ_CST,
                                                __ATOMIC_SEQ_CST)) {
                        say(notice);
                        continue;
                }
                /* The lock left behind expires; the next `pharos up` repairs the rest. */
                say("pharos: interrupted again: stopping now\n");
                _exit(RUN_INTERRUPTED_EXIT);
        }
        return NULL;
}

/* A forked child (a ProxyCommand, a local command) gets the default handling back. */
static void child_unblock(void)
{
        sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
}

void run_signals_notice(const char *text)
{
        notice = text;
}

int run_signals_start(void)
{
        static int started;
        if (started)
                return 0;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        sigset_t old;
        if (pthread_sigmask(SIG_BLOCK, &stop_signals, &old) != 0)
                return -1;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, signal_thread, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                return -1;
        }
        pthread_atfork(NULL, NULL, child_unblock);
        started = 1;
        return 0;
}

int run_interrupted(void)
{
        return __atomic_load_n(&interrupted, __ATOMIC_SEQ_CST);
}

const char *run_interrupt_reason(void)
{
        return run_interrupted() == SIGTERM ? "interrupted by SIGTERM" : "interrupted by SIGINT";
}

int run_sleep(double seconds)
{
        struct timespec end, now;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += (time_t)seconds;
        end.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
        if (end.tv_nsec >= 1000000000L) {
                end.tv_sec++;
                end.tv_nsec -= 1000000000L;
        }
        for (;;) {
                if (run_interrupted())
                        return 1;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec > end.tv_sec ||
                    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
                        return 0;
                /* Short slices: an interrupt is seen within a tenth of a second. */
                struct timespec slice = {0, 100000000L};
                while (nanosleep(&slice, &slice) != 0 && errno == EINTR)
                        ;
        }
}
