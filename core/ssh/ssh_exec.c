#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ssh/ssh_exec.h"
#include "util/clock.h"

static int signal_number(const char *name)
{
        static const struct {
                const char *n;
                int s;
        } sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},
                    {"ABRT", SIGABRT}, {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"SEGV", SIGSEGV},
                    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"USR1", SIGUSR1},
                    {"USR2", SIGUSR2}};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                if (strcmp(sigs[i].n, name) == 0)
                        return sigs[i].s;
        return 127;
}

struct run {
        struct ssh_conn *c;
        LIBSSH2_CHANNEL *ch;
        long long deadline;    /* 0: none */
        long long quiet_until; /* no keepalive before: a short command needs none */
        int last_rc;
};

/* Waits for the socket until the deadline, sending keepalives meanwhile.
 * Returns 0, or -1 when the deadline passed. */
static int wait_io(struct run *r)
{
        int ka_next = 0;
        if (pharos_now_ms() >= r->quiet_until)
                libssh2_keepalive_send(r->c->s, &ka_next);
        int wait_ms = ka_next > 0 ? ka_next * 1000 : 1000;
        if (r->deadline) {
                long long left = r->deadline - pharos_now_ms();
                if (left <= 0)
                        return -1;
                if (left < wait_ms)
                        wait_ms = (int)left;
        }
        sshc_wait(r->c, wait_ms);
        return 0;
}

static const char *last_error(struct ssh_conn *c)
{
        char *msg = NULL;
        libssh2_session_last_error(c->s, &msg, NULL, 0);
        return msg && *msg ? msg : "connection lost";
}

/* Repeats a non-blocking libssh2 call until it stops asking to be retried. */
#define RETRY(r, call)                                                                             \
        do {                                                                                       \
                while (((r)->last_rc = (call)) == LIBSSH2_ERROR_EAGAIN)                            \
                        if (wait_io(r) < 0)                                                        \
                                break;                                                             \
        } while (0)

static int pump_output(struct run *r, tp_sink sink, void *ud, int *moved)
{
        char buf[32768];
        for (int stream = 0; stream < 2; stream++) {
                for (;;) {
                        ssize_t n = libssh2_channel_read_ex(r->ch, stream, buf, sizeof(buf));
                        if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
                                break;
                        if (n < 0) {
                                r->last_rc = (int)n;
                                return -1;
                        }
                        *moved = 1;
                        if (sink)
                                sink(ud, stream + 1, buf, (size_t)n);
                }
        }
        return 0;
}

int sshx_run(struct ssh_conn *c, const char *name, const char *cmdline, const char *shown,
             const void *in, size_t in_len, int timeout_ms, tp_sink sink, void *ud, int *status,
             int *started, int *rc_out, struct pharos_error *err)
{
        struct run r = {.c = c,
                        .deadline = timeout_ms > 0 ? pharos_now_ms() + timeout_ms : 0,
                        .quiet_until = pharos_now_ms() + (long long)c->keepalive_s * 1000};
        *started = 0;
        *rc_out = 0;
        libssh2_session_set_blocking(c->s, 0);
        int rc = 0;
        while (!(r.ch = libssh2_channel_open_session(c->s))) {
                r.last_rc = libssh2_session_last_errno(c->s);
                if (r.last_rc != LIBSSH2_ERROR_EAGAIN || wait_io(&r) < 0)
                        break;
        }
        if (!r.ch) {
                *rc_out = r.last_rc;
                rc = perr_set(err, PERR_TRANSIENT, "%s: cannot open a channel: %s", name,
                              last_error(c));
                goto out;
        }
        RETRY(&r, libssh2_channel_exec(r.ch, cmdline));
        if (r.last_rc != 0) {
                *rc_out = r.last_rc;
                rc = perr_set(err, PERR_FAIL, "%s: cannot start command: %s", name, last_error(c));
                goto free_ch;
        }
        *started = 1;
        size_t sent = 0;
        int eof_sent = 0;
        for (;;) {
                int moved = 0;
                if (sent < in_len) {
                        size_t chunk = in_len - sent < 65536 ? in_len - sent : 65536;
                        ssize_t w = libssh2_channel_write(r.ch, (const char *)in + sent, chunk);
                        if (w > 0) {
                                sent += (size_t)w;
                                moved = 1;
                        } else if (w != LIBSSH2_ERROR_EAGAIN) {
                                r.last_rc = (int)w;
                                goto lost;
                        }
                }
                if (sent == in_len && !eof_sent) {
                        int e = libssh2_channel_send_eof(r.ch);
                        if (e == 0)
                                eof_sent = moved = 1;
                        else if (e != LIBSSH2_ERROR_EAGAIN) {
                                r.last_rc = e;
                                goto lost;
                        }
                }
                if (pump_output(&r, sink, ud, &moved) < 0)
                        goto lost;
                /* A command that exits before reading all its input ends
                 * the exchange: what is left of stdin is dropped. */
                if (libssh2_channel_eof(r.ch)) {
                        /* drain anything that arrived with the EOF */
                        pump_output(&r, sink, ud, &moved);
                        if (!moved)
                                break;
                        continue;
                }
                if (!moved && wait_io(&r) < 0) {
                        rc = perr_set(err, PERR_FAIL, "%s: command timed out after %d s: %s", name,
                                      timeout_ms / 1000, shown);
                        goto free_ch;
                }
        }
        RETRY(&r, libssh2_channel_close(r.ch));
        RETRY(&r, libssh2_channel_wait_closed(r.ch));
        char *sig = NULL;
        size_t sig_len = 0;
        libssh2_channel_get_exit_signal(r.ch, &sig, &sig_len, NULL, NULL, NULL, NULL);
        *status = sig ? 128 + signal_number(sig) : libssh2_channel_get_exit_status(r.ch);
        if (sig)
                libssh2_free(c->s, sig);
        goto free_ch;
lost:
        *rc_out = r.last_rc;
        rc = perr_set(err, PERR_TRANSIENT, "%s: connection lost during command: %s", name,
                      last_error(c));
free_ch:
        /* a channel on a lost session can't be closed politely; just free it */
        while (libssh2_channel_free(r.ch) == LIBSSH2_ERROR_EAGAIN)
                if (wait_io(&r) < 0 || sshc_is_broken(r.last_rc))
                        break;
out:
        libssh2_session_set_blocking(c->s, 1);
        return rc;
}
