/*
 * Runs a job once per host with bounded concurrency: at most `concurrency`
 * threads, each taking the next host when it finishes one. State is per
 * thread, not per host, so memory follows the concurrency, not the host
 * count; failures are counted per host and the first few kept for the summary.
 */
#ifndef PHAROS_CORE_EXEC_EXECUTOR_H
#define PHAROS_CORE_EXEC_EXECUTOR_H

#include <stddef.h>

#include "util/error.h"

#define XR_DEFAULT_CONCURRENCY 30
#define XR_KEPT_FAILURES       5

/* Does the work for host i; returns 0 or <0 with err set (err->msg is
 * expected to name the host). Called from several threads at once. */
typedef int (*xr_job)(void *ud, size_t i, struct pharos_error *err);

struct xr_failure {
        size_t index;
        char msg[320]; /* a longer message keeps its head and its end */
};

struct xr_report {
        size_t n;           /* hosts to run */
        size_t failed;      /* hosts whose job failed */
        size_t not_started; /* hosts left after a failure (xr_run_until_failure) */
        size_t kept;        /* entries filled in first[] (the lowest host indexes) */
        struct xr_failure first[XR_KEPT_FAILURES];
};

/* Runs job for i = 0..n-1 on up to `concurrency` threads (0: the default).
 * Returns 0 if every job succeeded, PERR_FAIL otherwise; rep is filled. */
int xr_run(size_t n, unsigned concurrency, xr_job job, void *ud, struct xr_report *rep);

/* As xr_run, for a rolling change (one host after the other, or `concurrency`
 * at a time): once a job fails no further host starts, and the hosts left are
 * counted in rep->not_started. The jobs already running finish. */
int xr_run_until_failure(size_t n, unsigned concurrency, xr_job job, void *ud,
                         struct xr_report *rep);

/* "failed on 2 of 50 hosts: MSG; MSG" (", and N more" beyond the kept ones; then
 * "; the step stopped there: N later hosts not tried" when some were left). */
void xr_summary(const struct xr_report *rep, char *buf, size_t cap);

/* Records a failure of host i into rep (thread-unsafe; xr_run serialises it). */
void xr_record(struct xr_report *rep, size_t i, const char *msg);

#endif
