/*
 * Many read-only requests in one round trip: one shell script run as root
 * that runs each request as it would run alone and frames what each left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/transport_impl.h"

/* A growing text; ok drops to 0 once an allocation failed. */
struct text {
        char *s;
        size_t len, cap;
        int ok;
};

static char *reserve(struct text *b, size_t more)
{
        if (!b->ok)
                return NULL;
        if (b->len + more + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->len + more + 1)
                        cap *= 2;
                char *s = realloc(b->s, cap);
                if (!s) {
                        b->ok = 0;
                        return NULL;
                }
                b->s = s;
                b->cap = cap;
        }
        return b->s + b->len;
}

static void put(struct text *b, const char *s)
{
        size_t n = strlen(s);
        char *p = reserve(b, n);
        if (p) {
                memcpy(p, s, n + 1);
                b->len += n;
        }
}

/* Appends NAME='value' and a newline. */
static void put_assign(struct text *b, const char *name, const char *value)
{
        char *p = reserve(b, strlen(name) + strlen(value) * 4 + 4);
        if (!p)
                return;
        size_t n = strlen(name);
        memcpy(p, name, n);
        p += n;
        *p++ = '=';
        p = tp_put_quoted(p, value);
        *p++ = '\n';
        *p = '\0';
        b->len = (size_t)(p - b->s);
}

/*
 * The batch. Outputs go to files in a private directory (root's, 0700; on
 * /run, a tmpfs, where the host has one) so that each request's stdout and
 * stderr stay apart; then a header line with the sizes, and the bytes.
 * Each request's stdin is what it would have alone: its payload for a
 * script, nothing for a command or a read. $PATH is sudo's, as alone. Each
 * runs exec'd in a subshell: a shell reports a child killed by a signal
 * ("Terminated") on the stderr in force, which would be the request's.
 */
static int build(struct transport *t, const struct tp_batch_req *reqs, size_t n, struct text *b,
                 struct pharos_error *err)
{
        put(b, "pb_d=$(mktemp -d /run/.pharos-batch.XXXXXX 2>/dev/null || mktemp -d) || exit 70\n"
               "trap 'rm -rf -- \"$pb_d\"' EXIT\n"
               "pb_sbin=$PATH:/usr/local/sbin:/usr/sbin:/sbin\n"
               "pb_end() {\n"
               "\tprintf 'pharos-batch %s %s %s %s\\n' \"$1\" \"$2\" "
               "$(($(wc -c <\"$pb_d/o\"))) $(($(wc -c <\"$pb_d/e\")))\n"
               "\tcat -- \"$pb_d/o\" \"$pb_d/e\"\n"
               "}\n");
        for (size_t i = 0; i < n; i++) {
                const struct tp_batch_req *q = &reqs[i];
                char tail[96];
                snprintf(tail, sizeof(tail), " >\"$pb_d/o\" 2>\"$pb_d/e\"; pb_end %zu $?\n", i);
                if (q->kind == TP_BATCH_SCRIPT) {
                        char *payload = NULL;
                        size_t len = 0;
                        int rc = tp_script_payload(t, q->text, q->env, q->n_env, &payload, &len,
                                                   err);
                        if (rc < 0)
                                return rc;
                        put_assign(b, "pb_v", payload);
                        memset(payload, 0, len);
                        free(payload);
                        put(b, "printf '%s' \"$pb_v\" | (exec env -i PATH=\"$pb_sbin\" sh -s)");
                } else {
                        put_assign(b, "pb_v", q->text);
                        put(b, q->kind == TP_BATCH_EXEC ? "(exec sh -c \"$pb_v\") </dev/null"
                                                        : "(exec cat -- \"$pb_v\") </dev/null");
                }
                put(b, tail);
        }
        return b->ok ? 0 : perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
}

/* Splits the batch's stdout into res[]; <0 when it is not what build() prints. */
static int parse(struct transport *t, const char *out, size_t len, size_t n, struct tp_result *res,
                 struct pharos_error *err)
{
        size_t at = 0, next = 0;
        while (at < len) {
                const char *nl = memchr(out + at, '\n', len - at);
                size_t idx, olen, elen;
                int status, used = 0;
                char head[128];
                size_t hlen = nl ? (size_t)(nl - (out + at)) : 0;
                if (!nl || hlen >= sizeof(head))
                        break;
                memcpy(head, out + at, hlen);
                head[hlen] = '\0';
                if (sscanf(head, "pharos-batch %zu %d %zu %zu%n", &idx, &status, &olen, &elen,
                           &used) != 4 ||
                    (size_t)used != hlen || idx != next || idx >= n || status < 0)
                        break;
                at += hlen + 1;
                if (olen > len - at || elen > len - at - olen)
                        break;
                const struct tp_result slice = {.status = status,
                                                .out = (char *)out + at,
                                                .out_len = olen,
                                                .err = (char *)out + at + olen,
                                                .err_len = elen};
                if (tp_result_copy(&slice, &res[idx]) < 0) {
                        res[idx].status = -1;
                        return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
                }
                at += olen + elen;
                next++;
        }
        if (at != len)
                return perr_set(err, PERR_FAIL, "%s: the batch's output is cut or garbled",
                                t->name);
        return 0;
}

int tp_batch(struct transport *t, const struct tp_batch_req *reqs, size_t n, struct tp_result *res,
             struct pharos_error *err)
{
        for (size_t i = 0; i < n; i++)
                res[i] = (struct tp_result){.status = -1};
        struct text b = {.ok = 1};
        int rc = build(t, reqs, n, &b, err);
        if (rc == 0) {
                struct tp_cmd c = {.cmd = "sh -s",
                                   .sudo = 1,
                                   .in = b.s,
                                   .in_len = b.len,
                                   .capture = 1,
                                   .quiet = 1};
                struct tp_result all;
                rc = tp_exec(t, &c, &all, err);
                if (rc == 0) {
                        rc = parse(t, all.out ? all.out : "", all.out_len, n, res, err);
                        if (all.out)
                                memset(all.out, 0, all.out_len);
                        if (rc == 0 && all.status != 0 && (n == 0 || res[n - 1].status < 0))
                                rc = perr_set(err, PERR_FAIL, "%s: the batch exited %d: %.200s",
                                              t->name, all.status, all.err ? all.err : "");
                        tp_result_free(&all);
                }
        }
        if (b.s)
                memset(b.s, 0, b.len);
        free(b.s);
        if (rc < 0)
                for (size_t i = 0; i < n; i++) {
                        tp_result_free(&res[i]);
                        res[i].status = -1;
                }
        return rc;
}
