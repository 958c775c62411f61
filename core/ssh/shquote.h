/* Quoting words for a POSIX shell on the remote side. */
#ifndef PHAROS_CORE_SSH_SHQUOTE_H
#define PHAROS_CORE_SSH_SHQUOTE_H

#include <stddef.h>

/* Appends s to buf (NUL-terminated, capacity cap) as one single-quoted shell
 * word. Returns 0, or -1 when it does not fit (buf is then unchanged). */
int shq_append(char *buf, size_t cap, const char *s);

/* Returns a malloc'd copy of s as one single-quoted word, or NULL. Caller frees. */
char *shq_word(const char *s);

#endif
