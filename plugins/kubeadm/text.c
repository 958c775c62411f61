/* Text helpers: a growing buffer, YAML and shell quoting, random secrets. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kadm.h"

static int kb_reserve(struct kbuf *b, size_t more)
{
        if (b->oom)
                return -1;
        if (b->len + more + 1 <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + more + 1)
                cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
                b->oom = 1;
                return -1;
        }
        b->p = p;
        b->cap = cap;
        return 0;
}

void kb_printf(struct kbuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || kb_reserve(b, (size_t)n) < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void kb_quoted(struct kbuf *b, const char *s)
{
        kb_printf(b, "\"");
        for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
                if (*c == '"' || *c == '\\')
                        kb_printf(b, "\\%c", *c);
                else if (*c == '\n')
                        kb_printf(b, "\\n");
                else if (*c == '\t')
                        kb_printf(b, "\\t");
                else if (*c < 0x20 || *c == 0x7f)
                        kb_printf(b, "\\u%04x", *c);
                else
                        kb_printf(b, "%c", *c);
        }
        kb_printf(b, "\"");
}

void kb_free(struct kbuf *b)
{
        free(b->p);
        *b = (struct kbuf){0};
}

void kadm_api_url(const char *address, char *buf, size_t size)
{
        snprintf(buf, size, strchr(address, ':') ? "https://[%s]:%d" : "https://%s:%d", address,
                 KADM_API_PORT);
}

unsigned kadm_script_changes(const char *out, char *buf, size_t size)
{
        static const char prefix[] = "pharos-change: ";
        unsigned n = 0;
        size_t off = 0;
        buf[0] = '\0';
        for (const char *p = strstr(out, prefix); p; p = strstr(p, prefix)) {
                p += sizeof(prefix) - 1;
                size_t len = strcspn(p, "\n");
                if (off < size) {
                        int w = snprintf(buf + off, size - off, "%s%.*s", n ? "; " : "", (int)len,
                                         p);
                        off += w > 0 ? (size_t)w : 0;
                }
                n++;
                p += len;
        }
        return n;
}

char *kadm_shq(const char *s)
{
        size_t n = 3;
        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        char *out = malloc(n);
        if (!out)
                return NULL;
        char *o = out;
        *o++ = '\'';
        for (const char *c = s; *c; c++) {
                if (*c == '\'') {
                        memcpy(o, "'\\''", 4);
                        o += 4;
                } else {
                        *o++ = *c;
                }
        }
        *o++ = '\'';
        *o = '\0';
        return out;
}

static int random_bytes(unsigned char *buf, size_t n)
{
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        size_t got = 0;
        while (got < n) {
                ssize_t r = read(fd, buf + got, n - got);
                if (r <= 0) {
                        close(fd);
                        return -1;
                }
                got += (size_t)r;
        }
        close(fd);
        return 0;
}

int kadm_random_hex(size_t n, char *out, size_t out_len)
{
        unsigned char buf[64];
        if (n > sizeof(buf) || out_len < 2 * n + 1 || random_bytes(buf, n) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", buf[i]);
        memset(buf, 0, sizeof(buf));
        return 0;
}

int kadm_random_base64(size_t n, char *out, size_t out_len)
{
        static const char tab[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        unsigned char buf[64];
        if (n > sizeof(buf) || out_len < (n + 2) / 3 * 4 + 1 || random_bytes(buf, n) < 0)
                return -1;
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned)buf[i] << 16;
                if (i + 1 < n)
                        v |= (unsigned)buf[i + 1] << 8;
                if (i + 2 < n)
                        v |= buf[i + 2];
                out[o++] = tab[(v >> 18) & 63];
                out[o++] = tab[(v >> 12) & 63];
                out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
                out[o++] = i + 2 < n ? tab[v & 63] : '=';
        }
        out[o] = '\0';
        memset(buf, 0, sizeof(buf));
        return 0;
}
