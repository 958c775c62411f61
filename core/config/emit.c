#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yaml.h>

#include "config/emit.h"
#include "util/error.h"

struct obuf {
        char *p;
        size_t n, cap;
};

static int obuf_put(void *data, unsigned char *s, size_t n)
{
        struct obuf *b = data;
        if (b->n + n + 1 > b->cap) {
                size_t cap = (b->n + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p)
                        return 0;
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
        return 1;
}

/* The type a scalar has for output: from the schema, else from its YAML form. */
static int scalar_type(const cfg_node *n)
{
        if (n->type != CFG_T_UNTYPED)
                return n->type;
        if (n->quoted)
                return CFG_T_STRING;
        if (cfg_scalar_is_null(n))
                return CFG_T_NULL;
        long long i;
        int b;
        double x;
        if (cfg_parse_int(n->text, &i) == 0)
                return CFG_T_INT;
        if (cfg_parse_bool(n->text, &b) == 0)
                return CFG_T_BOOL;
        if (cfg_parse_double(n->text, &x) == 0)
                return CFG_T_DOUBLE;
        return CFG_T_STRING;
}

/* s with every "${" doubled to "$${", or NULL when there is none (or no memory). */
static char *escape_refs(const char *s)
{
        size_t extra = 0;
        for (const char *p = strstr(s, "${"); p; p = strstr(p + 2, "${"))
                extra++;
        char *out = extra ? malloc(strlen(s) + extra + 1) : NULL;
        if (!out)
                return NULL;
        char *o = out;
        for (const char *p = s; *p; p++) {
                if (p[0] == '$' && p[1] == '{')
                        *o++ = '$';
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

static int emit_scalar(yaml_emitter_t *e, const cfg_node *n, int is_key, int as_input)
{
        yaml_event_t ev;
        int type = is_key ? CFG_T_STRING : scalar_type(n);
        char *escaped = as_input && !is_key ? escape_refs(n->text) : NULL;
        const char *text = type == CFG_T_NULL ? "null" : escaped ? escaped : n->text;
        /* A string that was quoted, or that would read back as another type, stays quoted. */
        int plain_ok = type != CFG_T_STRING || !n->quoted;
        if (type == CFG_T_STRING && !n->quoted && !is_key) {
                cfg_node probe = *n;
                probe.type = CFG_T_UNTYPED;
                plain_ok = scalar_type(&probe) == CFG_T_STRING;
        }
        yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
        if (type == CFG_T_STRING && strchr(text, '\n'))
                style = YAML_LITERAL_SCALAR_STYLE;
        int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
                                              (int)strlen(text), plain_ok,
                                              !plain_ok || type == CFG_T_STRING, style);
        free(escaped);
        if (!ok)
                return PERR_NOMEM;
        return yaml_emitter_emit(e, &ev) ? 0 : PERR_FAIL;
}

static int emit_node(yaml_emitter_t *e, const cfg_node *n, int as_input)
{
        yaml_event_t ev;
        if (n->kind == PHAROS_CONFIG_SCALAR)
                return emit_scalar(e, n, 0, as_input);
        int map = n->kind == PHAROS_CONFIG_MAP;
        int ok = map ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                           YAML_BLOCK_MAPPING_STYLE)
                     : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                            YAML_BLOCK_SEQUENCE_STYLE);
        if (!ok || !yaml_emitter_emit(e, &ev))
                return PERR_FAIL;
        for (size_t i = 0; i < n->len; i++) {
                if (map && emit_scalar(e, n->keys[i], 1, as_input) < 0)
                        return PERR_FAIL;
                if (emit_node(e, n->items[i], as_input) < 0)
                        return PERR_FAIL;
        }
        ok = map ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev);
        return ok && yaml_emitter_emit(e, &ev) ? 0 : PERR_FAIL;
}

int cfg_emit_yaml(const cfg_node *root, int as_input, char **out, size_t *len)
{
        yaml_emitter_t e;
        yaml_event_t ev;
        struct obuf b = {0};
        int rc = PERR_FAIL;
        if (!yaml_emitter_initialize(&e))
                return PERR_NOMEM;
        yaml_emitter_set_output(&e, obuf_put, &b);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);
        if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
            yaml_emitter_emit(&e, &ev) &&
            yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
            yaml_emitter_emit(&e, &ev) && emit_node(&e, root, as_input) == 0 &&
            yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
            yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
            yaml_emitter_flush(&e))
                rc = 0;
        yaml_emitter_delete(&e);
        if (rc < 0 || !b.p) {
                free(b.p);
                return rc < 0 ? rc : PERR_FAIL;
        }
        *out = b.p;
        *len = b.n;
        return 0;
}

static void gen_string(yajl_gen g, const char *s)
{
        yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_node(yajl_gen g, const cfg_node *n)
{
        if (n->kind == PHAROS_CONFIG_MAP) {
                yajl_gen_map_open(g);
                for (size_t i = 0; i < n->len; i++) {
                        gen_string(g, n->keys[i]->text);
                        gen_node(g, n->items[i]);
                }
                yajl_gen_map_close(g);
                return;
        }
        if (n->kind == PHAROS_CONFIG_LIST) {
                yajl_gen_array_open(g);
                for (size_t i = 0; i < n->len; i++)
                        gen_node(g, n->items[i]);
                yajl_gen_array_close(g);
                return;
        }
        long long i;
        int b;
        double x;
        switch (scalar_type(n)) {
        case CFG_T_NULL:
                yajl_gen_null(g);
                break;
        case CFG_T_INT:
                if (cfg_parse_int(n->text, &i) == 0)
                        yajl_gen_integer(g, i);
                else
                        gen_string(g, n->text);
                break;
        case CFG_T_BOOL:
                cfg_parse_bool(n->text, &b);
                yajl_gen_bool(g, b);
                break;
        case CFG_T_DOUBLE:
                cfg_parse_double(n->text, &x);
                yajl_gen_double(g, x);
                break;
        default:
                gen_string(g, n->text);
        }
}

int cfg_emit_json(const cfg_node *root, char **out, size_t *len)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return PERR_NOMEM;
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_config(g, yajl_gen_validate_utf8, 1);
        gen_node(g, root);
        const unsigned char *buf;
        size_t n;
        int rc = PERR_FAIL;
        if (yajl_gen_get_buf(g, &buf, &n) == yajl_gen_status_ok && (*out = malloc(n + 1))) {
                memcpy(*out, buf, n);
                (*out)[n] = '\0';
                *len = n;
                rc = 0;
        }
        yajl_gen_free(g);
        return rc;
}
