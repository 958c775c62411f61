/*
 * Splits a byte stream into lines for prefixed output. Fixed-size state, so a
 * connection's cost does not depend on how much its command prints: a line
 * longer than the buffer is emitted in pieces.
 */
#ifndef PHAROS_CORE_SSH_LINEBUF_H
#define PHAROS_CORE_SSH_LINEBUF_H

#include <stddef.h>

#define LINEBUF_SIZE 4096

/* Called once per line, without its '\n'. */
typedef void (*linebuf_emit)(void *ud, const char *line, size_t len);

struct linebuf {
        char buf[LINEBUF_SIZE];
        size_t len;
};

void linebuf_init(struct linebuf *lb);
/* Feeds n bytes; emits every line completed by them. */
void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_emit emit, void *ud);
/* Emits what is left after the last '\n' (a final unterminated line). */
void linebuf_flush(struct linebuf *lb, linebuf_emit emit, void *ud);

#endif
