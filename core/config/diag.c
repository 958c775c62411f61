#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"

void cfg_diag_add(struct cfg_diags *d, int severity, int line, int col, const char *fmt, ...)
{
        if (severity == CFG_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        if (d->n >= CFG_MAX_DIAGS) {
                d->dropped++;
                return;
        }
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 16;
                struct cfg_diag *v = realloc(d->v, cap * sizeof(*v));
                if (!v) {
                        d->fatal = 1;
                        return;
                }
                d->v = v;
                d->cap = cap;
        }
        va_list ap;
        va_start(ap, fmt);
        char *msg = NULL;
        int rc = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (rc < 0) {
                d->fatal = 1;
                return;
        }
        d->v[d->n] = (struct cfg_diag){severity, line, col, d->n, msg};
        d->n++;
}

static int by_position(const void *a, const void *b)
{
        const struct cfg_diag *x = a, *y = b;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        if (x->col != y->col)
                return x->col < y->col ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_diag_print(struct cfg_diags *d, const char *name, FILE *f)
{
        if (d->n)
                qsort(d->v, d->n, sizeof(*d->v), by_position);
        for (size_t i = 0; i < d->n; i++) {
                const struct cfg_diag *g = &d->v[i];
                const char *sev = g->severity == CFG_ERROR ? "error" : "warning";
                if (g->line > 0)
                        fprintf(f, "%s:%d:%d: %s: %s\n", name, g->line, g->col, sev, g->msg);
                else
                        fprintf(f, "%s: %s: %s\n", name, sev, g->msg);
        }
        if (d->dropped)
                fprintf(f, "%s: error: %zu more problems not shown\n", name, d->dropped);
}

void cfg_diag_free(struct cfg_diags *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->v[i].msg);
        free(d->v);
        memset(d, 0, sizeof(*d));
}
