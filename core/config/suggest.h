/* "Did you mean" for unknown keys: the closest candidate by edit distance. */
#ifndef PHAROS_CORE_CONFIG_SUGGEST_H
#define PHAROS_CORE_CONFIG_SUGGEST_H

#include <stddef.h>

/*
 * Edit distance (insert, delete, substitute, swap of neighbours) between a
 * and b, stopping early at `limit` + 1.
 */
size_t cfg_edit_distance(const char *a, const char *b, size_t limit);

/* True when candidate is close enough to word to be offered as a correction. */
int cfg_is_close(const char *word, const char *candidate);

#endif
