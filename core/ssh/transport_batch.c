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
 * The batch. Each request's stdout and stderr go to files of its own in a
 * private directory (root's, 0700; on /run, a tmpfs, where the host has
 * one), and its status to a list in the shell. At the end one `wc` measures
 * every file and one `cat` sends them all: the header lines (index, status,
 * sizes) first, then the bytes in order. So the framing costs two processes
 * a batch, not three a request. Each request's stdin is what it would have
 * alone: its payload for a script, nothing for a command or a read. $PATH is
 * sudo's, as alone. Each runs exec'd in a subshell: a shell reports a child
 * killed by a signal ("Terminated") on the stderr in force, which would be
 * the request's.
 */
static int build(struct transport *t, const struct tp_batch_req *reqs, size_t n, struct text *b,
                 struct pharos_error *err)
{
        put(b, "pb_d=$(mktemp -d /run/.pharos-batch.XXXXXX 2>/dev/null || mktemp -d) || exit 70\n"
               "trap 'rm -rf -- \"$pb_d\"' EXIT\n"
               "pb_sbin=$PATH:/usr/local/sbin:/usr/sbin:/sbin\n"
               "pb_s=\n");
        for (size_t i = 0; i < n; i++) {
                const struct tp_batch_req *q = &reqs[i];
                char tail[96];
                snprintf(tail, sizeof(tail),
                         " >\"$pb_d/%zu.o\" 2>\"$pb_d/%zu.e\"; pb_s=\"$pb_s $?\"\n", i, i);
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
        /* With no file named, wc and cat would read stdin: the rest of this script. */
        if (n) {
                put(b, "set --");
                for (size_t i = 0; i < n; i++) {
                        char files[64];
                        snprintf(files, sizeof(files), " \"$pb_d/%zu.o\" \"$pb_d/%zu.e\"", i, i);
                        put(b, files);
                }
                put(b, "\n"
                       "wc -c -- \"$@\" >\"$pb_d/sizes\" </dev/null || exit 71\n"
                       "pb_i=0\n"
                       "for pb_x in $pb_s; do\n"
                       "\tread -r pb_o pb_r && read -r pb_e pb_r || exit 71\n"
                       "\tprintf 'pharos-batch %s %s %s %s\\n' \"$pb_i\" \"$pb_x\" \"$pb_o\" "
                       "\"$pb_e\"\n"
                       "\tpb_i=$((pb_i + 1))\n"
                       "done <\"$pb_d/sizes\"\n"
                       "cat -- \"$@\" </dev/null\n");
        }
        return b->ok ? 0 : perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
}

/* One header line at out + *at: "pharos-batch INDEX STATUS OUT-SIZE ERR-SIZE". */
static int header(const char *out, size_t len, size_t *at, size_t want, int *status, size_t *olen,
                  size_t *elen)
{
        const char *nl = memchr(out + *at, '\n', len - *at);
        char head[128];
        size_t hlen = nl ? (size_t)(nl - (out + *at)) : 0;
        size_t idx;
        int used = 0;
        if (!nl || hlen >= sizeof(head))
                return -1;
        memcpy(head, out + *at, hlen);
        head[hlen] = '\0';
        if (sscanf(head, "pharos-batch %zu %d %zu %zu%n", &idx, status, olen, elen, &used) != 4 ||
            (size_t)used != hlen || idx != want || *status < 0)
                return -1;
        *at += hlen + 1;
        return 0;
}

/* Splits the batch's stdout into res[]; <0 when it is not what build() prints. */
static int parse(struct transport *t, const char *out, size_t len, size_t n, struct tp_result *res,
                 struct pharos_error *err)
{
        if (!len)
                return 0;
        struct head {
                int status;
                size_t olen, elen;
        } *h = calloc(n ? n : 1, sizeof(*h));
        if (!h)
                return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
        size_t at = 0, total = 0;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
                if (header(out, len, &at, i, &h[i].status, &h[i].olen, &h[i].elen) < 0 ||
                    h[i].olen > len || h[i].elen > len || total > len)
                        rc = -1;
                else
                        total += h[i].olen + h[i].elen;
        }
        if (rc < 0 || total != len - at) {
                free(h);
                return perr_set(err, PERR_FAIL, "%s: the batch's output is cut or garbled",
                                t->name);
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
                const struct tp_result slice = {.status = h[i].status,
                                                .out = (char *)out + at,
                                                .out_len = h[i].olen,
                                                .err = (char *)out + at + h[i].olen,
                                                .err_len = h[i].elen};
                if (tp_result_copy(&slice, &res[i]) < 0) {
                        res[i].status = -1;
                        rc = perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
                }
                at += h[i].olen + h[i].elen;
        }
        free(h);
        return rc;
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
