/*
 * One run at a time per cluster. A run that changes the cluster (up, reset)
 * holds the cluster lock from its connection to its end:
 *   - a lock file on the first master of cluster.yml (lock_host.sh), taken
 *     first by every run, so there is a lock before any API exists;
 *   - the Lease kube-system/pharos-lock (coordination.k8s.io/v1) as soon as
 *     the API exists, from the first phase on (before anything changes),
 *     taken with resourceVersion preconditions (a 409 means another run
 *     won), so runs whose cluster.yml names another first master still
 *     exclude each other.
 * Both are renewed by a thread of their own every third of their duration;
 * a run that is killed or cut off stops renewing, and its lock expires.
 */
#ifndef PHAROS_CORE_RUN_LOCK_H
#define PHAROS_CORE_RUN_LOCK_H

#include "run/run.h"

/* Seconds a lock lives without renewal (the Lease's leaseDurationSeconds). */
#define RUN_LOCK_TTL_S 30
/* How long a run waits for another run's lock by default (--lock-timeout). */
#define RUN_LOCK_TIMEOUT_DEFAULT_S 300

/* The help text of --lock-timeout, shared by the commands that take the lock. */
#define RUN_LOCK_TIMEOUT_HELP                                                                      \
        "      --lock-timeout S  seconds to wait while another pharos run holds the\n"             \
        "                        cluster's lock (default 300, 0: do not wait)\n"

/* Parses a --lock-timeout value (0..86400 seconds). Returns 0 or -1. */
int run_lock_parse_timeout(const char *text, double *out);

/*
 * Takes the cluster lock for r (connected), waiting up to timeout_s seconds
 * while another run holds it. Sets r->lock and r->phase_hook (which takes the
 * Lease once the control plane exists). Returns 0, or PERR_FAIL with err
 * naming the holder (host, pid, user, start time) or why the lock can't be
 * taken; nothing is held then.
 */
int run_lock_take(struct run *r, double timeout_s, struct pharos_error *err);

/* Releases what r holds (nothing when r->lock is NULL) and stops renewing. */
void run_lock_release(struct run *r);

#endif
