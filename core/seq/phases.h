/* The core's phases, in execution order, and the sequences built from them. */
#ifndef PHAROS_CORE_PHASES_H
#define PHAROS_CORE_PHASES_H

#include <stddef.h>

/* A sequence (up, worker-up, reset) and the phases it runs, in order. */
struct phase_sequence {
        const char *name;
        const char *const *phases; /* NULL-terminated */
};

/* Every phase, NULL-terminated, in the one global order all sequences respect. */
extern const char *const phase_names[];
size_t phase_count(void);

/* NULL-terminated list of sequences. */
extern const struct phase_sequence phase_sequences[];

#endif
