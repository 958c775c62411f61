/*
 * A file that appears whole or not at all: written to a temporary file
 * (mode 0600) beside its final path, flushed to disk, then linked to that
 * path — which refuses an existing file — or renamed over it when replacing
 * is allowed. Used for etcd backups, which hold every Secret of the cluster.
 */
#ifndef PHAROS_CORE_CLI_ATOMIC_FILE_H
#define PHAROS_CORE_CLI_ATOMIC_FILE_H

#include <limits.h>
#include <stddef.h>

#include "util/error.h"

struct atomic_file {
        char path[PATH_MAX]; /* where it goes */
        char tmp[PATH_MAX];  /* where it is written meanwhile ("" once gone) */
        int fd;              /* open on tmp, -1 once closed */
};

/* PERR_USAGE naming path when it exists (a directory always, a file unless
 * replace is set); 0 otherwise. An early check: commit checks again. */
int atomic_file_check(const char *path, int replace, struct pharos_error *err);

/* Creates the temporary file. Returns 0, or PERR_FAIL naming the directory. */
int atomic_file_open(struct atomic_file *f, const char *path, struct pharos_error *err);

/* Appends len bytes. Returns 0, or PERR_FAIL naming the file (disk full ...). */
int atomic_file_write(struct atomic_file *f, const void *data, size_t len,
                      struct pharos_error *err);

/* Flushes and closes the file and puts it at its path: refused (PERR_USAGE)
 * when something is there unless replace is set. On failure the temporary
 * file is removed and nothing is left at path that was not there before. */
int atomic_file_commit(struct atomic_file *f, int replace, struct pharos_error *err);

/* Removes the temporary file (after a failure); nothing once committed. */
void atomic_file_discard(struct atomic_file *f);

#endif
