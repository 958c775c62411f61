#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executor.h"

/* Small stacks: a job needs little, and a hundred threads stay cheap. */
#define XR_STACK_SIZE ((size_t)256 * 1024)

struct pool {
        size_t n, next;
        int stop_at_failure;
        xr_job job;
        void *ud;
        struct xr_report *rep;
        pthread_mutex_t mu;
};

/* Bytes of a long message kept before the cut: enough for "phase P, host H, step S". */
#define XR_HEAD 120
#define XR_CUT  " [...] "

static int utf8_continuation(char c)
{
        return ((unsigned char)c & 0xC0) == 0x80;
}

/* msg into dst whole if it fits, else its head and its end around XR_CUT: the
 * head names where it failed, and a failed command's last line says why. Never
 * splits a UTF-8 sequence. */
static void keep_message(char *dst, size_t cap, const char *msg)
{
        size_t len = strlen(msg);
        if (len < cap) {
                memcpy(dst, msg, len + 1);
                return;
        }
        size_t head = XR_HEAD;
        while (head > 0 && utf8_continuation(msg[head]))
                head--;
        size_t tail_len = cap - 1 - XR_HEAD - strlen(XR_CUT);
        size_t from = len - tail_len;
        while (from < len && utf8_continuation(msg[from]))
                from++;
        snprintf(dst, cap, "%.*s%s%s", (int)head, msg, XR_CUT, msg + from);
}

void xr_record(struct xr_report *rep, size_t i, const char *msg)
{
        rep->failed++;
        /* keep the lowest indexes so the summary follows cluster.yml order */
        size_t pos = rep->kept;
        while (pos > 0 && rep->first[pos - 1].index > i)
                pos--;
        if (pos >= XR_KEPT_FAILURES)
                return;
        size_t last = rep->kept < XR_KEPT_FAILURES ? rep->kept : XR_KEPT_FAILURES - 1;
        memmove(&rep->first[pos + 1], &rep->first[pos], (last - pos) * sizeof(rep->first[0]));
        rep->first[pos].index = i;
        keep_message(rep->first[pos].msg, sizeof(rep->first[pos].msg), msg);
        if (rep->kept < XR_KEPT_FAILURES)
                rep->kept++;
}

static void *worker(void *arg)
{
        struct pool *p = arg;
        for (;;) {
                pthread_mutex_lock(&p->mu);
                size_t i = p->next < p->n ? p->next++ : p->n;
                pthread_mutex_unlock(&p->mu);
                if (i >= p->n)
                        return NULL;
                struct pharos_error err = {0};
                if (p->job(p->ud, i, &err) < 0) {
                        pthread_mutex_lock(&p->mu);
                        xr_record(p->rep, i, err.msg[0] ? err.msg : "failed");
                        if (p->stop_at_failure && p->next < p->n) {
                                p->rep->not_started += p->n - p->next;
                                p->next = p->n;
                        }
                        pthread_mutex_unlock(&p->mu);
                }
        }
}

static int run_pool(size_t n, unsigned concurrency, int stop_at_failure, xr_job job, void *ud,
                    struct xr_report *rep)
{
        memset(rep, 0, sizeof(*rep));
        rep->n = n;
        struct pool p = {
                .n = n, .stop_at_failure = stop_at_failure, .job = job, .ud = ud, .rep = rep};
        pthread_mutex_init(&p.mu, NULL);
        size_t threads = concurrency ? concurrency : XR_DEFAULT_CONCURRENCY;
        if (threads > n)
                threads = n;
        pthread_t *tids = calloc(threads ? threads : 1, sizeof(*tids));
        size_t started = 0;
        if (tids && threads > 1) {
                pthread_attr_t attr;
                pthread_attr_init(&attr);
                pthread_attr_setstacksize(&attr, XR_STACK_SIZE);
                for (; started + 1 < threads; started++)
                        if (pthread_create(&tids[started], &attr, worker, &p) != 0)
                                break;
                pthread_attr_destroy(&attr);
        }
        /* The calling thread works too (and alone when threads can't start). */
        worker(&p);
        for (size_t i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        free(tids);
        pthread_mutex_destroy(&p.mu);
        return rep->failed ? PERR_FAIL : 0;
}

int xr_run(size_t n, unsigned concurrency, xr_job job, void *ud, struct xr_report *rep)
{
        return run_pool(n, concurrency, 0, job, ud, rep);
}

int xr_run_until_failure(size_t n, unsigned concurrency, xr_job job, void *ud,
                         struct xr_report *rep)
{
        return run_pool(n, concurrency, 1, job, ud, rep);
}

void xr_summary(const struct xr_report *rep, char *buf, size_t cap)
{
        int n = snprintf(buf, cap, "failed on %zu of %zu host%s", rep->failed, rep->n,
                         rep->n == 1 ? "" : "s");
        for (size_t i = 0; i < rep->kept && n >= 0 && (size_t)n < cap; i++)
                n += snprintf(buf + n, cap - (size_t)n, "%s%s", i ? "; " : ": ", rep->first[i].msg);
        if (rep->failed > rep->kept && n >= 0 && (size_t)n < cap)
                n += snprintf(buf + n, cap - (size_t)n, "; and %zu more", rep->failed - rep->kept);
        if (rep->not_started && n >= 0 && (size_t)n < cap)
                snprintf(buf + n, cap - (size_t)n,
                         "; the step stopped there: %zu later host%s not tried", rep->not_started,
                         rep->not_started == 1 ? "" : "s");
}
