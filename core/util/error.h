/* Error reporting inside the core: functions return 0 or a negative code and
 * fill a caller-provided struct pharos_error the caller can print. */
#ifndef PHAROS_CORE_ERROR_H
#define PHAROS_CORE_ERROR_H

enum {
        PERR_FAIL = -1,  /* something failed on a host or at run time */
        PERR_USAGE = -2, /* bad command line or configuration */
        PERR_NOMEM = -3,
        /* failed for a reason that may pass: connection refused or reset, API 5xx/429 */
        PERR_TRANSIENT = -4,
};

/* Code and one-line message; embedded by value, nothing to free. */
struct pharos_error {
        int code;
        char msg[1024];
};

/* Sets err (if not NULL) and returns code, for `return perr_set(...)`. */
int perr_set(struct pharos_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Maps an error code to the process exit code (0, 1 or 2). */
int perr_exit_code(int code);

#endif
