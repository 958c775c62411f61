/* Commands on this machine through fork/exec, with the SSH path's semantics. */
#ifndef PHAROS_CORE_SSH_LOCAL_EXEC_H
#define PHAROS_CORE_SSH_LOCAL_EXEC_H

#include "ssh/transport.h"

/* Runs `/bin/sh -c cmdline`, feeding `in` then EOF. Returns 0 with *status,
 * or <0 with err set (name prefixes messages, which call the command `shown`:
 * cmdline may hold a secret). A timeout kills the command. */
int local_run(const char *name, const char *cmdline, const char *shown, const void *in,
              size_t in_len, int timeout_ms, tp_sink sink, void *ud, int *status,
              struct pharos_error *err);

/* Runs the user's shell (or `sh -c cmd`) on the inherited terminal. */
int local_interactive(const char *cmd, struct pharos_error *err);

#endif
