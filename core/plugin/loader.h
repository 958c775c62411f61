/*
 * Finds, validates and initialises plugins.
 *
 * Search order (first plugin of a name wins; later ones are reported and
 * ignored): --plugin-path entries, PHAROS_PLUGIN_PATH (colon list), the
 * plugins built into the binary, the installed plugin directory. A path entry
 * is a directory (every *.so in it, in byte order of the names) or a .so file.
 * Files and directories others could change are refused (path_trust.h).
 * Modules are opened by their absolute path with RTLD_NOW | RTLD_LOCAL and
 * never closed once accepted.
 */
#ifndef PHAROS_CORE_LOADER_H
#define PHAROS_CORE_LOADER_H

#include <stddef.h>

#include <pharos/plugin.h>

#include "plugin/registry.h"
#include "util/error.h"

struct loader_opts {
        const char *const *paths; /* --plugin-path values, in order */
        size_t n_paths;
        const char *env_path;   /* PHAROS_PLUGIN_PATH, or NULL */
        int builtins;           /* include the plugins linked into the binary */
        const char *system_dir; /* the installed plugin directory, or NULL */
};

/*
 * Loads every plugin the options point at into r. Each rejected file is
 * logged in one line and does not stop the others. Duplicates are said in one
 * line per search-path entry (how many, and where), each named at debug level.
 * Returns the number of rejected plugins.
 */
size_t loader_load_all(struct registry *r, const struct loader_opts *o);

/*
 * Checks a descriptor against this core's ABI and copies it into *out.
 * `origin` names the file in the message ("FILE: rejected: ...").
 */
int loader_accept_desc(const struct pharos_plugin_desc *d, const char *origin,
                       struct pharos_plugin_desc *out, struct pharos_error *err);

/* Opens one .so file (refused unless path_trust.h trusts it), validates it and
 * runs its init() into r. */
int loader_load_file(struct registry *r, const char *path, struct pharos_error *err);

#endif
