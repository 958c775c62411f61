#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ssh/local_exec.h"
#include "util/clock.h"

static int decode_status(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 255;
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

int local_run(const char *name, const char *cmdline, const char *shown, const void *in,
              size_t in_len, int timeout_ms, tp_sink sink, void *ud, int *status,
              struct pharos_error *err)
{
        int pin[2], pout[2], perr[2];
        if (pipe2(pin, O_CLOEXEC) < 0)
                return perr_set(err, PERR_FAIL, "%s: pipe: %s", name, strerror(errno));
        if (pipe2(pout, O_CLOEXEC) < 0) {
                close(pin[0]), close(pin[1]);
                return perr_set(err, PERR_FAIL, "%s: pipe: %s", name, strerror(errno));
        }
        if (pipe2(perr, O_CLOEXEC) < 0) {
                close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
                return perr_set(err, PERR_FAIL, "%s: pipe: %s", name, strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
                close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
                close(perr[0]), close(perr[1]);
                return perr_set(err, PERR_FAIL, "%s: fork: %s", name, strerror(errno));
        }
        if (pid == 0) {
                if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
                        _exit(127);
                setpgid(0, 0);
                execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
                _exit(127);
        }
        close(pin[0]), close(pout[1]), close(perr[1]);
        int fds[3] = {pin[1], pout[0], perr[0]};
        for (int i = 0; i < 3; i++)
                fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        if (in_len == 0)
                close_fd(&fds[0]);
        size_t sent = 0;
        long long deadline = timeout_ms > 0 ? pharos_now_ms() + timeout_ms : 0;
        int rc = 0;
        char buf[32768];
        while (fds[1] >= 0 || fds[2] >= 0) {
                struct pollfd p[3];
                for (int i = 0; i < 3; i++)
                        p[i] = (struct pollfd){.fd = fds[i], .events = i ? POLLIN : POLLOUT};
                int wait_ms = -1;
                if (deadline) {
                        long long left = deadline - pharos_now_ms();
                        if (left <= 0) {
                                kill(-pid, SIGKILL);
                                rc = perr_set(err, PERR_FAIL,
                                              "%s: command timed out after %d s: %s", name,
                                              timeout_ms / 1000, shown);
                                break;
                        }
                        wait_ms = (int)left;
                }
                if (poll(p, 3, wait_ms) < 0 && errno != EINTR) {
                        rc = perr_set(err, PERR_FAIL, "%s: poll: %s", name, strerror(errno));
                        kill(-pid, SIGKILL);
                        break;
                }
                if (fds[0] >= 0 && p[0].revents) {
                        ssize_t w = write(fds[0], (const char *)in + sent, in_len - sent);
                        if (w > 0)
                                sent += (size_t)w;
                        if ((w < 0 && errno != EAGAIN) || sent == in_len)
                                close_fd(&fds[0]);
                }
                for (int i = 1; i < 3; i++) {
                        if (fds[i] < 0 || !p[i].revents)
                                continue;
                        ssize_t n = read(fds[i], buf, sizeof(buf));
                        if (n > 0 && sink)
                                sink(ud, i, buf, (size_t)n);
                        else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                                close_fd(&fds[i]);
                }
        }
        for (int i = 0; i < 3; i++)
                close_fd(&fds[i]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        *status = decode_status(st);
        return rc;
}

int local_interactive(const char *cmd, struct pharos_error *err)
{
        const char *shell = getenv("SHELL");
        if (!shell || !*shell)
                shell = "/bin/sh";
        pid_t pid = fork();
        if (pid < 0)
                return perr_set(err, PERR_FAIL, "localhost: fork: %s", strerror(errno));
        if (pid == 0) {
                if (cmd)
                        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                else
                        execl(shell, shell, "-l", (char *)NULL);
                _exit(127);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return decode_status(st);
}
