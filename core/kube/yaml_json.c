#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yaml.h>

#include "kube/yaml_json.h"

/* Nesting deeper than any manifest needs is refused rather than recursed into. */
#define MAX_DEPTH 256

struct conv {
        yaml_parser_t parser;
        yajl_gen gen;
        const char *source;
        struct pharos_error *err;
        int depth;
};

static int fail_at(struct conv *c, const yaml_mark_t *m, const char *what)
{
        return perr_set(c->err, PERR_USAGE, "%s:%zu:%zu: %s", c->source, m->line + 1, m->column + 1,
                        what);
}

static int next_event(struct conv *c, yaml_event_t *ev)
{
        if (yaml_parser_parse(&c->parser, ev))
                return 0;
        return perr_set(c->err, PERR_USAGE, "%s:%zu:%zu: %s%s%s", c->source,
                        c->parser.problem_mark.line + 1, c->parser.problem_mark.column + 1,
                        c->parser.problem ? c->parser.problem : "invalid YAML",
                        c->parser.context ? " " : "", c->parser.context ? c->parser.context : "");
}

static int all_digits(const char *s, const char *set)
{
        if (!*s)
                return 0;
        for (; *s; s++)
                if (!strchr(set, *s))
                        return 0;
        return 1;
}

/* YAML 1.2 core float: [-+]?(.digits|digits(.digits*)?)([eE][-+]?digits)? */
static int is_float(const char *s)
{
        const char *p = s + (*s == '-' || *s == '+');
        size_t lead = strspn(p, "0123456789");
        p += lead;
        if (*p == '.') {
                size_t frac = strspn(p + 1, "0123456789");
                if (!lead && !frac)
                        return 0;
                p += 1 + frac;
        } else if (!lead) {
                return 0;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                p += *p == '-' || *p == '+';
                size_t exp = strspn(p, "0123456789");
                if (!exp)
                        return 0;
                p += exp;
        }
        return *p == '\0';
}

static void gen_text(yajl_gen g, const char *s, size_t n)
{
        yajl_gen_string(g, (const unsigned char *)s, n);
}

/* Emits a scalar with the core schema's typing. */
static int emit_scalar(struct conv *c, const yaml_event_t *ev)
{
        const char *s = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;
        const char *tag = (const char *)ev->data.scalar.tag;
        int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag;

        if (strlen(s) != n)
                return fail_at(c, &ev->start_mark, "NUL byte in a scalar");
        if (plain) {
                if (!strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
                    !strcmp(s, "NULL")) {
                        yajl_gen_null(c->gen);
                        return 0;
                }
                if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
                        yajl_gen_bool(c->gen, 1);
                        return 0;
                }
                if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
                        yajl_gen_bool(c->gen, 0);
                        return 0;
                }
                const char *digits = s + (*s == '-' || *s == '+');
                if (all_digits(digits, "0123456789")) {
                        /* JSON has no '+' sign or leading zeros; the digits stay exact. */
                        while (digits[0] == '0' && digits[1])
                                digits++;
                        char *num = malloc(strlen(digits) + 2);
                        if (!num)
                                return perr_set(c->err, PERR_NOMEM, "out of memory");
                        int len = sprintf(num, "%s%s",
                                          *s == '-' && strcmp(digits, "0") != 0 ? "-" : "", digits);
                        yajl_gen_number(c->gen, num, (size_t)len);
                        free(num);
                        return 0;
                }
                if ((s[0] == '0' && s[1] == 'x' && all_digits(s + 2, "0123456789abcdefABCDEF")) ||
                    (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567"))) {
                        char buf[32];
                        errno = 0;
                        unsigned long long v = strtoull(s + 2, NULL, s[1] == 'x' ? 16 : 8);
                        if (errno == ERANGE)
                                return fail_at(c, &ev->start_mark, "integer out of range");
                        int len = snprintf(buf, sizeof(buf), "%llu", v);
                        yajl_gen_number(c->gen, buf, (size_t)len);
                        return 0;
                }
                if (is_float(s)) {
                        /* Keep the text (no binary round trip), made valid JSON:
                         * no '+' sign, no leading zeros, a digit on both sides of the point. */
                        char buf[128];
                        const char *p = s + (*s == '-' || *s == '+');
                        size_t lead = strspn(p, "0123456789"), o = 0;
                        while (lead > 1 && *p == '0') {
                                p++;
                                lead--;
                        }
                        if (n > 100 || !isfinite(strtod(s, NULL)))
                                return fail_at(c, &ev->start_mark, "number out of range");
                        if (*s == '-')
                                buf[o++] = '-';
                        if (!lead)
                                buf[o++] = '0';
                        memcpy(buf + o, p, lead);
                        o += lead;
                        p += lead;
                        if (*p == '.') {
                                size_t frac = strspn(p + 1, "0123456789");
                                buf[o++] = '.';
                                if (!frac)
                                        buf[o++] = '0';
                                memcpy(buf + o, p + 1, frac);
                                o += frac;
                                p += 1 + frac;
                        }
                        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", p);
                        if (o > 100) /* the same limit as the text, so what we write reads back */
                                return fail_at(c, &ev->start_mark, "number out of range");
                        yajl_gen_number(c->gen, buf, o);
                        return 0;
                }
        }
        gen_text(c->gen, s, n);
        return 0;
}

static int emit_node(struct conv *c, yaml_event_t *ev);

/* Consumes events until the matching end event; ev is the start event. */
static int emit_collection(struct conv *c, yaml_event_t *start)
{
        int is_map = start->type == YAML_MAPPING_START_EVENT;
        if (++c->depth > MAX_DEPTH)
                return fail_at(c, &start->start_mark, "nesting deeper than 256 levels");
        if (is_map)
                yajl_gen_map_open(c->gen);
        else
                yajl_gen_array_open(c->gen);
        for (int key = 1;; key = !key) {
                yaml_event_t ev;
                if (next_event(c, &ev) < 0)
                        return PERR_USAGE;
                int rc = 0;
                if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                if (is_map && key) {
                        if (ev.type != YAML_SCALAR_EVENT)
                                rc = fail_at(c, &ev.start_mark, "mapping keys must be scalars");
                        else
                                gen_text(c->gen, (const char *)ev.data.scalar.value,
                                         ev.data.scalar.length);
                } else {
                        rc = emit_node(c, &ev);
                }
                if (!is_map)
                        key = 0;
                yaml_event_delete(&ev);
                if (rc < 0)
                        return rc;
        }
        c->depth--;
        if (is_map)
                yajl_gen_map_close(c->gen);
        else
                yajl_gen_array_close(c->gen);
        return 0;
}

static int emit_node(struct conv *c, yaml_event_t *ev)
{
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                return emit_scalar(c, ev);
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
                return emit_collection(c, ev);
        case YAML_ALIAS_EVENT:
                return fail_at(c, &ev->start_mark,
                               "aliases (*name) are not supported in manifests");
        default:
                return fail_at(c, &ev->start_mark, "unexpected YAML event");
        }
}

static int push_doc(struct json_docs *out, const unsigned char *buf, size_t len, int line)
{
        char **j = realloc(out->json, (out->n + 1) * sizeof(*j));
        if (!j)
                return PERR_NOMEM;
        out->json = j;
        int *l = realloc(out->line, (out->n + 1) * sizeof(*l));
        if (!l)
                return PERR_NOMEM;
        out->line = l;
        char *copy = malloc(len + 1);
        if (!copy)
                return PERR_NOMEM;
        memcpy(copy, buf, len);
        copy[len] = '\0';
        out->json[out->n] = copy;
        out->line[out->n++] = line;
        return 0;
}

/* Converts one document whose DOCUMENT_START was consumed; ends after DOCUMENT_END. */
static int convert_doc(struct conv *c, struct json_docs *out, int line)
{
        yaml_event_t ev;
        if (next_event(c, &ev) < 0)
                return PERR_USAGE;
        int is_null = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
                      ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        int rc = 0;
        if (!is_null) {
                c->gen = yajl_gen_alloc(NULL);
                if (!c->gen)
                        rc = perr_set(c->err, PERR_NOMEM, "out of memory");
                else
                        rc = emit_node(c, &ev);
                if (rc == 0) {
                        const unsigned char *buf;
                        size_t len;
                        yajl_gen_get_buf(c->gen, &buf, &len);
                        if (push_doc(out, buf, len, line) < 0)
                                rc = perr_set(c->err, PERR_NOMEM, "out of memory");
                }
                if (c->gen)
                        yajl_gen_free(c->gen);
                c->gen = NULL;
        }
        yaml_event_delete(&ev);
        if (rc < 0)
                return rc;
        if (next_event(c, &ev) < 0)
                return PERR_USAGE;
        yaml_event_delete(&ev); /* DOCUMENT_END */
        return 0;
}

int yaml_to_json(const char *yaml, size_t len, const char *source, struct json_docs *out,
                 struct pharos_error *err)
{
        struct conv c = {.source = source, .err = err};
        memset(out, 0, sizeof(*out));
        if (!yaml_parser_initialize(&c.parser))
                return perr_set(err, PERR_NOMEM, "out of memory");
        yaml_parser_set_input_string(&c.parser, (const unsigned char *)yaml, len);
        int rc = 0;
        for (;;) {
                yaml_event_t ev;
                if ((rc = next_event(&c, &ev)) < 0)
                        break;
                yaml_event_type_t t = ev.type;
                int line = (int)ev.start_mark.line + 1;
                yaml_event_delete(&ev);
                if (t == YAML_STREAM_END_EVENT)
                        break;
                if (t == YAML_DOCUMENT_START_EVENT && (rc = convert_doc(&c, out, line)) < 0)
                        break;
        }
        yaml_parser_delete(&c.parser);
        if (rc < 0)
                json_docs_free(out);
        return rc;
}

void json_docs_free(struct json_docs *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->json[i]);
        free(d->json);
        free(d->line);
        memset(d, 0, sizeof(*d));
}
