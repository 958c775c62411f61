#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/json.h"

yajl_val json_get(yajl_val v, const char *dotted)
{
        char key[256];
        const char *p = dotted;
        while (v && *p) {
                size_t len = strcspn(p, ".");
                if (len >= sizeof(key) || !YAJL_IS_OBJECT(v))
                        return NULL;
                memcpy(key, p, len);
                key[len] = '\0';
                yajl_val next = NULL;
                for (size_t i = 0; i < v->u.object.len; i++)
                        if (strcmp(v->u.object.keys[i], key) == 0)
                                next = v->u.object.values[i];
                v = next;
                p += len + (p[len] == '.');
        }
        return v;
}

const char *json_get_str(yajl_val v, const char *dotted)
{
        yajl_val s = json_get(v, dotted);
        return YAJL_IS_STRING(s) ? s->u.string : NULL;
}

static int cmp_idx(const void *a, const void *b, void *keys)
{
        const char *const *k = keys;
        return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

/* qsort_r is a GNU extension; a plain insertion sort keeps this portable and objects are small. */
static void sort_indices(size_t *idx, size_t n, const char **keys)
{
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && cmp_idx(&idx[j - 1], &idx[j], keys) > 0; j--) {
                        size_t t = idx[j];
                        idx[j] = idx[j - 1];
                        idx[j - 1] = t;
                }
}

void json_emit(yajl_gen g, yajl_val v, int sort_keys)
{
        if (!v || YAJL_IS_NULL(v)) {
                yajl_gen_null(g);
        } else if (YAJL_IS_STRING(v)) {
                yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
        } else if (YAJL_IS_NUMBER(v)) {
                yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
                yajl_gen_bool(g, YAJL_IS_TRUE(v));
        } else if (YAJL_IS_ARRAY(v)) {
                yajl_gen_array_open(g);
                for (size_t i = 0; i < v->u.array.len; i++)
                        json_emit(g, v->u.array.values[i], sort_keys);
                yajl_gen_array_close(g);
        } else {
                size_t n = v->u.object.len;
                size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
                yajl_gen_map_open(g);
                for (size_t i = 0; idx && i < n; i++)
                        idx[i] = i;
                if (idx && sort_keys)
                        sort_indices(idx, n, v->u.object.keys);
                for (size_t i = 0; idx && i < n; i++) {
                        const char *k = v->u.object.keys[idx[i]];
                        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
                        json_emit(g, v->u.object.values[idx[i]], sort_keys);
                }
                yajl_gen_map_close(g);
                free(idx);
        }
}

char *json_canonical(yajl_val v)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        json_emit(g, v, 1);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        char *out = malloc(len + 1);
        if (out) {
                memcpy(out, buf, len);
                out[len] = '\0';
        }
        yajl_gen_free(g);
        return out;
}

yajl_val json_parse(const char *text, char *msg, size_t msg_size)
{
        return yajl_tree_parse(text, msg, msg_size);
}

void json_sha256_hex(const char *s, size_t len, char out[65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        EVP_Digest(s, len, md, &md_len, EVP_sha256(), NULL);
        for (unsigned int i = 0; i < md_len && i < 32; i++)
                snprintf(out + 2 * (size_t)i, 3, "%02x", md[i]);
        out[64] = '\0';
}
