/* The API side of `pharos reset`: the Nodes of the hosts being reset leave
 * the cluster before their hosts are wiped. */
#ifndef PHAROS_CORE_CLI_RESET_NODES_H
#define PHAROS_CORE_CLI_RESET_NODES_H

#include "run/run.h"

/*
 * For a partial reset (some hosts selected): drains and deletes the Node of
 * every selected host, one at a time, when a master's API answers (a cluster
 * whose API is down is wiped without). A run's after_validate hook.
 */
int reset_remove_nodes(struct run *r, struct pharos_error *err);

#endif
