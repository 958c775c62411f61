/*
 * Located problems found while loading cluster.yml. Collected rather than
 * printed at once so every problem is reported, sorted by position, as
 * FILE:LINE:COL: error|warning: MESSAGE.
 */
#ifndef PHAROS_CORE_CONFIG_DIAG_H
#define PHAROS_CORE_CONFIG_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum cfg_severity {
        CFG_ERROR = 0,
        CFG_WARNING,
};

struct cfg_diag {
        int severity;
        int line, col; /* 1-based; 0 when the problem has no position */
        size_t seq;    /* insertion order, keeps the sort stable */
        char *msg;     /* owned */
};

/* At most this many are kept; the rest are only counted. */
#define CFG_MAX_DIAGS 200

struct cfg_diags {
        struct cfg_diag *v;
        size_t n, cap;
        size_t n_errors, n_warnings;
        size_t dropped;
        int fatal; /* set when loading cannot go on (no tree, or out of memory) */
};

void cfg_diag_add(struct cfg_diags *d, int severity, int line, int col, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
#define cfg_error(d, line, col, ...)   cfg_diag_add((d), CFG_ERROR, (line), (col), __VA_ARGS__)
#define cfg_warning(d, line, col, ...) cfg_diag_add((d), CFG_WARNING, (line), (col), __VA_ARGS__)

/* Sorts by position and prints every diagnostic of d for file `name` on f. */
void cfg_diag_print(struct cfg_diags *d, const char *name, FILE *f);
void cfg_diag_free(struct cfg_diags *d);

#endif
