/* An interactive session: the local terminal wired to a remote PTY. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ssh/local_exec.h"
#include "ssh/transport_impl.h"

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
        (void)sig;
        winch = 1;
}

static void term_size(int *cols, int *rows)
{
        struct winsize ws;
        *cols = 80;
        *rows = 24;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
                *cols = ws.ws_col;
                *rows = ws.ws_row;
        }
}

/* Copies everything between the terminal and the channel until it closes. */
static int pump(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, int tty)
{
        char buf[16384];
        int stdin_open = 1;
        for (;;) {
                int moved = 0;
                for (int stream = 0; stream < 2; stream++) {
                        ssize_t n;
                        while ((n = libssh2_channel_read_ex(ch, stream, buf, sizeof(buf))) > 0) {
                                moved = 1;
                                int fd = stream ? STDERR_FILENO : STDOUT_FILENO;
                                for (ssize_t off = 0; off < n;) {
                                        ssize_t w = write(fd, buf + off, (size_t)(n - off));
                                        if (w < 0 && errno != EINTR)
                                                return -1;
                                        off += w > 0 ? w : 0;
                                }
                        }
                        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
                                return -1;
                }
                if (libssh2_channel_eof(ch))
                        return 0;
                if (winch && tty) {
                        int cols, rows;
                        winch = 0;
                        term_size(&cols, &rows);
                        libssh2_channel_request_pty_size(ch, cols, rows);
                }
                if (moved)
                        continue;
                struct pollfd p[2] = {{.fd = c->sock, .events = POLLIN},
                                      {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
                if (poll(p, 2, 1000) < 0 && errno != EINTR)
                        return -1;
                int ka;
                libssh2_keepalive_send(c->s, &ka);
                if (stdin_open && p[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n <= 0) {
                                stdin_open = 0;
                                libssh2_session_set_blocking(c->s, 1);
                                libssh2_channel_send_eof(ch);
                                libssh2_session_set_blocking(c->s, 0);
                                continue;
                        }
                        libssh2_session_set_blocking(c->s, 1);
                        ssize_t w = libssh2_channel_write(ch, buf, (size_t)n);
                        libssh2_session_set_blocking(c->s, 0);
                        if (w < 0)
                                return -1;
                }
        }
}

int tp_interactive(struct transport *t, const char *cmd, struct pharos_error *err)
{
        if (t->target.local)
                return local_interactive(cmd, err);
        struct ssh_conn *c = &t->conn;
        int tty = isatty(STDIN_FILENO);
        libssh2_session_set_blocking(c->s, 1);
        LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(c->s);
        if (!ch)
                return perr_set(err, PERR_FAIL, "%s: cannot open a channel", t->name);
        struct termios saved;
        int raw = 0;
        if (tty) {
                const char *term = getenv("TERM");
                int cols, rows;
                term_size(&cols, &rows);
                if (!term || !*term)
                        term = "xterm";
                if (libssh2_channel_request_pty_ex(ch, term, (unsigned)strlen(term), NULL, 0, cols,
                                                   rows, 0, 0) != 0) {
                        libssh2_channel_free(ch);
                        return perr_set(err, PERR_FAIL, "%s: the server refused a terminal",
                                        t->name);
                }
                if (tcgetattr(STDIN_FILENO, &saved) == 0) {
                        struct termios r = saved;
                        cfmakeraw(&r);
                        tcsetattr(STDIN_FILENO, TCSADRAIN, &r);
                        raw = 1;
                }
                signal(SIGWINCH, on_winch);
        }
        int rc = cmd ? libssh2_channel_exec(ch, cmd) : libssh2_channel_shell(ch);
        if (rc == 0) {
                libssh2_session_set_blocking(c->s, 0);
                rc = pump(c, ch, tty);
                libssh2_session_set_blocking(c->s, 1);
        }
        if (raw)
                tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
        if (tty)
                signal(SIGWINCH, SIG_DFL);
        if (rc < 0) {
                libssh2_channel_free(ch);
                return perr_set(err, PERR_FAIL, "%s: connection lost", t->name);
        }
        libssh2_channel_close(ch);
        libssh2_channel_wait_closed(ch);
        int status = libssh2_channel_get_exit_status(ch);
        libssh2_channel_free(ch);
        return status;
}
