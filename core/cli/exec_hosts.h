/* Running one command on many hosts, shared by `pharos exec` and `pharos ssh`. */
#ifndef PHAROS_CORE_CLI_EXEC_HOSTS_H
#define PHAROS_CORE_CLI_EXEC_HOSTS_H

#include <stddef.h>

#include "config/config.h"
#include "ssh/transport.h"

/* Runs the words argv[0..argc) joined by spaces on cfg's hosts idx[0..n),
 * at most `concurrency` at once (0: default), output prefixed with the host
 * when n > 1. Prints a summary of the failures; returns the exit code (0/1). */
int exec_on_hosts(const struct cluster_config *cfg, const size_t *idx, size_t n, int argc,
                  char **argv, unsigned concurrency, const struct tp_opts *opts);

#endif
