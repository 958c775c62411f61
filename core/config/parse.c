#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/envsubst.h"
#include "config/parse.h"
#include "util/error.h"

struct frame {
        cfg_node *node;
        cfg_node *key; /* map: the key waiting for its value */
        char *anchor;  /* registered when the container ends */
};

struct anchor {
        char *name;
        cfg_node *node; /* points into the tree; aliases copy it */
};

struct pctx {
        const char *buf;
        size_t len;
        struct cfg_diags *d;
        cfg_node *root;
        struct frame stack[CFG_MAX_DEPTH + 1];
        int depth;
        struct anchor *anchors;
        size_t n_anchors, cap_anchors;
        /* Pairs dropped as duplicate keys live until the end: anchors may point into them. */
        cfg_node *dropped;
        struct cfg_budget budget;
        int docs;
};

/* libyaml counts columns in characters; find the byte where (line, col) starts. */
static size_t byte_at(const struct pctx *c, size_t line, size_t col)
{
        size_t i = 0;
        for (size_t l = 0; l < line && i < c->len; i++)
                if (c->buf[i] == '\n')
                        l++;
        for (size_t k = 0; k < col && i < c->len; k++) {
                i++;
                while (i < c->len && ((unsigned char)c->buf[i] & 0xC0) == 0x80)
                        i++;
        }
        return i;
}

/* Line and column (1-based, in characters) of a byte offset. */
static void pos_of_offset(const struct pctx *c, size_t off, int *line, int *col)
{
        int l = 1, k = 1;
        for (size_t i = 0; i < off && i < c->len; i++) {
                if (c->buf[i] == '\n') {
                        l++;
                        k = 1;
                } else if (((unsigned char)c->buf[i] & 0xC0) != 0x80) {
                        k++;
                }
        }
        *line = l;
        *col = k;
}

static void syntax_error(struct pctx *c, const yaml_parser_t *p)
{
        int line, col;
        if (p->error == YAML_READER_ERROR) {
                pos_of_offset(c, p->problem_offset, &line, &col);
                if (p->problem_value != -1 && p->problem_value < 0x20)
                        cfg_error(c->d, line, col, "not a text file: control character 0x%02x",
                                  (unsigned)p->problem_value);
                else
                        cfg_error(c->d, line, col, "not a text file: %s", p->problem);
                c->d->fatal = 1;
                return;
        }
        if (p->error == YAML_MEMORY_ERROR) {
                cfg_error(c->d, 0, 0, "out of memory while parsing");
                c->d->fatal = 1;
                return;
        }
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        size_t at = byte_at(c, p->problem_mark.line, p->problem_mark.column);
        /* A tab is the usual cause; say so instead of libyaml's generic wording. */
        size_t ls = at;
        while (ls > 0 && c->buf[ls - 1] != '\n')
                ls--;
        for (size_t i = ls; i < c->len && c->buf[i] != '\n'; i++) {
                if (c->buf[i] == '\t') {
                        int tl, tc;
                        pos_of_offset(c, i, &tl, &tc);
                        cfg_error(c->d, tl, tc,
                                  "tab character in indentation (YAML indents with spaces only)");
                        c->d->fatal = 1;
                        return;
                }
                if (c->buf[i] != ' ')
                        break;
        }
        if (at < c->len && c->buf[at] == '\t') {
                cfg_error(c->d, line, col, "tab character where YAML expects a space");
        } else if (p->context) {
                cfg_error(c->d, line, col, "YAML syntax error: %s (%s at line %d)", p->problem,
                          p->context, (int)p->context_mark.line + 1);
        } else {
                cfg_error(c->d, line, col, "YAML syntax error: %s", p->problem);
        }
        c->d->fatal = 1;
}

static int fatal(struct pctx *c, const yaml_mark_t *m, const char *msg)
{
        cfg_error(c->d, (int)m->line + 1, (int)m->column + 1, "%s", msg);
        c->d->fatal = 1;
        return -1;
}

static int add_anchor(struct pctx *c, char *name, cfg_node *n)
{
        if (c->n_anchors == c->cap_anchors) {
                size_t cap = c->cap_anchors ? c->cap_anchors * 2 : 8;
                struct anchor *a = realloc(c->anchors, cap * sizeof(*a));
                if (!a)
                        return PERR_NOMEM;
                c->anchors = a;
                c->cap_anchors = cap;
        }
        c->anchors[c->n_anchors++] = (struct anchor){name, n};
        return 0;
}

static int take_anchor(struct pctx *c, const yaml_char_t *anchor, cfg_node *n)
{
        if (!anchor)
                return 0;
        char *name = strdup((const char *)anchor);
        if (!name || add_anchor(c, name, n) < 0) {
                free(name);
                return PERR_NOMEM;
        }
        return 0;
}

/* Places a finished node into its parent (or as the root). Takes n. */
static int place(struct pctx *c, cfg_node *n, const yaml_mark_t *m)
{
        if (c->depth == 0) {
                c->root = n;
                return 0;
        }
        struct frame *f = &c->stack[c->depth - 1];
        /* Every frame below depth holds the container its START event made. */
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
        if (f->node->kind == PHAROS_CONFIG_LIST)
                return cfg_node_append(f->node, NULL, n) < 0 ? (cfg_node_free(n), PERR_NOMEM) : 0;
        if (!f->key) {
                if (n->kind != PHAROS_CONFIG_SCALAR) {
                        cfg_node_free(n);
                        return fatal(c, m, "mapping keys must be plain strings");
                }
                f->key = n;
                return 0;
        }
        cfg_node *key = f->key;
        f->key = NULL;
        if (cfg_node_append(f->node, key, n) < 0) {
                cfg_node_free(key);
                cfg_node_free(n);
                return PERR_NOMEM;
        }
        return 0;
}

static int key_order(const void *a, const void *b)
{
        const cfg_node *const *x = a, *const *y = b;
        int r = strcmp((*x)->text, (*y)->text);
        if (r)
                return r;
        return (*x)->line != (*y)->line ? ((*x)->line < (*y)->line ? -1 : 1)
                                        : ((*x)->col < (*y)->col ? -1 : (*x)->col > (*y)->col);
}

/* Reports and drops repeated keys (the first one stays). Sorting keeps big maps O(n log n). */
static int drop_duplicate_keys(struct pctx *c, cfg_node *map)
{
        if (map->len < 2)
                return 0;
        cfg_node **sorted = malloc(map->len * sizeof(*sorted));
        if (!sorted)
                return PERR_NOMEM;
        memcpy(sorted, map->keys, map->len * sizeof(*sorted));
        qsort(sorted, map->len, sizeof(*sorted), key_order);
        size_t n = map->len;
        for (size_t i = 1; i < n; i++) {
                if (strcmp(sorted[i]->text, sorted[i - 1]->text) != 0)
                        continue;
                size_t first = i - 1;
                while (first > 0 && strcmp(sorted[first - 1]->text, sorted[i]->text) == 0)
                        first--;
                cfg_error(c->d, sorted[i]->line, sorted[i]->col,
                          "duplicate key '%s' (first at line %d, column %d)", sorted[i]->text,
                          sorted[first]->line, sorted[first]->col);
                sorted[i]->type = -1; /* marks it for removal below */
        }
        free(sorted);
        if (!c->dropped && !(c->dropped = cfg_node_new(PHAROS_CONFIG_LIST, 0, 0)))
                return PERR_NOMEM;
        for (size_t i = map->len; i-- > 0;) {
                if (map->keys[i]->type != -1)
                        continue;
                if (cfg_node_append(c->dropped, NULL, map->items[i]) < 0)
                        return PERR_NOMEM;
                map->items[i] = NULL;
                if (cfg_node_append(c->dropped, NULL, map->keys[i]) < 0)
                        return PERR_NOMEM;
                map->keys[i] = NULL;
                cfg_node_remove(map, i);
        }
        return 0;
}

/* Scalar value: NUL check, ${VAR} expansion (located at the reference). */
static int scalar_value(struct pctx *c, const yaml_event_t *ev, int is_key, cfg_node **out)
{
        const yaml_mark_t *m = &ev->start_mark;
        size_t len = ev->data.scalar.length;
        const char *val = (const char *)ev->data.scalar.value;
        if (memchr(val, '\0', len))
                return fatal(c, m, "NUL character in a value");
        int line = (int)m->line + 1, col = (int)m->column + 1;
        cfg_node *n = cfg_node_scalar(val, line, col);
        if (!n)
                return PERR_NOMEM;
        const char *tag = (const char *)ev->data.scalar.tag;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                    (tag && strcmp(tag, YAML_STR_TAG) == 0);
        if (!is_key && strstr(val, "${")) {
                char *expanded = NULL;
                struct cfg_subst_error e;
                int rc = cfg_envsubst(val, &expanded, &e);
                if (rc == PERR_NOMEM) {
                        cfg_node_free(n);
                        return rc;
                }
                if (rc < 0) {
                        int ecol = col;
                        if (ev->start_mark.line == ev->end_mark.line)
                                ecol = col + (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) +
                                       (int)e.offset;
                        cfg_error(c->d, line, ecol, "%s", e.msg);
                        n->bad = 1;
                } else {
                        free(n->text);
                        n->text = expanded;
                }
        }
        *out = n;
        return 0;
}

static int on_event(struct pctx *c, yaml_event_t *ev)
{
        const yaml_mark_t *m = &ev->start_mark;
        cfg_node *n = NULL;
        int rc;
        switch (ev->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (++c->docs > 1)
                        return fatal(c, m,
                                     "a second YAML document; cluster.yml must hold exactly one");
                return 0;
        case YAML_SCALAR_EVENT: {
                if (--c->budget.nodes < 0)
                        return fatal(c, m, "document too large: more than 200000 values");
                int is_key = c->depth > 0 &&
                             c->stack[c->depth - 1].node->kind == PHAROS_CONFIG_MAP &&
                             !c->stack[c->depth - 1].key;
                if ((rc = scalar_value(c, ev, is_key, &n)) < 0)
                        return rc;
                if ((c->budget.bytes -= (long)strlen(n->text)) < 0) {
                        cfg_node_free(n);
                        return fatal(c, m, "document too large: more than 16 MiB of text");
                }
                if (take_anchor(c, ev->data.scalar.anchor, n) < 0) {
                        cfg_node_free(n);
                        return PERR_NOMEM;
                }
                return place(c, n, m);
        }
        case YAML_ALIAS_EVENT: {
                const char *name = (const char *)ev->data.alias.anchor;
                const struct anchor *a = NULL;
                for (size_t i = c->n_anchors; i-- > 0;)
                        if (strcmp(c->anchors[i].name, name) == 0) {
                                a = &c->anchors[i];
                                break;
                        }
                if (!a) {
                        cfg_error(c->d, (int)m->line + 1, (int)m->column + 1,
                                  "alias '*%s' refers to no anchor defined before it", name);
                        c->d->fatal = 1;
                        return -1;
                }
                n = cfg_node_copy(a->node, &c->budget);
                if (!n && c->budget.nodes < 0)
                        return fatal(c, m, "alias expansion exceeds 200000 values (alias bomb?)");
                if (!n && c->budget.bytes < 0)
                        return fatal(c, m, "alias expansion exceeds 16 MiB of text (alias bomb?)");
                if (!n)
                        return PERR_NOMEM;
                return place(c, n, m);
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                if (c->depth >= CFG_MAX_DEPTH)
                        return fatal(c, m, "nesting deeper than 64 levels");
                if (--c->budget.nodes < 0)
                        return fatal(c, m, "document too large: more than 200000 values");
                int map = ev->type == YAML_MAPPING_START_EVENT;
                if (c->depth > 0 && c->stack[c->depth - 1].node->kind == PHAROS_CONFIG_MAP &&
                    !c->stack[c->depth - 1].key)
                        return fatal(c, m, "mapping keys must be plain strings");
                n = cfg_node_new(map ? PHAROS_CONFIG_MAP : PHAROS_CONFIG_LIST, (int)m->line + 1,
                                 (int)m->column + 1);
                if (!n)
                        return PERR_NOMEM;
                const yaml_char_t *anchor =
                        map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
                char *a = anchor ? strdup((const char *)anchor) : NULL;
                if (anchor && !a) {
                        cfg_node_free(n);
                        return PERR_NOMEM;
                }
                c->stack[c->depth++] = (struct frame){n, NULL, a};
                return 0;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
                struct frame f = c->stack[--c->depth];
                if (f.node->kind == PHAROS_CONFIG_MAP && drop_duplicate_keys(c, f.node) < 0) {
                        free(f.anchor);
                        cfg_node_free(f.node);
                        return PERR_NOMEM;
                }
                if (f.anchor && add_anchor(c, f.anchor, f.node) < 0) {
                        free(f.anchor);
                        cfg_node_free(f.node);
                        return PERR_NOMEM;
                }
                return place(c, f.node, m);
        }
        default:
                return 0;
        }
}

int cfg_parse(const char *buf, size_t len, cfg_node **root, struct cfg_diags *d)
{
        struct pctx c = {
                .buf = buf, .len = len, .d = d, .budget = {CFG_MAX_NODES, CFG_MAX_TEXT_BYTES}};
        yaml_parser_t p;
        int rc = 0, done = 0;
        *root = NULL;
        if (!yaml_parser_initialize(&p)) {
                cfg_error(d, 0, 0, "out of memory");
                d->fatal = 1;
                return -1;
        }
        yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
        while (!done) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&p, &ev)) {
                        syntax_error(&c, &p);
                        rc = -1;
                        break;
                }
                done = ev.type == YAML_STREAM_END_EVENT;
                rc = on_event(&c, &ev);
                yaml_event_delete(&ev);
                if (rc == PERR_NOMEM) {
                        cfg_error(d, 0, 0, "out of memory while parsing");
                        d->fatal = 1;
                }
                if (rc < 0)
                        break;
        }
        yaml_parser_delete(&p);
        while (c.depth > 0) {
                struct frame *f = &c.stack[--c.depth];
                cfg_node_free(f->key);
                cfg_node_free(f->node);
                free(f->anchor);
        }
        for (size_t i = 0; i < c.n_anchors; i++)
                free(c.anchors[i].name);
        free(c.anchors);
        cfg_node_free(c.dropped);
        if (rc < 0) {
                cfg_node_free(c.root);
                return -1;
        }
        *root = c.root;
        return 0;
}
