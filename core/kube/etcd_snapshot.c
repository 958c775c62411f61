#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "kube/etcd_snapshot.h"

#define SHA256_LEN 32
/* etcd sends 32 KiB blobs; a line far beyond that is not its stream. */
#define MAX_LINE (16u << 20)

enum phase {
        PH_DATA, /* database blobs until one says nothing remains */
        PH_HASH, /* the checksum blob */
        PH_DONE, /* nothing more may come */
};

struct etcd_snap {
        etcd_snap_sink sink;
        void *ud;
        enum phase phase;
        uint64_t total, received, file_bytes;
        int have_total;
        unsigned char db_sum[SHA256_LEN], sent_sum[SHA256_LEN];
        EVP_MD_CTX *db, *file;
        char *line;
        size_t len, cap;
        unsigned long messages;
        int cut; /* the last line was not JSON */
};

struct etcd_snap *etcd_snap_new(etcd_snap_sink sink, void *ud)
{
        struct etcd_snap *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->sink = sink;
        s->ud = ud;
        s->db = EVP_MD_CTX_new();
        s->file = EVP_MD_CTX_new();
        if (!s->db || !s->file || !EVP_DigestInit_ex(s->db, EVP_sha256(), NULL) ||
            !EVP_DigestInit_ex(s->file, EVP_sha256(), NULL)) {
                etcd_snap_free(s);
                return NULL;
        }
        return s;
}

void etcd_snap_free(struct etcd_snap *s)
{
        if (!s)
                return;
        EVP_MD_CTX_free(s->db);
        EVP_MD_CTX_free(s->file);
        free(s->line);
        free(s);
}

uint64_t etcd_snap_received(const struct etcd_snap *s)
{
        return s->received;
}

uint64_t etcd_snap_total(const struct etcd_snap *s)
{
        return s->have_total ? s->total : 0;
}

/* Decodes base64 text into a malloc'd buffer; -1 when it is not base64. */
static int unbase64(const char *text, unsigned char **out, size_t *out_len)
{
        size_t n = strlen(text);
        *out = malloc(n / 4 * 3 + 1);
        *out_len = 0;
        if (!*out)
                return -1;
        if (n == 0)
                return 0;
        int got = n % 4 ? -1 : EVP_DecodeBlock(*out, (const unsigned char *)text, (int)n);
        if (got < 0) {
                free(*out);
                *out = NULL;
                return -1;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        size_t pad = text[n - 1] == '=' ? (text[n - 2] == '=' ? 2 : 1) : 0;
        *out_len = (size_t)got - pad;
        return 0;
}

/* remainingBytes: a decimal string (uint64 in proto3 JSON), a number, or absent (0). */
static int remaining_of(yajl_val result, uint64_t *out)
{
        static const char *remaining_path[] = {"remainingBytes", NULL};
        static const char *remaining_orig[] = {"remaining_bytes", NULL};
        yajl_val v = yajl_tree_get(result, remaining_path, yajl_t_any);
        if (!v)
                v = yajl_tree_get(result, remaining_orig, yajl_t_any);
        *out = 0;
        if (!v)
                return 0;
        const char *text = YAJL_IS_STRING(v)   ? YAJL_GET_STRING(v)
                           : YAJL_IS_NUMBER(v) ? YAJL_GET_NUMBER(v)
                                               : NULL;
        if (!text || !*text || *text == '-')
                return -1;
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(text, &end, 10);
        if (errno || *end)
                return -1;
        *out = n;
        return 0;
}

static int give(struct etcd_snap *s, const unsigned char *data, size_t len,
                struct pharos_error *err)
{
        if (len == 0)
                return 0;
        EVP_DigestUpdate(s->file, data, len);
        s->file_bytes += len;
        return s->sink(s->ud, data, len, err);
}

/* The error etcd's gateway streams when the RPC fails midway. */
static int etcd_error(yajl_val error, struct pharos_error *err)
{
        static const char *message[] = {"message", NULL};
        static const char *error_path[] = {"error", NULL};
        yajl_val m = YAJL_IS_OBJECT(error) ? yajl_tree_get(error, message, yajl_t_string) : NULL;
        if (!m && YAJL_IS_OBJECT(error))
                m = yajl_tree_get(error, error_path, yajl_t_string);
        return perr_set(err, PERR_FAIL, "etcd stopped the snapshot: %.300s",
                        m ? YAJL_GET_STRING(m) : "(no message)");
}

/* One message: its blob goes on, its counts are checked against the ones before. */
static int message(struct etcd_snap *s, yajl_val doc, struct pharos_error *err)
{
        static const char *result_path[] = {"result", NULL};
        static const char *error_path[] = {"error", NULL};
        static const char *blob_path[] = {"blob", NULL};
        yajl_val error = yajl_tree_get(doc, error_path, yajl_t_any);
        if (error)
                return etcd_error(error, err);
        yajl_val result = yajl_tree_get(doc, result_path, yajl_t_object);
        if (!result)
                return perr_set(err, PERR_FAIL,
                                "snapshot message %lu is neither a result nor an error",
                                s->messages + 1);
        yajl_val blob = yajl_tree_get(result, blob_path, yajl_t_any);
        uint64_t remaining = 0;
        if ((blob && !YAJL_IS_STRING(blob)) || remaining_of(result, &remaining) < 0)
                return perr_set(err, PERR_FAIL, "snapshot message %lu is malformed",
                                s->messages + 1);
        unsigned char *data = NULL;
        size_t len = 0;
        if (unbase64(blob ? YAJL_GET_STRING(blob) : "", &data, &len) < 0)
                return perr_set(err, PERR_FAIL, "snapshot message %lu: blob is not base64",
                                s->messages + 1);
        s->messages++;
        int rc = 0;
        switch (s->phase) {
        case PH_DATA:
                if (!s->have_total) {
                        s->total = remaining + len;
                        s->have_total = 1;
                }
                /* etcd counts down what is left after each blob: any other figure
                 * means a blob was lost or came twice. */
                if (s->received + len + remaining != s->total) {
                        rc = perr_set(err, PERR_FAIL,
                                      "snapshot stream out of order at message %lu (%llu + %zu "
                                      "bytes with %llu remaining, of %llu)",
                                      s->messages, (unsigned long long)s->received, len,
                                      (unsigned long long)remaining, (unsigned long long)s->total);
                        break;
                }
                EVP_DigestUpdate(s->db, data, len);
                s->received += len;
                rc = give(s, data, len, err);
                if (remaining == 0)
                        s->phase = PH_HASH;
                break;
        case PH_HASH:
                if (len != SHA256_LEN || remaining != 0) {
                        rc = perr_set(err, PERR_FAIL,
                                      "snapshot stream: the checksum message has %zu bytes, "
                                      "not %d",
                                      len, SHA256_LEN);
                        break;
                }
                memcpy(s->sent_sum, data, SHA256_LEN);
                rc = give(s, data, len, err);
                s->phase = PH_DONE;
                break;
        case PH_DONE:
                rc = perr_set(err, PERR_FAIL, "snapshot stream: data after the checksum");
                break;
        }
        free(data);
        return rc;
}

static int line(struct etcd_snap *s, struct pharos_error *err)
{
        const char *p = s->line;
        while (*p == ' ' || *p == '\r' || *p == '\t')
                p++;
        if (!*p)
                return 0;
        char msg[200] = "";
        yajl_val doc = yajl_tree_parse(p, msg, sizeof(msg));
        s->cut = !doc;
        if (!doc)
                return perr_set(err, PERR_FAIL, "snapshot message %lu is not JSON: %s",
                                s->messages + 1, msg);
        int rc = message(s, doc, err);
        yajl_tree_free(doc);
        return rc;
}

int etcd_snap_feed(struct etcd_snap *s, const char *data, size_t len, struct pharos_error *err)
{
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t)(nl - data) : len;
                if (s->len + take + 1 > MAX_LINE)
                        return perr_set(err, PERR_FAIL,
                                        "snapshot message %lu is larger than %u bytes: not "
                                        "etcd's snapshot stream",
                                        s->messages + 1, MAX_LINE);
                if (s->len + take + 1 > s->cap) {
                        size_t cap = s->cap ? s->cap : 65536;
                        while (cap < s->len + take + 1)
                                cap *= 2;
                        char *grown = realloc(s->line, cap);
                        if (!grown)
                                return perr_set(err, PERR_NOMEM, "out of memory");
                        s->line = grown;
                        s->cap = cap;
                }
                memcpy(s->line + s->len, data, take);
                s->len += take;
                s->line[s->len] = '\0';
                data += take;
                len -= take;
                if (!nl)
                        break;
                data++;
                len--;
                int rc = line(s, err);
                s->len = 0;
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static void hex(const unsigned char *md, char out[65])
{
        for (int i = 0; i < SHA256_LEN; i++)
                snprintf(out + 2 * (size_t)i, 3, "%02x", md[i]);
}

int etcd_snap_finish(struct etcd_snap *s, struct etcd_snap_result *res, struct pharos_error *err)
{
        /* The gateway ends every message with a newline; a last line without one
         * is still parsed, so a cut inside it reads as the truncation it is. */
        if (s->len > 0) {
                int rc = line(s, err);
                s->len = 0;
                if (rc < 0 && !s->cut)
                        return rc;
                if (rc < 0)
                        return perr_set(err, PERR_FAIL,
                                        "snapshot stream truncated: its last message is cut "
                                        "short after %llu of %llu bytes",
                                        (unsigned long long)s->received,
                                        (unsigned long long)s->total);
        }
        if (s->phase == PH_DATA)
                return perr_set(err, PERR_FAIL,
                                "snapshot stream truncated after %llu of %llu bytes",
                                (unsigned long long)s->received, (unsigned long long)s->total);
        if (s->phase == PH_HASH)
                return perr_set(err, PERR_FAIL,
                                "snapshot stream truncated: all %llu bytes came, but not the "
                                "checksum etcd sends after them",
                                (unsigned long long)s->received);
        unsigned char file_sum[SHA256_LEN];
        EVP_DigestFinal_ex(s->db, s->db_sum, NULL);
        EVP_DigestFinal_ex(s->file, file_sum, NULL);
        char sent[65];
        hex(s->sent_sum, sent);
        hex(s->db_sum, res->db_sha256);
        if (memcmp(s->db_sum, s->sent_sum, SHA256_LEN) != 0)
                return perr_set(err, PERR_FAIL,
                                "snapshot checksum mismatch: etcd sent sha256 %s, the %llu "
                                "bytes received hash to %s",
                                sent, (unsigned long long)s->received, res->db_sha256);
        hex(file_sum, res->file_sha256);
        res->db_bytes = s->received;
        res->file_bytes = s->file_bytes;
        return 0;
}
