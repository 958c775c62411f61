#include <stdlib.h>
#include <string.h>

#include "ssh/shquote.h"

static size_t quoted_len(const char *s)
{
        size_t n = 2;
        for (; *s; s++)
                n += *s == '\'' ? 4 : 1;
        return n;
}

int shq_append(char *buf, size_t cap, const char *s)
{
        size_t used = strlen(buf);
        if (used + quoted_len(s) + 1 > cap)
                return -1;
        char *p = buf + used;
        *p++ = '\'';
        for (; *s; s++) {
                if (*s == '\'') {
                        /* close the quote, add an escaped quote, reopen */
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else {
                        *p++ = *s;
                }
        }
        *p++ = '\'';
        *p = '\0';
        return 0;
}

char *shq_word(const char *s)
{
        size_t cap = quoted_len(s) + 1;
        char *w = malloc(cap);
        if (!w)
                return NULL;
        w[0] = '\0';
        shq_append(w, cap, s);
        return w;
}
