/*
 * The files of cluster.yml's `manifests` list as one YAML stream, read on
 * the machine running pharos. The same files core/config/manifests.c
 * checked while loading: an entry that is a file is that file; a directory
 * contributes its *.yml and *.yaml files (regular files directly in it, not
 * starting with '.') in name order, and nothing else.
 */
#ifndef PHAROS_ADDON_MANIFESTS_FILES_H
#define PHAROS_ADDON_MANIFESTS_FILES_H

#include <stddef.h>

/* Appends the files of one entry (relative: from base_dir, NULL or "" for
 * the working directory) to *stream (malloc'd, grown; caller frees), each
 * file as a document of its own. *n_files counts them. Returns 0, or -1 with
 * why[] naming the path. */
int manifests_read(const char *entry, const char *base_dir, char **stream, size_t *len,
                   size_t *n_files, char *why, size_t why_size);

#endif
