/* One command on a channel of an open session. */
#ifndef PHAROS_CORE_SSH_EXEC_H
#define PHAROS_CORE_SSH_EXEC_H

#include "ssh/ssh_conn.h"

/*
 * Runs cmdline on a new channel, feeding `in` then EOF, handing output to
 * sink as it arrives. *started is set once the remote side accepted the
 * command (before that, a failure can safely be retried on a new session).
 * Returns 0 with *status (exit status or 128 + signal), or <0 with err set;
 * name prefixes the messages, which call the command `shown` (cmdline may
 * hold a secret).
 */
int sshx_run(struct ssh_conn *c, const char *name, const char *cmdline, const char *shown,
             const void *in, size_t in_len, int timeout_ms, tp_sink sink, void *ud, int *status,
             int *started, int *rc_out, struct pharos_error *err);

#endif
