/* The byte streams an SSH session runs over. */
#ifndef PHAROS_CORE_SSH_SOCKET_H
#define PHAROS_CORE_SSH_SOCKET_H

#include <sys/types.h>

#include "util/error.h"

/* A TCP connection to host:port within timeout_ms. Returns the fd (blocking) or <0. */
int sock_tcp_connect(const char *host, int port, int timeout_ms, struct pharos_error *err);

/* Starts `sh -c cmd` (with %h, %p, %r and %% expanded as OpenSSH does) with
 * one end of a socketpair as its stdin and stdout, and returns the other end.
 * *pid receives the child, to be reaped with sock_proxy_reap. */
int sock_proxy_command(const char *cmd, const char *host, int port, const char *user, pid_t *pid,
                       struct pharos_error *err);

/* Ends and reaps a proxy command child. */
void sock_proxy_reap(pid_t pid);

/* Waits until fd is readable/writable (events as for poll) or timeout_ms passes.
 * Returns >0 when ready, 0 on timeout, <0 on error. */
int sock_wait(int fd, short events, int timeout_ms);

#endif
