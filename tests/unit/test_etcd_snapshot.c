/*
 * etcd's snapshot stream (kube/etcd_snapshot.h), in the shape etcd's JSON
 * gateway sends it (v3rpc/maintenance.go, seen from etcd 3.4's gateway): 32 KiB
 * database blobs counting remainingBytes down (left out once 0), then the
 * SHA-256 of the database as one last blob.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "kube/etcd_snapshot.h"

#define DB_SIZE (100 * 1024 + 123)
#define BLOB    32768

static unsigned char db[DB_SIZE];

/* The file the sink was given. */
struct sink {
        unsigned char *data;
        size_t len;
        int fail_after; /* refuse once this many bytes came; 0: never */
};

static int to_buffer(void *ud, const unsigned char *data, size_t len, struct pharos_error *err)
{
        struct sink *s = ud;
        if (s->fail_after && s->len + len > (size_t)s->fail_after)
                return perr_set(err, PERR_FAIL, "disk full");
        s->data = realloc(s->data, s->len + len);
        memcpy(s->data + s->len, data, len);
        s->len += len;
        return 0;
}

/* Appends one message line: blob of len bytes, remainingBytes left out when 0. */
static void message(char **text, size_t *n, const unsigned char *blob, size_t len, size_t remaining)
{
        char *b64 = malloc(len / 3 * 4 + 8);
        EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
        char tail[64] = "";
        if (remaining)
                snprintf(tail, sizeof(tail), ",\"remainingBytes\":\"%zu\"", remaining);
        size_t need = strlen(b64) + strlen(tail) + 64;
        *text = realloc(*text, *n + need);
        *n += (size_t)snprintf(*text + *n, need, "{\"result\":{\"blob\":\"%s\"%s}}\n", b64, tail);
        free(b64);
}

/* The whole stream as etcd sends it; caller frees. */
static char *stream(size_t *n)
{
        char *text = NULL;
        *n = 0;
        for (size_t off = 0; off < DB_SIZE; off += BLOB) {
                size_t len = DB_SIZE - off < BLOB ? DB_SIZE - off : BLOB;
                message(&text, n, db + off, len, DB_SIZE - off - len);
        }
        unsigned char sum[32];
        SHA256(db, DB_SIZE, sum);
        message(&text, n, sum, sizeof(sum), 0);
        return text;
}

/* Feeds text in pieces of `piece` bytes, then finishes. */
static int decode(const char *text, size_t n, size_t piece, struct sink *s,
                  struct etcd_snap_result *res, struct pharos_error *err)
{
        struct etcd_snap *snap = etcd_snap_new(to_buffer, s);
        assert_non_null(snap);
        int rc = 0;
        for (size_t off = 0; off < n && rc == 0; off += piece)
                rc = etcd_snap_feed(snap, text + off, n - off < piece ? n - off : piece, err);
        if (rc == 0)
                rc = etcd_snap_finish(snap, res, err);
        etcd_snap_free(snap);
        return rc;
}

static int setup(void **st)
{
        (void)st;
        for (size_t i = 0; i < DB_SIZE; i++)
                db[i] = (unsigned char)(i * 7 + i / 251);
        return 0;
}

static void whole_stream_in_any_pieces(void **st)
{
        (void)st;
        size_t n;
        char *text = stream(&n);
        static const size_t pieces[] = {1, 7, 4096, 100000, 1 << 20};
        for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
                struct sink s = {0};
                struct etcd_snap_result res;
                struct pharos_error err = {0};
                assert_int_equal(decode(text, n, pieces[k], &s, &res, &err), 0);
                /* The file is the database with its SHA-256 appended, as etcdctl saves it. */
                assert_int_equal(s.len, DB_SIZE + 32);
                assert_memory_equal(s.data, db, DB_SIZE);
                unsigned char sum[32], file_sum[32];
                SHA256(db, DB_SIZE, sum);
                assert_memory_equal(s.data + DB_SIZE, sum, 32);
                assert_int_equal(res.db_bytes, DB_SIZE);
                assert_int_equal(res.file_bytes, DB_SIZE + 32);
                SHA256(s.data, s.len, file_sum);
                char hex[65];
                for (int i = 0; i < 32; i++)
                        snprintf(hex + 2 * (size_t)i, 3, "%02x", file_sum[i]);
                assert_string_equal(res.file_sha256, hex);
                free(s.data);
        }
        free(text);
}

static void truncated_anywhere_fails(void **st)
{
        (void)st;
        size_t n;
        char *text = stream(&n);
        /* Every cut: inside a message, on a line end, before the checksum, inside it. */
        for (size_t cut = 0; cut < n; cut += cut < 200 ? 13 : 997) {
                struct sink s = {0};
                struct etcd_snap_result res;
                struct pharos_error err = {0};
                assert_int_not_equal(decode(text, cut, 4096, &s, &res, &err), 0);
                assert_non_null(strstr(err.msg, "truncated"));
                free(s.data);
        }
        /* The last newline is all that is missing: the stream is still whole. */
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_equal(decode(text, n - 1, 4096, &s, &res, &err), 0);
        free(s.data);
        free(text);
}

static void missing_checksum_named(void **st)
{
        (void)st;
        size_t n;
        char *text = stream(&n);
        /* Everything up to the checksum line. */
        const char *last = text + n - 2;
        while (last > text && *last != '\n')
                last--;
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, (size_t)(last - text + 1), 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "not the checksum"));
        free(s.data);
        free(text);
}

static void checksum_mismatch(void **st)
{
        (void)st;
        char *text = NULL;
        size_t n = 0;
        message(&text, &n, db, 1000, 0);
        unsigned char wrong[32] = {1};
        message(&text, &n, wrong, sizeof(wrong), 0);
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, n, 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "checksum mismatch"));
        free(s.data);
        free(text);
}

static void lost_or_repeated_message(void **st)
{
        (void)st;
        char *text = NULL;
        size_t n = 0;
        message(&text, &n, db, 1000, 3000);
        message(&text, &n, db + 2000, 1000, 1000); /* the blob for 1000..2000 is lost */
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, n, 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "out of order"));
        free(s.data);
        free(text);
}

static void etcd_error_reported(void **st)
{
        (void)st;
        char *text = NULL;
        size_t n = 0;
        message(&text, &n, db, 1000, 3000);
        const char *e = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: "
                        "leader changed\",\"http_status\":\"Service Unavailable\"}}\n";
        text = realloc(text, n + strlen(e) + 1);
        memcpy(text + n, e, strlen(e) + 1);
        n += strlen(e);
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, n, 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "etcd stopped the snapshot: etcdserver: leader changed"));
        free(s.data);
        free(text);
}

static void data_after_checksum_and_garbage(void **st)
{
        (void)st;
        size_t n;
        char *text = stream(&n);
        text = realloc(text, n + 64);
        size_t m = n + (size_t)snprintf(text + n, 64, "{\"result\":{\"blob\":\"AAAA\"}}\n");
        struct sink s = {0};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, m, 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "after the checksum"));
        free(s.data);
        s = (struct sink){0};
        assert_int_not_equal(decode("<html>bad gateway</html>\n", 25, 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "not JSON"));
        free(s.data);
        s = (struct sink){0};
        const char *bad = "{\"result\":{\"blob\":\"@@@@\"}}\n";
        assert_int_not_equal(decode(bad, strlen(bad), 4096, &s, &res, &err), 0);
        assert_non_null(strstr(err.msg, "not base64"));
        free(s.data);
        free(text);
}

static void sink_failure_stops(void **st)
{
        (void)st;
        size_t n;
        char *text = stream(&n);
        struct sink s = {.fail_after = 40000};
        struct etcd_snap_result res;
        struct pharos_error err = {0};
        assert_int_not_equal(decode(text, n, 4096, &s, &res, &err), 0);
        assert_string_equal(err.msg, "disk full");
        free(s.data);
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(whole_stream_in_any_pieces),
                cmocka_unit_test(truncated_anywhere_fails),
                cmocka_unit_test(missing_checksum_named),
                cmocka_unit_test(checksum_mismatch),
                cmocka_unit_test(lost_or_repeated_message),
                cmocka_unit_test(etcd_error_reported),
                cmocka_unit_test(data_after_checksum_and_garbage),
                cmocka_unit_test(sink_failure_stops),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
