/*
 * SIGINT and SIGTERM during a run that changes the cluster (up, reset): the
 * first one asks the run to stop starting steps (commands already running on
 * hosts finish, the cluster lock is released, the final event is written,
 * exit status 130); a second one ends the process at once.
 */
#ifndef PHAROS_CORE_RUN_INTERRUPT_H
#define PHAROS_CORE_RUN_INTERRUPT_H

/* The exit status of an interrupted run (as a shell reports SIGINT). */
#define RUN_INTERRUPTED_EXIT 130

/*
 * Blocks SIGINT and SIGTERM in the calling thread (and so in every thread
 * it starts later; child processes get the signals back) and starts the
 * thread that receives them. Call before any other thread exists.
 * Returns 0, or -1 when the thread can't be started (signals unchanged).
 */
int run_signals_start(void);

/* Replaces what the first signal is answered with on stderr (a static string,
 * ending in a newline), for commands that are not a run of steps. Call before
 * run_signals_start(). */
void run_signals_notice(const char *text);

/* 0, or the number of the first signal received. */
int run_interrupted(void);

/* "interrupted by SIGINT" (or SIGTERM), for messages. */
const char *run_interrupt_reason(void);

/* Sleeps up to `seconds`, returning early (1) when the run is interrupted. */
int run_sleep(double seconds);

#endif
