#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seq/sequencer.h"

struct graph {
        size_t n;
        const struct seq_node *nodes;
        size_t *phase_of;    /* phase index per node */
        unsigned char *edge; /* n*n matrix: edge[a*n+b] = a runs before b */
};

static long find_phase(const char *const *phases, size_t n_phases, const char *name)
{
        for (size_t i = 0; i < n_phases; i++)
                if (strcmp(phases[i], name) == 0)
                        return (long)i;
        return -1;
}

static long find_node(const struct graph *g, const char *id)
{
        for (size_t i = 0; i < g->n; i++)
                if (strcmp(g->nodes[i].id, id) == 0)
                        return (long)i;
        return -1;
}

/* Adds the edge for node i's reference `ref`; `is_after` tells the direction. */
static int add_ref(struct graph *g, size_t i, const char *ref, int is_after,
                   struct pharos_error *err)
{
        int optional = ref[0] == '?';
        const char *id = optional ? ref + 1 : ref;
        const char *kind = is_after ? "after" : "before";
        long j = find_node(g, id);

        if (j < 0) {
                if (optional)
                        return 0;
                return perr_set(err, PERR_USAGE,
                                "step '%s' (phase '%s') is to run %s unknown step '%s'",
                                g->nodes[i].id, g->nodes[i].phase, kind, id);
        }
        size_t first = is_after ? (size_t)j : i, second = is_after ? i : (size_t)j;
        if (g->phase_of[first] == g->phase_of[second]) {
                g->edge[first * g->n + second] = 1;
                return 0;
        }
        if (g->phase_of[first] < g->phase_of[second])
                return 0;
        return perr_set(err, PERR_USAGE,
                        "step '%s' (phase '%s') is to run %s step '%s' of phase '%s', "
                        "which contradicts the phase order",
                        g->nodes[i].id, g->nodes[i].phase, kind, id, g->nodes[j].phase);
}

/* Prints a cycle among the nodes not yet placed (those with remaining in-degree). */
static int report_cycle(const struct graph *g, const size_t *indeg, struct pharos_error *err)
{
        size_t n = g->n, start = n, phase = SIZE_MAX;
        /* Look in the earliest blocked phase: there every unplaced node has an
         * unplaced predecessor, so walking back must end in a repeat. */
        for (size_t i = 0; i < n; i++)
                if (indeg[i] && g->phase_of[i] < phase)
                        phase = g->phase_of[i];
        for (size_t i = 0; i < n; i++)
                if (indeg[i] && g->phase_of[i] == phase &&
                    (start == n || strcmp(g->nodes[i].id, g->nodes[start].id) < 0))
                        start = i;
        if (start == n)
                return perr_set(err, PERR_FAIL, "internal error: no blocked step to report");
        size_t *walk = calloc(n + 1, sizeof(*walk));
        long *pos = malloc(n * sizeof(*pos));
        if (!walk || !pos) {
                free(walk);
                free(pos);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
                pos[i] = -1;
        size_t len = 0, cur = start;
        while (pos[cur] < 0) {
                pos[cur] = (long)len;
                walk[len++] = cur;
                size_t pred = n;
                for (size_t p = 0; p < n; p++)
                        if (indeg[p] && g->edge[p * n + cur] &&
                            (pred == n || strcmp(g->nodes[p].id, g->nodes[pred].id) < 0))
                                pred = p;
                if (pred == n) {
                        free(walk);
                        free(pos);
                        return perr_set(err, PERR_FAIL, "internal error: broken cycle walk");
                }
                cur = pred;
        }
        /* walk[pos[cur]..len-1] is the cycle backwards: print it forwards,
         * starting from its smallest id so the message is stable. */
        size_t lo = (size_t)pos[cur], clen = len - lo, first = 0;
        for (size_t k = 1; k < clen; k++)
                if (strcmp(g->nodes[walk[lo + k]].id, g->nodes[walk[lo + first]].id) < 0)
                        first = k;
        char path[768];
        size_t off = 0;
        path[0] = '\0';
        for (size_t k = 0; k <= clen; k++) {
                size_t idx = walk[lo + (first + clen - k % clen) % clen];
                off += (size_t)snprintf(path + off, off < sizeof(path) ? sizeof(path) - off : 0,
                                        k ? " -> %s" : "%s", g->nodes[idx].id);
        }
        int rc = perr_set(err, PERR_USAGE, "steps of phase '%s' form a cycle: %s",
                          g->nodes[cur].phase, path);
        free(walk);
        free(pos);
        return rc;
}

static int build(struct graph *g, const char *const *phases, size_t n_phases,
                 struct pharos_error *err)
{
        size_t n = g->n;
        for (size_t i = 0; i < n; i++) {
                long ph = find_phase(phases, n_phases, g->nodes[i].phase);
                if (ph < 0)
                        return perr_set(err, PERR_USAGE, "step '%s' names unknown phase '%s'",
                                        g->nodes[i].id, g->nodes[i].phase);
                g->phase_of[i] = (size_t)ph;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(g->nodes[i].id, g->nodes[j].id) == 0)
                                return perr_set(err, PERR_USAGE, "step id '%s' is registered twice",
                                                g->nodes[i].id);
        }
        for (size_t i = 0; i < n; i++) {
                int rc;
                for (const char *const *r = g->nodes[i].after; r && *r; r++)
                        if ((rc = add_ref(g, i, *r, 1, err)) < 0)
                                return rc;
                for (const char *const *r = g->nodes[i].before; r && *r; r++)
                        if ((rc = add_ref(g, i, *r, 0, err)) < 0)
                                return rc;
        }
        return 0;
}

/* Kahn's algorithm; among ready nodes the earliest phase, then the smallest id wins. */
static int sort(const struct graph *g, size_t *order, struct pharos_error *err)
{
        size_t n = g->n;
        size_t *indeg = calloc(n ? n : 1, sizeof(*indeg));
        unsigned char *done = calloc(n ? n : 1, 1);
        if (!indeg || !done) {
                free(indeg);
                free(done);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++)
                        indeg[b] += g->edge[a * n + b];
        int rc = 0;
        for (size_t placed = 0; placed < n; placed++) {
                size_t best = n;
                for (size_t i = 0; i < n; i++) {
                        if (done[i] || indeg[i])
                                continue;
                        if (best == n || g->phase_of[i] < g->phase_of[best] ||
                            (g->phase_of[i] == g->phase_of[best] &&
                             strcmp(g->nodes[i].id, g->nodes[best].id) < 0))
                                best = i;
                }
                /* A node blocked in an earlier phase must not let a later phase start. */
                size_t blocked_phase = n ? SIZE_MAX : 0;
                for (size_t i = 0; i < n; i++)
                        if (!done[i] && indeg[i] && g->phase_of[i] < blocked_phase)
                                blocked_phase = g->phase_of[i];
                if (best == n || g->phase_of[best] > blocked_phase) {
                        rc = report_cycle(g, indeg, err);
                        break;
                }
                done[best] = 1;
                order[placed] = best;
                for (size_t b = 0; b < n; b++)
                        if (g->edge[best * n + b])
                                indeg[b]--;
        }
        free(indeg);
        free(done);
        return rc;
}

int seq_resolve(const char *const *phases, size_t n_phases, const struct seq_node *nodes, size_t n,
                size_t *order, struct pharos_error *err)
{
        struct graph g = {.n = n, .nodes = nodes};
        g.phase_of = calloc(n ? n : 1, sizeof(*g.phase_of));
        g.edge = calloc(n ? n * n : 1, 1);
        int rc;
        if (!g.phase_of || !g.edge)
                rc = perr_set(err, PERR_NOMEM, "out of memory");
        else if ((rc = build(&g, phases, n_phases, err)) == 0)
                rc = sort(&g, order, err);
        free(g.phase_of);
        free(g.edge);
        return rc;
}
