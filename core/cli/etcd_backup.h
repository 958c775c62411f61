/*
 * pharos etcd backup: a snapshot of the stacked etcd through its snapshot API
 * (run/etcd_access.h, kube/etcd_snapshot.h), taken from the first master
 * whose member answers healthy, saved whole or not at all (cli/atomic_file.h)
 * with a JSON description beside it.
 */
#ifndef PHAROS_CORE_CLI_ETCD_BACKUP_H
#define PHAROS_CORE_CLI_ETCD_BACKUP_H

#include "cli/cli.h"
#include "ssh/transport.h"

/* What `pharos etcd backup` was asked; strings are borrowed from argv. */
struct etcd_backup_opts {
        const char *config; /* cluster.yml */
        const char *output; /* NULL: <cluster name>-etcd-<UTC time>.db here */
        int force;          /* replace an existing output file */
        struct tp_opts tp;  /* connection policy */
};

/* Takes and saves the snapshot. Returns 0, PERR_USAGE (cluster.yml, external
 * etcd, an existing file), or PERR_FAIL (no healthy member, a cut or corrupt
 * stream, a write error) with err set; nothing is left behind on failure. */
int etcd_backup(struct cli_ctx *ctx, const struct etcd_backup_opts *o, struct pharos_error *err);

#endif
