#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

void abuf_init(struct abuf *b)
{
        b->s = NULL;
        b->len = b->cap = 0;
        b->ok = 1;
}

void abuf_free(struct abuf *b)
{
        free(b->s);
        abuf_init(b);
}

static int grow(struct abuf *b, size_t extra)
{
        if (!b->ok)
                return -1;
        if (b->s && b->len + extra + 1 <= b->cap)
                return 0;
        size_t cap = (b->len + extra + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
                b->ok = 0;
                return -1;
        }
        b->s = s;
        b->cap = cap;
        return 0;
}

void abuf_put(struct abuf *b, const char *s, size_t n)
{
        if (grow(b, n) < 0)
                return;
        if (n)
                memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

void abuf_puts(struct abuf *b, const char *s)
{
        abuf_put(b, s, strlen(s));
}

void abuf_printf(struct abuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || grow(b, (size_t)n) < 0) {
                b->ok = 0;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void abuf_json_str(struct abuf *b, const char *s)
{
        abuf_put(b, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        char esc[2] = {'\\', (char)*p};
                        abuf_put(b, esc, 2);
                } else if (*p == '\n') {
                        abuf_put(b, "\\n", 2);
                } else if (*p == '\t') {
                        abuf_put(b, "\\t", 2);
                } else if (*p < 0x20 || *p == 0x7f) {
                        abuf_printf(b, "\\u%04x", *p);
                } else {
                        abuf_put(b, (const char *)p, 1);
                }
        }
        abuf_put(b, "\"", 1);
}

/* YAML 1.2 core schema integer: [-+]?[0-9]+ (JSON wants no leading '+' or zeros). */
static int is_json_int(const char *s)
{
        const char *p = s + (*s == '-');
        if (!isdigit((unsigned char)*p) || (p[0] == '0' && p[1]))
                return 0;
        while (isdigit((unsigned char)*p))
                p++;
        return *p == '\0';
}

/* A JSON number with a fraction or exponent. */
static int is_json_float(const char *s)
{
        const char *p = s + (*s == '-');
        if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
                return 0;
        while (isdigit((unsigned char)*p))
                p++;
        int frac = 0;
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                        return 0;
                while (isdigit((unsigned char)*p))
                        p++;
                frac = 1;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (!isdigit((unsigned char)*p))
                        return 0;
                while (isdigit((unsigned char)*p))
                        p++;
                frac = 1;
        }
        return frac && *p == '\0';
}

void abuf_json_scalar(struct abuf *b, const char *text)
{
        static const char *const bare[] = {"null", "true", "false", NULL};
        static const char *const nulls[] = {"~", "Null", "NULL", NULL};
        static const char *const trues[] = {"True", "TRUE", NULL};
        static const char *const falses[] = {"False", "FALSE", NULL};
        if (!text) {
                abuf_puts(b, "null");
                return;
        }
        for (size_t i = 0; bare[i]; i++)
                if (strcmp(text, bare[i]) == 0) {
                        abuf_puts(b, text);
                        return;
                }
        for (size_t i = 0; nulls[i]; i++)
                if (strcmp(text, nulls[i]) == 0) {
                        abuf_puts(b, "null");
                        return;
                }
        for (size_t i = 0; trues[i]; i++)
                if (strcmp(text, trues[i]) == 0) {
                        abuf_puts(b, "true");
                        return;
                }
        for (size_t i = 0; falses[i]; i++)
                if (strcmp(text, falses[i]) == 0) {
                        abuf_puts(b, "false");
                        return;
                }
        if (is_json_int(text) || is_json_float(text))
                abuf_puts(b, text);
        else
                abuf_json_str(b, text);
}

char *abuf_take(struct abuf *b)
{
        if (!b->ok) {
                abuf_free(b);
                return NULL;
        }
        if (!b->s)
                abuf_put(b, "", 0);
        char *s = b->ok ? b->s : NULL;
        b->s = NULL;
        abuf_free(b);
        return s;
}

char *addon_render(const char *tmpl, const struct addon_var *vars, size_t n, char *bad,
                   size_t bad_size)
{
        struct abuf b;
        abuf_init(&b);
        for (const char *p = tmpl; *p;) {
                const char *open = strstr(p, "${");
                if (!open) {
                        abuf_puts(&b, p);
                        break;
                }
                abuf_put(&b, p, (size_t)(open - p));
                const char *close = strchr(open + 2, '}');
                const struct addon_var *v = NULL;
                size_t len = close ? (size_t)(close - open - 2) : 0;
                for (size_t i = 0; close && i < n && !v; i++)
                        if (strlen(vars[i].name) == len && !strncmp(vars[i].name, open + 2, len))
                                v = &vars[i];
                if (!v) {
                        snprintf(bad, bad_size, "%.*s", close ? (int)len : 20, open + 2);
                        abuf_free(&b);
                        return NULL;
                }
                abuf_puts(&b, v->value);
                p = close + 1;
        }
        return abuf_take(&b);
}
