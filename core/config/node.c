#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/node.h"
#include "util/error.h"

cfg_node *cfg_node_new(int kind, int line, int col)
{
        cfg_node *n = calloc(1, sizeof(*n));
        if (n) {
                n->kind = kind;
                n->line = line;
                n->col = col;
        }
        return n;
}

cfg_node *cfg_node_scalar(const char *text, int line, int col)
{
        cfg_node *n = cfg_node_new(PHAROS_CONFIG_SCALAR, line, col);
        if (n && !(n->text = strdup(text))) {
                free(n);
                return NULL;
        }
        return n;
}

void cfg_node_free(cfg_node *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->len; i++) {
                if (n->keys)
                        cfg_node_free(n->keys[i]);
                cfg_node_free(n->items[i]);
        }
        free(n->keys);
        free(n->items);
        free(n->text);
        free(n);
}

cfg_node *cfg_node_copy(const cfg_node *n, struct cfg_budget *b)
{
        if (--b->nodes < 0)
                return NULL;
        /* Charged before the copy is made, so a refused copy allocates nothing. */
        if (n->text && (b->bytes -= (long)strlen(n->text)) < 0)
                return NULL;
        cfg_node *c = cfg_node_new(n->kind, n->line, n->col);
        if (!c)
                return NULL;
        c->quoted = n->quoted;
        c->type = n->type;
        c->bad = n->bad;
        c->dflt = n->dflt;
        if (n->text && !(c->text = strdup(n->text)))
                goto fail;
        for (size_t i = 0; i < n->len; i++) {
                cfg_node *k = NULL, *v = cfg_node_copy(n->items[i], b);
                if (v && n->kind == PHAROS_CONFIG_MAP && !(k = cfg_node_copy(n->keys[i], b))) {
                        cfg_node_free(v);
                        v = NULL;
                }
                if (!v || cfg_node_append(c, k, v) < 0) {
                        cfg_node_free(k);
                        cfg_node_free(v);
                        goto fail;
                }
        }
        return c;
fail:
        cfg_node_free(c);
        return NULL;
}

int cfg_node_append(cfg_node *parent, cfg_node *key, cfg_node *value)
{
        if (parent->len == parent->cap) {
                size_t cap = parent->cap ? parent->cap * 2 : 4;
                cfg_node **items = realloc(parent->items, cap * sizeof(*items));
                if (!items)
                        return PERR_NOMEM;
                parent->items = items;
                if (parent->kind == PHAROS_CONFIG_MAP) {
                        cfg_node **keys = realloc(parent->keys, cap * sizeof(*keys));
                        if (!keys)
                                return PERR_NOMEM;
                        parent->keys = keys;
                }
                parent->cap = cap;
        }
        if (parent->kind == PHAROS_CONFIG_MAP)
                parent->keys[parent->len] = key;
        parent->items[parent->len++] = value;
        return 0;
}

void cfg_node_remove(cfg_node *parent, size_t i)
{
        if (parent->keys) {
                cfg_node_free(parent->keys[i]);
                memmove(parent->keys + i, parent->keys + i + 1,
                        (parent->len - i - 1) * sizeof(*parent->keys));
        }
        cfg_node_free(parent->items[i]);
        memmove(parent->items + i, parent->items + i + 1,
                (parent->len - i - 1) * sizeof(*parent->items));
        parent->len--;
}

cfg_node *cfg_map_get(const cfg_node *map, const char *key, size_t *index)
{
        if (!map || map->kind != PHAROS_CONFIG_MAP)
                return NULL;
        for (size_t i = 0; i < map->len; i++)
                if (strcmp(map->keys[i]->text, key) == 0) {
                        if (index)
                                *index = i;
                        return map->items[i];
                }
        return NULL;
}

const char *cfg_map_str(const cfg_node *map, const char *key)
{
        const cfg_node *v = cfg_map_get(map, key, NULL);
        return v && v->kind == PHAROS_CONFIG_SCALAR ? v->text : NULL;
}

int cfg_scalar_is_null(const cfg_node *n)
{
        if (n->kind != PHAROS_CONFIG_SCALAR || n->quoted)
                return 0;
        static const char *const forms[] = {"", "~", "null", "Null", "NULL"};
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
                if (strcmp(n->text, forms[i]) == 0)
                        return 1;
        return 0;
}

int cfg_parse_int(const char *s, long long *out)
{
        const char *p = s + (*s == '-' || *s == '+');
        if (*p < '0' || *p > '9')
                return -1;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

int cfg_parse_bool(const char *s, int *out)
{
        static const char *const t[] = {"true", "True", "TRUE"};
        static const char *const f[] = {"false", "False", "FALSE"};
        for (size_t i = 0; i < 3; i++) {
                if (strcmp(s, t[i]) == 0)
                        return *out = 1, 0;
                if (strcmp(s, f[i]) == 0)
                        return *out = 0, 0;
        }
        return -1;
}

int cfg_parse_double(const char *s, double *out)
{
        const char *p = s + (*s == '-' || *s == '+');
        if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
                return -1;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v))
                return -1;
        *out = v;
        return 0;
}
