/* Small helpers over yajl trees: lookups, and re-emitting a tree (keys
 * sorted when asked) so objects can be checksummed and amended. */
#ifndef PHAROS_CORE_JSON_H
#define PHAROS_CORE_JSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Value at a dotted path of object keys ("metadata.name"), or NULL. */
yajl_val json_get(yajl_val v, const char *dotted);
/* String at a dotted path, or NULL when absent or not a string. */
const char *json_get_str(yajl_val v, const char *dotted);

/* Writes v into g; with sort_keys the object keys come out in byte order. */
void json_emit(yajl_gen g, yajl_val v, int sort_keys);

/* Canonical text of v (sorted keys, no spaces); malloc'd, caller frees. */
char *json_canonical(yajl_val v);

/* Parses text into a tree (caller yajl_tree_free()s), or NULL with msg filled. */
yajl_val json_parse(const char *text, char *msg, size_t msg_size);

/* Hex SHA-256 of s into out[65]. */
void json_sha256_hex(const char *s, size_t len, char out[65]);

#endif
