/* Orders every registered step by the core's phases (see seq/sequencer.h). */
#ifndef PHAROS_CORE_STEP_ORDER_H
#define PHAROS_CORE_STEP_ORDER_H

#include <stddef.h>

#include "plugin/registry.h"
#include "util/error.h"

/* On success *order (malloc'd, caller frees) holds r->n_steps indices into r->steps. */
int steps_resolve(const struct registry *r, size_t **order, struct pharos_error *err);

#endif
