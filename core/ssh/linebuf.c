#include <string.h>

#include "ssh/linebuf.h"

void linebuf_init(struct linebuf *lb)
{
        lb->len = 0;
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_emit emit, void *ud)
{
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t take = nl ? (size_t)(nl - data) : n;
                /* A complete line with nothing buffered goes out without a copy. */
                if (nl && lb->len == 0 && take <= LINEBUF_SIZE) {
                        emit(ud, data, take);
                        data += take + 1;
                        n -= take + 1;
                        continue;
                }
                size_t room = LINEBUF_SIZE - lb->len;
                size_t part = take < room ? take : room;
                memcpy(lb->buf + lb->len, data, part);
                lb->len += part;
                data += part;
                n -= part;
                if (nl && part == take) {
                        emit(ud, lb->buf, lb->len);
                        lb->len = 0;
                        data++;
                        n--;
                } else if (lb->len == LINEBUF_SIZE) {
                        emit(ud, lb->buf, lb->len);
                        lb->len = 0;
                }
        }
}

void linebuf_flush(struct linebuf *lb, linebuf_emit emit, void *ud)
{
        if (lb->len > 0)
                emit(ud, lb->buf, lb->len);
        lb->len = 0;
}
