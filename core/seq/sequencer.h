/*
 * Orders steps: by phase (the caller's phase list), then topologically inside
 * each phase by their after/before references. Ties between steps that are
 * ready at the same time go to the smaller id (strcmp), so the order never
 * depends on plugin load order or on static vs module builds.
 *
 * A reference prefixed with '?' is optional (ignored when unknown). A
 * reference to a step of an earlier phase (for `after`) or a later phase (for
 * `before`) is already satisfied by phase order; the opposite is an error.
 */
#ifndef PHAROS_CORE_SEQUENCER_H
#define PHAROS_CORE_SEQUENCER_H

#include <stddef.h>

#include "util/error.h"

/* The sequencer's view of a step; strings are borrowed. */
struct seq_node {
        const char *id;
        const char *phase;
        const char *const *after;  /* NULL-terminated, or NULL */
        const char *const *before; /* NULL-terminated, or NULL */
};

/*
 * Writes into order[] (n entries) the indices of nodes in execution order.
 * Returns 0, or PERR_USAGE with err naming the problem: an unknown phase, a
 * duplicate id, an unknown reference, a reference against phase order, or a
 * cycle printed as its whole path ("a -> b -> c -> a", read "runs before").
 */
int seq_resolve(const char *const *phases, size_t n_phases, const struct seq_node *nodes, size_t n,
                size_t *order, struct pharos_error *err);

#endif
