#include <stdlib.h>

#include "plugin/step_order.h"
#include "seq/phases.h"
#include "seq/sequencer.h"

int steps_resolve(const struct registry *r, size_t **order, struct pharos_error *err)
{
        size_t n = r->n_steps;
        struct seq_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
        *order = calloc(n ? n : 1, sizeof(**order));
        if (!nodes || !*order) {
                free(nodes);
                free(*order);
                *order = NULL;
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                const struct pharos_step *s = &r->steps[i].step;
                nodes[i] = (struct seq_node){s->id, s->phase, s->after, s->before};
        }
        int rc = seq_resolve(phase_names, phase_count(), nodes, n, *order, err);
        free(nodes);
        if (rc < 0) {
                free(*order);
                *order = NULL;
        }
        return rc;
}
