/*
 * network.custom.manifest_path on the machine running pharos: one file, or
 * every *.yml and *.yaml file of a directory (not its subdirectories), in
 * name order, rendered into one YAML stream.
 */
#ifndef PHAROS_NETWORK_CUSTOM_FILES_H
#define PHAROS_NETWORK_CUSTOM_FILES_H

#include <stddef.h>

#include "template.h"

struct custom_file {
        char *path; /* as shown in messages: the resolved path */
        char *text;
};

struct custom_set {
        struct custom_file *files;
        size_t n;
};

/*
 * Reads the manifests at path; a relative path is taken from base_dir (the
 * directory of cluster.yml; NULL or "" for the working directory). Returns 0,
 * or -1 with why[] filled (no such path, unreadable, a directory without
 * manifests).
 */
int custom_read(const char *path, const char *base_dir, struct custom_set *out, char *why,
                size_t why_size);

void custom_free(struct custom_set *s);

/*
 * Every file rendered with vars and checked to be YAML, joined as one
 * stream of documents; malloc'ed, or NULL with why[] naming the file and
 * line.
 */
char *custom_render(const struct custom_set *s, const struct tmpl_var *vars, size_t n_vars,
                    char *why, size_t why_size);

#endif
