/*
 * The files the `manifests` key of cluster.yml names, checked right after
 * loading by the commands that use them (`pharos up`, `pharos config
 * validate`), so a broken manifest is found before any host is contacted
 * but does not stand in the way of ssh, exec or reset. The addon-manifests plugin applies them;
 * both take the same files: an entry that is a file is that file, an entry
 * that is a directory contributes its *.yml and *.yaml files (regular files
 * directly in it, not starting with '.') in name order and nothing else.
 */
#ifndef PHAROS_CORE_CONFIG_MANIFESTS_H
#define PHAROS_CORE_CONFIG_MANIFESTS_H

#include "config/config.h"
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

/*
 * cfg_manifests_check() on a loaded configuration, relative entries taken
 * from the directory of cfg->source (the working directory for stdin, "-"),
 * every problem printed on stderr as cfg_load() prints its own. Returns 0,
 * or PERR_USAGE (PERR_NOMEM) with err summarising.
 */
int cfg_manifests_verify(const struct cluster_config *cfg, struct pharos_error *err);

#endif
