#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kube/json_yaml.h"

struct outbuf {
        char *data;
        size_t len;
};

static int on_write(void *ud, unsigned char *buf, size_t size)
{
        struct outbuf *o = ud;
        char *grown = realloc(o->data, o->len + size + 1);
        if (!grown)
                return 0;
        o->data = grown;
        memcpy(o->data + o->len, buf, size);
        o->len += size;
        o->data[o->len] = '\0';
        return 1;
}

static int scalar(yaml_emitter_t *em, const char *s, int plain_ok)
{
        yaml_event_t ev;
        yaml_scalar_event_initialize(
                &ev, NULL, (yaml_char_t *)YAML_STR_TAG, (yaml_char_t *)s, (int)strlen(s), plain_ok,
                !plain_ok, plain_ok ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        return yaml_emitter_emit(em, &ev);
}

/* Strings that would read back as another type are quoted. */
static int needs_quotes(const char *s)
{
        static const char *const typed[] = {"",     "~",    "null",  "Null",  "NULL",  "true",
                                            "True", "TRUE", "false", "False", "FALSE", "yes",
                                            "no",   "on",   "off",   "y",     "n",     NULL};
        for (const char *const *t = typed; *t; t++)
                if (strcmp(s, *t) == 0)
                        return 1;
        return strspn(s, "0123456789+-.eExXoO") == strlen(s);
}

static int emit(yaml_emitter_t *em, yajl_val v)
{
        yaml_event_t ev;
        if (!v || YAJL_IS_NULL(v))
                return scalar(em, "null", 1);
        if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
                return scalar(em, YAJL_IS_TRUE(v) ? "true" : "false", 1);
        if (YAJL_IS_NUMBER(v))
                return scalar(em, v->u.number.r, 1);
        if (YAJL_IS_STRING(v))
                return scalar(em, v->u.string, !needs_quotes(v->u.string));
        if (YAJL_IS_ARRAY(v)) {
                yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
                if (!yaml_emitter_emit(em, &ev))
                        return 0;
                for (size_t i = 0; i < v->u.array.len; i++)
                        if (!emit(em, v->u.array.values[i]))
                                return 0;
                yaml_sequence_end_event_initialize(&ev);
                return yaml_emitter_emit(em, &ev);
        }
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(em, &ev))
                return 0;
        for (size_t i = 0; i < v->u.object.len; i++)
                if (!scalar(em, v->u.object.keys[i], !needs_quotes(v->u.object.keys[i])) ||
                    !emit(em, v->u.object.values[i]))
                        return 0;
        yaml_mapping_end_event_initialize(&ev);
        return yaml_emitter_emit(em, &ev);
}

char *json_to_yaml(yajl_val v)
{
        yaml_emitter_t em;
        yaml_event_t ev;
        struct outbuf o = {0};
        if (!yaml_emitter_initialize(&em))
                return NULL;
        yaml_emitter_set_output(&em, on_write, &o);
        yaml_emitter_set_unicode(&em, 1);
        yaml_emitter_set_width(&em, -1);
        int ok = 1;
        yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
        ok = ok && yaml_emitter_emit(&em, &ev);
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        ok = ok && yaml_emitter_emit(&em, &ev);
        ok = ok && emit(&em, v);
        yaml_document_end_event_initialize(&ev, 1);
        ok = ok && yaml_emitter_emit(&em, &ev);
        yaml_stream_end_event_initialize(&ev);
        ok = ok && yaml_emitter_emit(&em, &ev);
        yaml_emitter_delete(&em);
        if (!ok) {
                free(o.data);
                return NULL;
        }
        return o.data;
}
