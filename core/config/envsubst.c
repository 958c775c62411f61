#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/envsubst.h"
#include "util/error.h"

struct buf {
        char *p;
        size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p)
                        return PERR_NOMEM;
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
        return 0;
}

static int name_char(char c, int first)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
               (!first && c >= '0' && c <= '9');
}

/* Expands the reference starting at in[i] == '$', in[i+1] == '{'; returns the index after it. */
static long expand_ref(const char *in, size_t i, struct buf *b, struct cfg_subst_error *e)
{
        size_t j = i + 2, name_start = j;
        while (name_char(in[j], j == name_start))
                j++;
        size_t name_len = j - name_start;
        char name[128];
        if (name_len == 0 || name_len >= sizeof(name)) {
                e->offset = i;
                snprintf(e->msg, sizeof(e->msg),
                         name_len ? "variable name too long in ${...}"
                                  : "bad variable reference: expected a name after '${'");
                return -1;
        }
        memcpy(name, in + name_start, name_len);
        name[name_len] = '\0';
        const char *def = NULL;
        size_t def_len = 0;
        if (in[j] == ':' && in[j + 1] == '-') {
                def = in + j + 2;
                const char *close = strchr(def, '}');
                if (!close) {
                        e->offset = i;
                        snprintf(e->msg, sizeof(e->msg), "unterminated '${%s:-': missing '}'",
                                 name);
                        return -1;
                }
                def_len = (size_t)(close - def);
                j = (size_t)(close - in);
        } else if (in[j] != '}') {
                e->offset = i;
                snprintf(e->msg, sizeof(e->msg),
                         "bad variable reference '${%s': expected '}' or ':-default}'", name);
                return -1;
        }
        const char *val = getenv(name);
        int rc;
        if (val && (*val || !def))
                rc = put(b, val, strlen(val));
        else if (def)
                rc = put(b, def, def_len);
        else {
                e->offset = i;
                snprintf(e->msg, sizeof(e->msg),
                         "environment variable '%s' is not set (use ${%s:-default} to give a "
                         "default)",
                         name, name);
                return -1;
        }
        return rc < 0 ? rc : (long)j + 1;
}

int cfg_envsubst(const char *in, char **out, struct cfg_subst_error *e)
{
        struct buf b = {0};
        int changed = 0;
        size_t i = 0, lit = 0;
        if (put(&b, "", 0) < 0)
                return PERR_NOMEM;
        while (in[i]) {
                if (in[i] == '$' && in[i + 1] == '$' && in[i + 2] == '{') {
                        if (put(&b, in + lit, i - lit + 1) < 0)
                                goto nomem;
                        i += 2;
                        lit = i;
                        changed = 1;
                        continue;
                }
                if (in[i] != '$' || in[i + 1] != '{') {
                        i++;
                        continue;
                }
                if (put(&b, in + lit, i - lit) < 0)
                        goto nomem;
                long next = expand_ref(in, i, &b, e);
                if (next == PERR_NOMEM)
                        goto nomem;
                if (next < 0) {
                        free(b.p);
                        return -1;
                }
                i = lit = (size_t)next;
                changed = 1;
        }
        if (put(&b, in + lit, i - lit) < 0)
                goto nomem;
        *out = b.p;
        return changed ? 0 : 1;
nomem:
        free(b.p);
        return PERR_NOMEM;
}
