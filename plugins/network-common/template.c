#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

struct out {
        char *s;
        size_t len, cap;
        int failed;
};

static void put(struct out *o, const char *s, size_t n)
{
        if (o->failed)
                return;
        if (o->len + n + 1 > o->cap) {
                size_t cap = (o->len + n + 1) * 2;
                char *grown = realloc(o->s, cap);
                if (!grown) {
                        o->failed = 1;
                        return;
                }
                o->s = grown;
                o->cap = cap;
        }
        memcpy(o->s + o->len, s, n);
        o->len += n;
        o->s[o->len] = '\0';
}

/* Appends v escaped for a YAML double-quoted scalar; -1 on a control character. */
static int put_quoted(struct out *o, const char *v)
{
        for (; *v; v++) {
                if ((unsigned char)*v < 0x20 || *v == 0x7f)
                        return -1;
                if (*v == '"' || *v == '\\')
                        put(o, "\\", 1);
                put(o, v, 1);
        }
        return 0;
}

char *tmpl_quote(const char *v)
{
        struct out o = {0};
        put(&o, "\"", 1);
        if (put_quoted(&o, v) < 0) {
                free(o.s);
                return NULL;
        }
        put(&o, "\"", 1);
        if (o.failed) {
                free(o.s);
                return NULL;
        }
        return o.s;
}

static int name_start(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
        return name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static char *fail(struct out *o, struct tmpl_error *err, int line, const char *name, size_t len,
                  const char *what)
{
        free(o->s);
        err->line = line;
        snprintf(err->name, sizeof(err->name), "%.*s", (int)(len < 63 ? len : 63), name);
        snprintf(err->what, sizeof(err->what), "%s", what);
        return NULL;
}

char *tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t n_vars,
                  struct tmpl_error *err)
{
        struct out o = {0};
        int line = 1;
        put(&o, "", 0);
        for (const char *p = tmpl; *p;) {
                const char *dollar = strchr(p, '$');
                size_t plain = dollar ? (size_t)(dollar - p) : strlen(p);
                for (size_t i = 0; i < plain; i++)
                        line += p[i] == '\n';
                put(&o, p, plain);
                if (!dollar)
                        break;
                if (dollar[1] == '$' && dollar[2] == '{') {
                        put(&o, "${", 2);
                        p = dollar + 3;
                        continue;
                }
                if (dollar[1] != '{') {
                        put(&o, "$", 1);
                        p = dollar + 1;
                        continue;
                }
                const char *name = dollar + 2;
                size_t len = 0;
                if (name_start(name[0]))
                        while (name_char(name[len]))
                                len++;
                if (!len || name[len] != '}') {
                        size_t shown = strcspn(name, "}\n");
                        return fail(&o, err, line, name, shown,
                                    "is not a variable name (write $${ for a literal ${)");
                }
                const struct tmpl_var *v = NULL;
                for (size_t i = 0; i < n_vars && !v; i++)
                        if (strlen(vars[i].name) == len && !strncmp(vars[i].name, name, len))
                                v = &vars[i];
                if (!v)
                        return fail(&o, err, line, name, len, "is not a known variable");
                if (!v->value)
                        return fail(&o, err, line, name, len, "has no value in this cluster");
                if (v->how == TMPL_QUOTED) {
                        if (put_quoted(&o, v->value) < 0)
                                return fail(&o, err, line, name, len,
                                            "has a control character in its value");
                } else {
                        put(&o, v->value, strlen(v->value));
                }
                p = name + len + 1;
        }
        if (o.failed)
                return fail(&o, err, 0, "", 0, "out of memory");
        return o.s;
}
