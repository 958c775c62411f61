/*
 * etcd's snapshot stream as its JSON gateway sends it (POST
 * /v3/maintenance/snapshot): one JSON object per line, each
 * {"result":{"blob":"<base64>","remainingBytes":"N"}} (a zero count is left
 * out), or {"error":{...}} when the server gives up. The blobs are the bbolt
 * database, then one last blob: the SHA-256 of the database, which etcd's
 * server appends (v3rpc/maintenance.go) and `etcdutl snapshot restore` checks.
 * The decoder hands every blob byte on, in order, so the file written is
 * what `etcdctl snapshot save` writes, and says whether the stream was whole.
 */
#ifndef PHAROS_CORE_KUBE_ETCD_SNAPSHOT_H
#define PHAROS_CORE_KUBE_ETCD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Takes len bytes of the snapshot file; returns 0, or <0 with err set to stop. */
typedef int (*etcd_snap_sink)(void *ud, const unsigned char *data, size_t len,
                              struct pharos_error *err);

struct etcd_snap;

/* What a whole stream was. */
struct etcd_snap_result {
        uint64_t db_bytes;    /* the database's size, without the checksum */
        uint64_t file_bytes;  /* everything the sink got: db_bytes + 32 */
        char file_sha256[65]; /* hex SHA-256 of the whole file (`sha256sum FILE`) */
        char db_sha256[65];   /* hex SHA-256 of the database, as etcd sent it */
};

/* A decoder that hands the file's bytes to sink(ud, ...). NULL when out of memory.
 * Free with etcd_snap_free(). */
struct etcd_snap *etcd_snap_new(etcd_snap_sink sink, void *ud);
void etcd_snap_free(struct etcd_snap *s);

/* Feeds the next len bytes of the response body. Returns 0, or PERR_FAIL with err
 * saying what is wrong (an error etcd sent, a malformed or out-of-order message,
 * the sink's own failure). */
int etcd_snap_feed(struct etcd_snap *s, const char *data, size_t len, struct pharos_error *err);

/* After the body ended: 0 with *res filled when the stream was whole and the
 * database matches the checksum etcd sent; PERR_FAIL with err when it was cut
 * short (how many bytes came of how many) or the checksum differs. */
int etcd_snap_finish(struct etcd_snap *s, struct etcd_snap_result *res, struct pharos_error *err);

/* Database bytes received so far, and the total etcd announced (0 before the
 * first message), for progress. */
uint64_t etcd_snap_received(const struct etcd_snap *s);
uint64_t etcd_snap_total(const struct etcd_snap *s);

#endif
