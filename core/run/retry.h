/*
 * Transient failures retried per host within a time budget, like the original
 * pharos, which retried for up to 600 s: an SSH connection refused or reset,
 * an API that answers 5xx/429 or not at all while it starts, a host command
 * exiting RETRY_EXIT_TEMPFAIL. Anything else (a script error) fails at once.
 */
#ifndef PHAROS_CORE_RUN_RETRY_H
#define PHAROS_CORE_RUN_RETRY_H

#include <pharos/host.h>

#include "run/run.h"

/* Seconds of retrying each host gets when the run does not say. */
#define RETRY_DEFAULT_BUDGET_S 600.0
/* sysexits' EX_TEMPFAIL: a host command's way to say "ask me again later". */
#define RETRY_EXIT_TEMPFAIL PHAROS_EXIT_TRANSIENT

/* Wait before the next attempt after `failures` failed ones (>= 1): 1 s,
 * doubling, at most 30 s. */
double retry_delay(unsigned failures);

/*
 * Charges a failed attempt that took attempt_s and the wait that would follow
 * it to *spent. Returns 1 (and updates *spent) if that stays within budget_s,
 * 0 if not (and leaves *spent alone). budget_s <= 0 never allows a retry.
 */
int retry_afford(double *spent, double budget_s, double attempt_s, double delay_s);

/* The run's per-host budget: opts.retry_budget, 0 meaning the default, <0 none. */
double retry_budget(const struct run *r);

/*
 * After a transient failure of attempt `attempt` (1-based) of `step` in
 * `phase` on host h that took attempt_s: when the host's budget allows,
 * reports the retry (progress event and warning naming host, step, attempt),
 * sleeps the backoff and returns 1; otherwise returns 0 and writes why into
 * gave_up (for the final error).
 */
int run_retry(struct run *r, struct run_host *h, const char *phase, const char *step,
              unsigned attempt, double attempt_s, const char *why, char *gave_up,
              size_t gave_up_size);

#endif
