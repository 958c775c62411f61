/*
 * The files the `manifests` key of cluster.yml names, checked while loading
 * (so `pharos config validate` and every `pharos up` find a broken manifest
 * before any host is contacted). The addon-manifests plugin applies them;
 * both take the same files: an entry that is a file is that file, an entry
 * that is a directory contributes its *.yml and *.yaml files (regular files
 * directly in it, not starting with '.') in name order and nothing else.
 */
#ifndef PHAROS_CORE_CONFIG_MANIFESTS_H
#define PHAROS_CORE_CONFIG_MANIFESTS_H

#include "config/diag.h"
#include "config/node.h"

/* Largest manifest file read, as for cluster.yml itself. */
#define CFG_MAX_MANIFEST_SIZE (4u << 20)

/*
 * Checks every entry of root's `manifests` list: the path exists, a
 * directory has manifests, every file is YAML and every document in it a
 * resource with apiVersion, kind and metadata.name. A relative entry is
 * taken from base_dir (the directory of cluster.yml; NULL or "" for the
 * working directory). Problems go to d at the entry's position, naming the
 * manifest file and, where the YAML parser gives one, its line.
 */
void cfg_manifests_check(const cfg_node *root, const char *base_dir, struct cfg_diags *d);

#endif
