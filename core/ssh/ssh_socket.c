#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssh/ssh_socket.h"

int sock_wait(int fd, short events, int timeout_ms)
{
        struct pollfd p = {.fd = fd, .events = events};
        int r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r;
}

static int try_addr(const struct addrinfo *ai, int timeout_ms, int *err_no)
{
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
                *err_no = errno;
                return -1;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                if (errno != EINPROGRESS) {
                        *err_no = errno;
                        close(fd);
                        return -1;
                }
                int r = sock_wait(fd, POLLOUT, timeout_ms);
                int so = 0;
                socklen_t sl = sizeof(so);
                if (r == 0) {
                        *err_no = ETIMEDOUT;
                        close(fd);
                        return -1;
                }
                if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0 || so != 0) {
                        *err_no = r < 0 ? errno : so;
                        close(fd);
                        return -1;
                }
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return fd;
}

int sock_tcp_connect(const char *host, int port, int timeout_ms, struct pharos_error *err)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
        struct addrinfo *res = NULL;
        char svc[16];
        snprintf(svc, sizeof(svc), "%d", port);
        int gai = getaddrinfo(host, svc, &hints, &res);
        if (gai != 0)
                return perr_set(err, PERR_FAIL, "%s: cannot resolve: %s", host, gai_strerror(gai));
        int fd = -1, err_no = 0;
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
                fd = try_addr(ai, timeout_ms, &err_no);
        freeaddrinfo(res);
        if (fd < 0)
                return perr_set(err, PERR_TRANSIENT, "%s: connect to port %d: %s", host, port,
                                err_no == ETIMEDOUT ? "timed out" : strerror(err_no));
        return fd;
}

/*
 * A value substituted into the command line /bin/sh runs must not be shell
 * syntax: a user or host name is not quoted (the command may quote %h
 * itself), so it is refused unless it is plain, as OpenSSH 9.6 refuses such
 * names for %r and %h (CVE-2023-51385).
 */
static int plain_word(const char *s)
{
        if (!*s || *s == '-')
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr("._@:+-", *s)))
                        return 0;
        return 1;
}

/* Expands %h %p %r %% into out: -1 for a bad command, -2 for a name that is not plain. */
static int expand_proxy(const char *cmd, const char *host, int port, const char *user, char *out,
                        size_t cap)
{
        size_t n = 0;
        for (const char *p = cmd; *p; p++) {
                char num[16];
                const char *sub = NULL;
                if (*p == '%' && p[1]) {
                        p++;
                        if (*p == 'h')
                                sub = host;
                        else if (*p == 'p')
                                snprintf(num, sizeof(num), "%d", port), sub = num;
                        else if (*p == 'r')
                                sub = user;
                        else if (*p == '%')
                                sub = "%";
                        else
                                return -1;
                        if ((*p == 'h' || *p == 'r') && !plain_word(sub ? sub : ""))
                                return -2;
                }
                size_t len = sub ? strlen(sub) : 1;
                if (n + len + 1 > cap)
                        return -1;
                memcpy(out + n, sub ? sub : p, len);
                n += len;
        }
        out[n] = '\0';
        return 0;
}

int sock_proxy_command(const char *cmd, const char *host, int port, const char *user, pid_t *pid,
                       struct pharos_error *err)
{
        char line[4096];
        int rc = expand_proxy(cmd, host, port, user, line, sizeof(line));
        if (rc == -2)
                return perr_set(err, PERR_USAGE,
                                "%s: ssh_proxy_command: the user or host name put in for %%r or "
                                "%%h is not plain (a-z, A-Z, 0-9, '.', '_', '@', ':', '+', '-'; "
                                "no leading '-'), and /bin/sh would run it",
                                host);
        if (rc < 0)
                return perr_set(err, PERR_USAGE, "%s: bad ssh_proxy_command '%s'", host, cmd);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return perr_set(err, PERR_FAIL, "%s: socketpair: %s", host, strerror(errno));
        pid_t child = fork();
        if (child < 0) {
                close(sv[0]);
                close(sv[1]);
                return perr_set(err, PERR_FAIL, "%s: fork: %s", host, strerror(errno));
        }
        if (child == 0) {
                /* Only async-signal-safe calls between fork and exec. */
                if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
                        _exit(127);
                setpgid(0, 0);
                execl("/bin/sh", "sh", "-c", line, (char *)NULL);
                _exit(127);
        }
        close(sv[1]);
        *pid = child;
        return sv[0];
}

void sock_proxy_reap(pid_t pid)
{
        if (pid <= 0)
                return;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
                return;
        kill(-pid, SIGTERM);
        waitpid(pid, &st, 0);
}
