#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssh/linebuf.h"
#include "ssh/local_exec.h"
#include "ssh/shquote.h"
#include "ssh/ssh_bastion.h"
#include "ssh/ssh_conn.h"
#include "ssh/ssh_exec.h"
#include "ssh/transport_impl.h"
#include "util/log.h"

static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void)
{
        /* A command that exits without reading its stdin must not kill pharos. */
        signal(SIGPIPE, SIG_IGN);
}

int tp_address_is_local(const char *a)
{
        return a && (strcmp(a, "localhost") == 0 || strcmp(a, "127.0.0.1") == 0 ||
                     strcmp(a, "::1") == 0);
}

int tp_open(const struct tp_target *target, const struct tp_opts *opts, struct transport **out,
            struct pharos_error *err)
{
        pthread_once(&sig_once, ignore_sigpipe);
        struct transport *t = calloc(1, sizeof(*t));
        if (!t)
                return perr_set(err, PERR_NOMEM, "%s: out of memory", target->address);
        t->target = *target;
        t->opts = *opts;
        snprintf(t->name, sizeof(t->name), "%s", target->address);
        if (target->local) {
                t->is_root = geteuid() == 0;
        } else {
                t->is_root = !target->user || strcmp(target->user, "root") == 0;
                int rc = sshc_connect(&t->conn, target, opts, err);
                if (rc < 0) {
                        free(t);
                        return rc;
                }
                t->connected = 1;
        }
        *out = t;
        return 0;
}

void tp_close(struct transport *t)
{
        if (!t)
                return;
        if (t->connected)
                sshc_close(&t->conn);
        free(t);
}

const char *tp_name(const struct transport *t)
{
        return t->name;
}

unsigned long tp_round_trips(const struct transport *t)
{
        return t->round_trips;
}

void tp_result_free(struct tp_result *r)
{
        free(r->out);
        free(r->err);
        memset(r, 0, sizeof(*r));
}

static char *dup_bytes(const char *s, size_t n)
{
        char *d = malloc(n + 1);
        if (d) {
                if (n)
                        memcpy(d, s, n);
                d[n] = '\0';
        }
        return d;
}

int tp_result_copy(const struct tp_result *src, struct tp_result *dst)
{
        *dst = (struct tp_result){.status = src->status,
                                  .out = dup_bytes(src->out, src->out_len),
                                  .out_len = src->out_len,
                                  .err = dup_bytes(src->err, src->err_len),
                                  .err_len = src->err_len};
        if (dst->out && dst->err)
                return 0;
        tp_result_free(dst);
        return -1;
}

/* Wraps the caller's sink: captures if asked, and keeps the start of stderr
 * to recognise sudo asking for a password. */
struct tap {
        const struct tp_cmd *cmd;
        struct tp_result *res;
        size_t out_cap, err_cap;
        char err_head[512];
        size_t err_head_len;
        int nomem;
        /* Without a sink, output goes to the debug log line by line. */
        const char *name;
        struct linebuf *lines; /* [2], NULL when not logging */
};

static void log_line(void *ud, const char *line, size_t len)
{
        log_msg(PHAROS_LOG_DEBUG, ud, "%.*s", (int)len, line);
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n, int *nomem)
{
        if (*len + n + 1 > *cap) {
                size_t c = *cap ? *cap : 4096;
                while (c < *len + n + 1)
                        c *= 2;
                char *grown = realloc(*buf, c);
                if (!grown) {
                        *nomem = 1;
                        return;
                }
                *buf = grown;
                *cap = c;
        }
        memcpy(*buf + *len, data, n);
        *len += n;
        (*buf)[*len] = '\0';
}

static void tap_sink(void *ud, int stream, const char *buf, size_t n)
{
        struct tap *tp = ud;
        if (stream == 2 && tp->err_head_len < sizeof(tp->err_head) - 1) {
                size_t room = sizeof(tp->err_head) - 1 - tp->err_head_len;
                size_t k = n < room ? n : room;
                memcpy(tp->err_head + tp->err_head_len, buf, k);
                tp->err_head_len += k;
                tp->err_head[tp->err_head_len] = '\0';
        }
        if (tp->cmd->capture) {
                if (stream == 1)
                        append(&tp->res->out, &tp->res->out_len, &tp->out_cap, buf, n, &tp->nomem);
                else
                        append(&tp->res->err, &tp->res->err_len, &tp->err_cap, buf, n, &tp->nomem);
        }
        if (tp->cmd->sink)
                tp->cmd->sink(tp->cmd->ud, stream, buf, n);
        else if (tp->lines)
                linebuf_feed(&tp->lines[stream - 1], buf, n, log_line, (void *)tp->name);
}

static int sudo_wants_password(const char *err_head)
{
        return strstr(err_head, "sudo: a password is required") ||
               strstr(err_head, "sudo: a terminal is required to read the password");
}

int tp_run_line(struct transport *t, const char *cmdline, const char *shown, int sudo_wrapped,
                const struct tp_cmd *cmd, struct tp_result *res, struct pharos_error *err)
{
        struct tap tap = {.cmd = cmd, .res = res, .name = t->name};
        struct linebuf lines[2];
        if (!cmd->sink && !cmd->quiet && !cmd->secret && log_get_level() >= PHAROS_LOG_DEBUG) {
                linebuf_init(&lines[0]);
                linebuf_init(&lines[1]);
                tap.lines = lines;
        }
        memset(res, 0, sizeof(*res));
        t->round_trips++;
        int timeout = cmd->timeout_ms > 0 ? cmd->timeout_ms : t->opts.command_timeout_ms;
        int rc;
        if (t->target.local) {
                rc = local_run(t->name, cmdline, shown, cmd->in, cmd->in_len, timeout, tap_sink,
                               &tap, &res->status, err);
        } else {
                int started = 0, lrc = 0;
                /* An earlier reconnect failed and left no session: connect again first. */
                if (!t->connected) {
                        if (sshc_connect(&t->conn, &t->target, &t->opts, err) < 0)
                                return PERR_FAIL;
                        t->connected = 1;
                }
                rc = sshx_run(&t->conn, t->name, cmdline, shown, cmd->in, cmd->in_len, timeout,
                              tap_sink, &tap, &res->status, &started, &lrc, err);
                /* The command never reached the host: reconnect once and retry. */
                if (rc < 0 && !started && sshc_is_broken(lrc)) {
                        sshc_close(&t->conn);
                        t->connected = 0;
                        int crc = sshc_connect(&t->conn, &t->target, &t->opts, err);
                        if (crc < 0)
                                return crc;
                        t->connected = 1;
                        rc = sshx_run(&t->conn, t->name, cmdline, shown, cmd->in, cmd->in_len,
                                      timeout, tap_sink, &tap, &res->status, &started, &lrc, err);
                }
        }
        if (tap.lines) {
                linebuf_flush(&lines[0], log_line, (void *)t->name);
                linebuf_flush(&lines[1], log_line, (void *)t->name);
        }
        if (rc < 0) {
                tp_result_free(res);
                return rc;
        }
        if (tap.nomem) {
                tp_result_free(res);
                return perr_set(err, PERR_NOMEM, "%s: out of memory capturing output", t->name);
        }
        if (res->status != 0 && sudo_wants_password(tap.err_head))
                return perr_set(
                        err, PERR_FAIL,
                        "%s: sudo asks %s for a password (pharos needs passwordless sudo)%s%s",
                        t->name, t->target.user ? t->target.user : "the user",
                        sudo_wrapped ? " running: " : " for: ", shown);
        return 0;
}

int tp_exec(struct transport *t, const struct tp_cmd *cmd, struct tp_result *res,
            struct pharos_error *err)
{
        const char *shown = cmd->secret ? "a command (hidden: it holds a secret)" : cmd->cmd;
        if (!cmd->sudo || t->is_root)
                return tp_run_line(t, cmd->cmd, shown, 0, cmd, res, err);
        char *q = shq_word(cmd->cmd);
        char *line = q ? malloc(strlen(q) + 32) : NULL;
        if (!line) {
                free(q);
                return perr_set(err, PERR_NOMEM, "%s: out of memory", t->name);
        }
        sprintf(line, "sudo -n -- sh -c %s", q);
        free(q);
        int rc = tp_run_line(t, line, shown, 1, cmd, res, err);
        free(line);
        return rc;
}

void tp_global_cleanup(void)
{
        bastion_cleanup();
}
