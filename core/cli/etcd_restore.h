/*
 * pharos etcd restore: a snapshot `pharos etcd backup` saved, checked against
 * its description, restored onto every master's stacked etcd member as
 * etcd's disaster-recovery procedure does (new data directories from
 * `etcdutl snapshot restore`, the control plane stopped while they replace
 * the old ones, which are kept), through a host script (etcd_restore_host.sh).
 */
#ifndef PHAROS_CORE_CLI_ETCD_RESTORE_H
#define PHAROS_CORE_CLI_ETCD_RESTORE_H

#include "cli/cli.h"
#include "ssh/transport.h"

/* What `pharos etcd restore` was asked; strings are borrowed from argv. */
struct etcd_restore_opts {
        const char *config; /* cluster.yml */
        const char *file;   /* the snapshot; its description is FILE.json */
        int yes;            /* do it; without, only say what would be done */
        struct tp_opts tp;  /* connection policy */
};

/* Restores the snapshot. Returns 0, PERR_USAGE (cluster.yml, external etcd, a
 * snapshot that does not match its description or is another cluster's, no
 * --yes: nothing changed), or PERR_FAIL naming the host and step, err set. */
int etcd_restore(struct cli_ctx *ctx, const struct etcd_restore_opts *o, struct pharos_error *err);

#endif
