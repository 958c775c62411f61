#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/checks.h"
#include "config/parse.h"
#include "config/retired.h"
#include "config/schema.h"
#include "config/suggest.h"
#include "config/validate.h"

/* Deep enough for any real schema; protects against a plugin schema that loops. */
#define MAX_SCHEMA_DEPTH 32

struct vctx {
        struct cfg_diags *d;
        const struct registry *reg;
        char spath[1024]; /* schema path: hosts.*.ssh_port */
        char dpath[1024]; /* display path: hosts[0].ssh_port */
        size_t slen, dlen;
};

struct mark {
        size_t slen, dlen;
};

static void append(char *buf, size_t *len, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t *len, size_t cap, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
        va_end(ap);
        if (n > 0)
                *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

static struct mark push_key(struct vctx *v, const char *key)
{
        struct mark m = {v->slen, v->dlen};
        append(v->spath, &v->slen, sizeof(v->spath), "%s%s", v->slen ? "." : "", key);
        size_t start = v->dlen + (v->dlen ? 1 : 0);
        append(v->dpath, &v->dlen, sizeof(v->dpath), "%s%s", v->dlen ? "." : "", key);
        /* A key is shown in messages: a line break in it must not start a new one. */
        for (size_t i = start; i < v->dlen; i++)
                if ((unsigned char)v->dpath[i] < 0x20 || v->dpath[i] == 0x7f)
                        v->dpath[i] = '?';
        return m;
}

static struct mark push_index(struct vctx *v, size_t i)
{
        struct mark m = {v->slen, v->dlen};
        append(v->spath, &v->slen, sizeof(v->spath), ".*");
        append(v->dpath, &v->dlen, sizeof(v->dpath), "[%zu]", i);
        return m;
}

static void pop(struct vctx *v, struct mark m)
{
        v->slen = m.slen;
        v->dlen = m.dlen;
        v->spath[v->slen] = '\0';
        v->dpath[v->dlen] = '\0';
}

/* An error about node n, prefixed with the current display path. */
static void verr(struct vctx *v, const cfg_node *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void verr(struct vctx *v, const cfg_node *n, const char *fmt, ...)
{
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (v->dlen)
                cfg_error(v->d, n->line, n->col, "%s: %s", v->dpath, msg);
        else
                cfg_error(v->d, n->line, n->col, "%s", msg);
}

/* How a node looks, for "expected X, got Y". */
static const char *describe(const cfg_node *n, char *buf, size_t len)
{
        if (n->kind == PHAROS_CONFIG_MAP)
                return "a mapping";
        if (n->kind == PHAROS_CONFIG_LIST)
                return "a list";
        if (cfg_scalar_is_null(n))
                return "an empty value";
        size_t k = 0, max = len > 48 ? 40 : len - 8;
        buf[k++] = '\'';
        for (const char *p = n->text; *p && k < max; p++)
                buf[k++] = isprint((unsigned char)*p) ? *p : '?';
        if (strlen(n->text) > max - 1) {
                memcpy(buf + k, "...", 3);
                k += 3;
        }
        buf[k++] = '\'';
        buf[k] = '\0';
        return buf;
}

static void expected(struct vctx *v, const cfg_node *n, const char *what)
{
        char buf[64];
        verr(v, n, "expected %s, got %s", what, describe(n, buf, sizeof(buf)));
}

static int set_text(cfg_node *n, const char *text)
{
        char *t = strdup(text);
        if (!t)
                return PERR_NOMEM;
        free(n->text);
        n->text = t;
        return 0;
}

/* Checks a scalar of the given type; normalises its text and sets n->type. */
static int check_scalar(struct vctx *v, cfg_node *n, int type, long long min, long long max)
{
        static const char *const names[] = {[CFG_T_STRING] = "a string",
                                            [CFG_T_INT] = "an integer",
                                            [CFG_T_BOOL] = "true or false",
                                            [CFG_T_DOUBLE] = "a number"};
        if (n->bad)
                return -1;
        if (n->kind != PHAROS_CONFIG_SCALAR || cfg_scalar_is_null(n)) {
                expected(v, n, names[type]);
                return -1;
        }
        char buf[64];
        if (type == CFG_T_INT) {
                long long x;
                if (cfg_parse_int(n->text, &x) < 0) {
                        const char *digits = n->text + (n->text[0] == '-' || n->text[0] == '+');
                        if (*digits && strspn(digits, "0123456789") == strlen(digits))
                                verr(v, n, "%s is out of range %lld..%lld", n->text, min, max);
                        else
                                expected(v, n, names[type]);
                        return -1;
                }
                if (max > min && (x < min || x > max)) {
                        verr(v, n, "%lld is out of range %lld..%lld", x, min, max);
                        return -1;
                }
                snprintf(buf, sizeof(buf), "%lld", x);
                set_text(n, buf);
        } else if (type == CFG_T_BOOL) {
                int b;
                if (cfg_parse_bool(n->text, &b) < 0) {
                        expected(v, n, names[type]);
                        return -1;
                }
                set_text(n, b ? "true" : "false");
        } else if (type == CFG_T_DOUBLE) {
                double x;
                if (cfg_parse_double(n->text, &x) < 0) {
                        expected(v, n, names[type]);
                        return -1;
                }
        }
        n->type = type;
        return 0;
}

static int check_enum(struct vctx *v, cfg_node *n, const char *const *values)
{
        for (const char *const *e = values; *e; e++)
                if (strcmp(n->text, *e) == 0)
                        return 0;
        char list[512];
        size_t len = 0;
        for (const char *const *e = values; *e && len < sizeof(list) - 1; e++)
                append(list, &len, sizeof(list), "%s%s", e == values ? "" : ", ", *e);
        char buf[64];
        for (const char *const *e = values; *e; e++)
                if (cfg_is_close(n->text, *e)) {
                        verr(v, n, "%s is not one of: %s; did you mean '%s'?",
                             describe(n, buf, sizeof(buf)), list, *e);
                        n->type = CFG_T_UNTYPED;
                        return -1;
                }
        verr(v, n, "%s is not one of: %s", describe(n, buf, sizeof(buf)), list);
        n->type = CFG_T_UNTYPED;
        return -1;
}

static void expand_home(cfg_node *n)
{
        if (n->text[0] != '~' || (n->text[1] != '/' && n->text[1] != '\0'))
                return;
        const char *home = getenv("HOME");
        if (!home || !*home) {
                const struct passwd *pw = getpwuid(getuid());
                home = pw ? pw->pw_dir : NULL;
        }
        if (!home)
                return;
        char *t = NULL;
        if (asprintf(&t, "%s%s", home, n->text + 1) >= 0) {
                free(n->text);
                n->text = t;
        }
}

/* Applies a format check to a scalar; on failure reports it and untypes the node. */
static int check_format(struct vctx *v, cfg_node *n, cfg_format_check check)
{
        char why[256];
        if (!check || check(n->text, why, sizeof(why)) == 0)
                return 0;
        char buf[64];
        verr(v, n, "%s %s", describe(n, buf, sizeof(buf)), why);
        n->type = CFG_T_UNTYPED;
        return -1;
}

/* A value the original had and pharos refuses, reported with what to use instead. */
static int check_retired_value(struct vctx *v, cfg_node *n)
{
        const char *why = cfg_retired(v->spath, n->text);
        if (!why)
                return 0;
        verr(v, n, "%s", why);
        n->type = CFG_T_UNTYPED;
        return -1;
}

/* A key the original had and pharos refuses: 1 (reported) when key is one. */
static int retired_key(struct vctx *v, const cfg_node *key)
{
        char path[1100];
        snprintf(path, sizeof(path), "%s%s%s", v->spath, v->slen ? "." : "", key->text);
        const char *why = cfg_retired(path, NULL);
        if (!why)
                return 0;
        cfg_error(v->d, key->line, key->col, "%s%s%s: %s", v->dpath, v->dlen ? "." : "", key->text,
                  why);
        return 1;
}

static void check_string(struct vctx *v, cfg_node *n, const struct cfg_extra *x)
{
        if (check_scalar(v, n, CFG_T_STRING, 0, 0) < 0)
                return;
        /* Every string goes somewhere a line break would start something new. */
        if (!(x && (x->flags & CFG_X_MULTILINE)) && check_format(v, n, cfg_check_text) < 0)
                return;
        if (check_retired_value(v, n) < 0 || !x)
                return;
        if (x->enums && check_enum(v, n, x->enums) < 0)
                return;
        if (check_format(v, n, x->check) < 0)
                return;
        if (x->flags & CFG_X_PATH)
                expand_home(n);
}

/* x: the side-table entry with the map's key and value formats, or NULL. */
static void check_string_map(struct vctx *v, cfg_node *n, const struct cfg_extra *x)
{
        if (n->kind != PHAROS_CONFIG_MAP) {
                expected(v, n, "a mapping of names to values");
                return;
        }
        for (size_t i = 0; i < n->len; i++) {
                cfg_node *val = n->items[i];
                if (check_format(v, n->keys[i], cfg_check_text) == 0 && x)
                        check_format(v, n->keys[i], x->key_check);
                struct mark m = push_key(v, n->keys[i]->text);
                if (val->kind != PHAROS_CONFIG_SCALAR || cfg_scalar_is_null(val))
                        expected(v, val, "a value (string, number or boolean)");
                else if (check_format(v, val, cfg_check_text) == 0 && x)
                        check_format(v, val, x->check);
                pop(v, m);
        }
}

static void unknown_key(struct vctx *v, const cfg_node *key, const char *const *cands, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (cfg_is_close(key->text, cands[i])) {
                        verr(v, key, "unknown key '%s'; did you mean '%s'?", key->text, cands[i]);
                        return;
                }
        verr(v, key, "unknown key '%s'", key->text);
}

/*
 * Marks an inserted default (and everything under it) and places it at the
 * map it was added to, so a message about it points somewhere sensible.
 */
static void mark_default(cfg_node *n, const cfg_node *map)
{
        n->dflt = 1;
        n->line = map->line;
        n->col = map->col;
        for (size_t i = 0; i < n->len; i++) {
                if (n->keys)
                        mark_default(n->keys[i], map);
                mark_default(n->items[i], map);
        }
}

/* Inserts key with a default given as YAML text (a scalar, or flow map/list). */
static cfg_node *insert_default(struct vctx *v, cfg_node *map, const char *key, const char *def)
{
        cfg_node *val = NULL;
        if (def[0] == '{' || def[0] == '[') {
                struct cfg_diags scratch = {0};
                cfg_parse(def, strlen(def), &val, &scratch);
                cfg_diag_free(&scratch);
        } else {
                val = cfg_node_scalar(def, 0, 0);
        }
        cfg_node *k = cfg_node_scalar(key, 0, 0);
        if (!val || !k || cfg_node_append(map, k, val) < 0) {
                cfg_node_free(k);
                cfg_node_free(val);
                v->d->fatal = 1;
                return NULL;
        }
        mark_default(k, map);
        mark_default(val, map);
        return val;
}

static cfg_node *insert_empty_map(struct vctx *v, cfg_node *map, const char *key)
{
        cfg_node *val = cfg_node_new(PHAROS_CONFIG_MAP, 0, 0);
        cfg_node *k = cfg_node_scalar(key, 0, 0);
        if (!val || !k || cfg_node_append(map, k, val) < 0) {
                cfg_node_free(k);
                cfg_node_free(val);
                v->d->fatal = 1;
                return NULL;
        }
        mark_default(k, map);
        mark_default(val, map);
        return val;
}

struct rank {
        size_t rank, index;
};

static int by_rank(const void *a, const void *b)
{
        const struct rank *x = a, *y = b;
        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Puts schema keys first, in schema order; other keys keep their order after them. */
static void reorder(cfg_node *n, const char *const *order, size_t n_order)
{
        if (n->len < 2)
                return;
        struct rank *r = malloc(n->len * sizeof(*r));
        cfg_node **keys = malloc(n->len * sizeof(*keys));
        cfg_node **items = malloc(n->len * sizeof(*items));
        if (r && keys && items) {
                for (size_t i = 0; i < n->len; i++) {
                        r[i] = (struct rank){n_order, i};
                        for (size_t k = 0; k < n_order; k++)
                                if (strcmp(n->keys[i]->text, order[k]) == 0)
                                        r[i].rank = k;
                }
                qsort(r, n->len, sizeof(*r), by_rank);
                for (size_t i = 0; i < n->len; i++) {
                        keys[i] = n->keys[r[i].index];
                        items[i] = n->items[r[i].index];
                }
                memcpy(n->keys, keys, n->len * sizeof(*keys));
                memcpy(n->items, items, n->len * sizeof(*items));
        }
        free(r);
        free(keys);
        free(items);
}

/* ---- plugin sections (struct pharos_config_field) ---- */

static void check_pfield(struct vctx *v, cfg_node *n, const struct pharos_config_field *f,
                         int depth);

static size_t pfield_count(const struct pharos_config_field *fields)
{
        size_t n = 0;
        while (fields && fields[n].key && n < 1024)
                n++;
        return n;
}

/*
 * An absent MAP gets an empty map (so its defaults show) only when it has
 * defaults and no required key: the user left it out, that is no error.
 */
static int pfields_have_defaults(const struct pharos_config_field *fields, int depth)
{
        if (depth > MAX_SCHEMA_DEPTH)
                return 0;
        for (size_t i = 0, n = pfield_count(fields); i < n; i++)
                if (fields[i].flags & PHAROS_CFG_REQUIRED)
                        return 0;
        for (size_t i = 0, n = pfield_count(fields); i < n; i++)
                if (fields[i].default_value || (fields[i].type == PHAROS_CFG_MAP &&
                                                pfields_have_defaults(fields[i].fields, depth + 1)))
                        return 1;
        return 0;
}

/* skip: a key the core owns in this map (addons' "enabled"), or NULL. */
static void check_pmap(struct vctx *v, cfg_node *n, const struct pharos_config_field *fields,
                       const char *skip, int depth)
{
        if (n->kind != PHAROS_CONFIG_MAP) {
                expected(v, n, "a mapping");
                return;
        }
        size_t nf = pfield_count(fields);
        const char *cands[1024];
        for (size_t k = 0; k < nf; k++)
                cands[k] = fields[k].key;
        for (size_t i = 0; i < n->len; i++) {
                const char *key = n->keys[i]->text;
                if (skip && strcmp(key, skip) == 0)
                        continue;
                const struct pharos_config_field *f = NULL;
                for (size_t k = 0; k < nf && !f; k++)
                        if (strcmp(fields[k].key, key) == 0)
                                f = &fields[k];
                if (!f) {
                        unknown_key(v, n->keys[i], cands, nf);
                        continue;
                }
                if (cfg_scalar_is_null(n->items[i]) && !(f->flags & PHAROS_CFG_REQUIRED)) {
                        cfg_node_remove(n, i--);
                        continue;
                }
                struct mark m = push_key(v, key);
                check_pfield(v, n->items[i], f, depth + 1);
                pop(v, m);
        }
        for (size_t k = 0; k < nf; k++) {
                const struct pharos_config_field *f = &fields[k];
                if (cfg_map_get(n, f->key, NULL))
                        continue;
                cfg_node *added = NULL;
                if (f->flags & PHAROS_CFG_REQUIRED)
                        verr(v, n, "missing required key '%s'", f->key);
                else if (f->default_value)
                        added = insert_default(v, n, f->key, f->default_value);
                else if (f->type == PHAROS_CFG_MAP && depth < MAX_SCHEMA_DEPTH &&
                         pfields_have_defaults(f->fields, depth + 1))
                        added = insert_empty_map(v, n, f->key);
                if (added) {
                        struct mark m = push_key(v, f->key);
                        check_pfield(v, added, f, depth + 1);
                        pop(v, m);
                }
        }
        reorder(n, cands, nf);
}

static void check_pfield(struct vctx *v, cfg_node *n, const struct pharos_config_field *f,
                         int depth)
{
        if (depth > MAX_SCHEMA_DEPTH) {
                verr(v, n, "the plugin's schema nests deeper than %d levels", MAX_SCHEMA_DEPTH);
                return;
        }
        switch (f->type) {
        case PHAROS_CFG_STRING:
                if (check_scalar(v, n, CFG_T_STRING, 0, 0) == 0 &&
                    check_format(v, n, cfg_check_text) == 0 && f->enum_values)
                        check_enum(v, n, f->enum_values);
                break;
        case PHAROS_CFG_INT:
                check_scalar(v, n, CFG_T_INT, f->max > f->min ? f->min : LLONG_MIN,
                             f->max > f->min ? f->max : LLONG_MAX);
                break;
        case PHAROS_CFG_BOOL:
                check_scalar(v, n, CFG_T_BOOL, 0, 0);
                break;
        case PHAROS_CFG_DOUBLE:
                check_scalar(v, n, CFG_T_DOUBLE, 0, 0);
                break;
        case PHAROS_CFG_MAP:
                check_pmap(v, n, f->fields, NULL, depth);
                break;
        case PHAROS_CFG_LIST:
                if (n->kind != PHAROS_CONFIG_LIST) {
                        expected(v, n, "a list");
                        break;
                }
                for (size_t i = 0; f->item && i < n->len; i++) {
                        struct mark m = push_index(v, i);
                        check_pfield(v, n->items[i], f->item, depth + 1);
                        pop(v, m);
                }
                break;
        case PHAROS_CFG_STRING_MAP:
                check_string_map(v, n, NULL);
                break;
        case PHAROS_CFG_ANY:
                break;
        default:
                verr(v, n, "the plugin's schema has an unknown type %u", f->type);
        }
}

const struct pharos_plugin *cfg_section_owner(const struct registry *reg, const char *section)
{
        for (size_t i = 0; reg && i < reg->n_plugins; i++) {
                const char *s = reg->plugins[i]->desc.config_section;
                if (s && strcmp(s, section) == 0)
                        return reg->plugins[i];
        }
        return NULL;
}

/* A loaded plugin section under `parent` (network, addons) close to key, for "did you mean". */
static const char *close_section(const struct vctx *v, const char *parent, const char *key)
{
        size_t plen = strlen(parent);
        for (size_t i = 0; v->reg && i < v->reg->n_plugins; i++) {
                const char *s = v->reg->plugins[i]->desc.config_section;
                if (s && strncmp(s, parent, plen) == 0 && s[plen] == '.' &&
                    cfg_is_close(key, s + plen + 1))
                        return s + plen + 1;
        }
        return NULL;
}

/*
 * Key i of map n is not a core key: a section of the plugin prefix-KEY. Core
 * candidates get a "did you mean" first, so a typo is not taken for a plugin.
 */
static void check_plugin_section(struct vctx *v, cfg_node *n, size_t i, const struct cfg_extra *x,
                                 const char *const *cands, size_t n_cands, const char *core_key)
{
        const cfg_node *key = n->keys[i];
        char section[1100];
        snprintf(section, sizeof(section), "%s.%s", v->spath, key->text);
        const struct pharos_plugin *owner = cfg_section_owner(v->reg, section);
        if (!owner) {
                for (size_t k = 0; k < n_cands; k++)
                        if (cfg_is_close(key->text, cands[k])) {
                                verr(v, key, "unknown key '%s'; did you mean '%s'?", key->text,
                                     cands[k]);
                                return;
                        }
                const char *near = close_section(v, v->spath, key->text);
                if (near) {
                        verr(v, key, "unknown key '%s'; did you mean '%s'?", key->text, near);
                        return;
                }
                cfg_error(v->d, key->line, key->col,
                          "%s: needs plugin '%s-%s', which is not loaded (install it or add its "
                          "directory to --plugin-path)",
                          section, x->plugin_prefix, key->text);
                return;
        }
        struct mark m = push_key(v, key->text);
        cfg_node *val = n->items[i];
        if (cfg_scalar_is_null(val)) {
                /* "addons: {kured: }" means an empty section. */
                cfg_node *empty = cfg_node_new(PHAROS_CONFIG_MAP, val->line, val->col);
                if (empty) {
                        cfg_node_free(val);
                        n->items[i] = val = empty;
                }
        }
        if (core_key && val->kind == PHAROS_CONFIG_MAP) {
                cfg_node *c = cfg_map_get(val, core_key, NULL);
                struct mark mk = push_key(v, core_key);
                if (c)
                        check_scalar(v, c, CFG_T_BOOL, 0, 0);
                else if ((c = insert_default(v, val, core_key, "false")))
                        c->type = CFG_T_BOOL;
                pop(v, mk);
        }
        const struct pharos_config_schema *s = owner->desc.config_schema;
        if (val->kind != PHAROS_CONFIG_MAP)
                expected(v, val, "a mapping");
        else if (s && s->struct_size < sizeof(*s))
                verr(v, key,
                     "plugin '%s' declares a schema this pharos cannot read (struct_size %u)",
                     owner->desc.name, s->struct_size);
        else if (!s || !s->fields) {
                for (size_t k = 0; k < val->len; k++)
                        if (!core_key || strcmp(val->keys[k]->text, core_key) != 0)
                                verr(v, val->keys[k],
                                     "unknown key '%s' (plugin '%s' takes no settings)",
                                     val->keys[k]->text, owner->desc.name);
        } else {
                check_pmap(v, val, s->fields, core_key, 1);
                if (core_key) {
                        const char *order[] = {core_key};
                        reorder(val, order, 1);
                }
        }
        pop(v, m);
}

/* ---- the core schema (libcyaml) ---- */

static void check_value(struct vctx *v, cfg_node *n, const cyaml_schema_value_t *s);

static void check_map(struct vctx *v, cfg_node *n, const cyaml_schema_field_t *fields,
                      const struct cfg_extra *x)
{
        if (n->kind != PHAROS_CONFIG_MAP) {
                expected(v, n, "a mapping");
                return;
        }
        const char *cands[64];
        size_t nf = 0;
        while (nf < 64 && fields[nf].key) {
                cands[nf] = fields[nf].key;
                nf++;
        }
        /* A required key the user misspelt is reported once, as the misspelling. */
        int suggested[64] = {0};
        for (size_t i = 0; i < n->len; i++) {
                const char *key = n->keys[i]->text;
                const cyaml_schema_field_t *f = NULL;
                for (size_t k = 0; k < nf && !f; k++)
                        if (strcmp(fields[k].key, key) == 0)
                                f = &fields[k];
                if (!f) {
                        if (retired_key(v, n->keys[i]))
                                continue;
                        if (x && (x->flags & CFG_X_PLUGIN_SECTIONS))
                                check_plugin_section(v, n, i, x, cands, nf, NULL);
                        else
                                unknown_key(v, n->keys[i], cands, nf);
                        for (size_t k = 0; k < nf; k++)
                                if (cfg_is_close(key, cands[k])) {
                                        suggested[k] = 1;
                                        break;
                                }
                        continue;
                }
                if (cfg_scalar_is_null(n->items[i])) {
                        if (f->value.flags & CYAML_FLAG_OPTIONAL) {
                                cfg_node_remove(n, i--);
                        } else {
                                verr(v, n->keys[i], "'%s' needs a value", key);
                                n->items[i]->bad = 1;
                        }
                        continue;
                }
                struct mark m = push_key(v, key);
                check_value(v, n->items[i], &f->value);
                pop(v, m);
        }
        for (size_t k = 0; k < nf; k++) {
                const cyaml_schema_field_t *f = &fields[k];
                if (cfg_map_get(n, f->key, NULL))
                        continue;
                if (!(f->value.flags & CYAML_FLAG_OPTIONAL)) {
                        if (!suggested[k])
                                verr(v, n, "missing required key '%s'", f->key);
                        continue;
                }
                struct mark m = push_key(v, f->key);
                const struct cfg_extra *fx = cfg_extra_find(v->spath);
                cfg_node *added = NULL;
                if (fx && fx->def)
                        added = insert_default(v, n, f->key, fx->def);
                else if (f->value.type == CYAML_MAPPING && !(f->value.flags & CYAML_FLAG_POINTER))
                        added = insert_empty_map(v, n, f->key);
                if (added)
                        check_value(v, added, &f->value);
                pop(v, m);
        }
        reorder(n, cands, nf);
}

static void check_value(struct vctx *v, cfg_node *n, const cyaml_schema_value_t *s)
{
        const struct cfg_extra *x = cfg_extra_find(v->spath);
        switch (s->type) {
        case CYAML_INT: {
                long long lim = s->data_size >= 8 ? LLONG_MAX : (1LL << (s->data_size * 8 - 1)) - 1;
                long long lo = x && x->max > x->min ? x->min : -lim - 1;
                long long hi = x && x->max > x->min ? x->max : lim;
                check_scalar(v, n, CFG_T_INT, lo, hi);
                break;
        }
        case CYAML_BOOL:
                if (check_scalar(v, n, CFG_T_BOOL, 0, 0) == 0)
                        check_retired_value(v, n);
                break;
        case CYAML_FLOAT:
                check_scalar(v, n, CFG_T_DOUBLE, 0, 0);
                break;
        case CYAML_STRING:
                check_string(v, n, x);
                break;
        case CYAML_MAPPING:
                check_map(v, n, s->mapping.fields, x);
                break;
        case CYAML_SEQUENCE:
                if (n->kind != PHAROS_CONFIG_LIST) {
                        expected(v, n, "a list");
                        break;
                }
                if (n->len < s->sequence.min) {
                        verr(v, n, "needs at least %u item%s", s->sequence.min,
                             s->sequence.min == 1 ? "" : "s");
                        break;
                }
                for (size_t i = 0; i < n->len; i++) {
                        struct mark m = push_index(v, i);
                        check_value(v, n->items[i], s->sequence.entry);
                        pop(v, m);
                }
                break;
        case CYAML_IGNORE:
                if (x && (x->flags & CFG_X_STRING_MAP)) {
                        check_string_map(v, n, x);
                } else if (x && (x->flags & CFG_X_PLUGIN_SECTIONS)) {
                        if (n->kind != PHAROS_CONFIG_MAP) {
                                expected(v, n, "a mapping");
                                break;
                        }
                        for (size_t i = 0; i < n->len; i++)
                                check_plugin_section(v, n, i, x, NULL, 0, "enabled");
                }
                break;
        default:
                verr(v, n, "unsupported schema type %d", (int)s->type);
        }
}

void cfg_validate(cfg_node **root, const struct registry *reg, struct cfg_diags *d)
{
        struct vctx v = {.d = d, .reg = reg};
        if (!*root || cfg_scalar_is_null(*root)) {
                cfg_error(d, 1, 1, "empty configuration: expected a mapping with a 'hosts' list");
                return;
        }
        check_value(&v, *root, &cfg_schema_root);
}
