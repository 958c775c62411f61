/*
 * The registry of loaded plugins and of the steps and commands they
 * registered. A registry owns its plugin records; plugin descriptors, step
 * and command strings stay owned by the plugins (which are never unloaded).
 */
#ifndef PHAROS_CORE_REGISTRY_H
#define PHAROS_CORE_REGISTRY_H

#include <stddef.h>

#include <pharos/plugin.h>

#include "util/error.h"

/* The core's side of the opaque handle plugins receive in init(). */
struct pharos_plugin {
        struct pharos_plugin_desc desc; /* validated copy of the descriptor */
        char *origin;                   /* "builtin" or the .so path (owned) */
        void *dl;                       /* dlopen handle, never closed; NULL for built-ins */
        void *state;                    /* what init() returned in *state */
        int initialized;                /* init() succeeded: fini() is due */
        char error[512];                /* last message from host->set_error */
        struct registry *reg;           /* where its steps and commands go */
        /* An OS plugin's installer of Kubernetes packages (register_kube_packages), or NULL. */
        int (*kube_packages)(struct pharos_step_ctx *ctx, void *state, const char *const *packages,
                             const char *version);
};

/* A registered step: a validated copy plus its owner. */
struct reg_step {
        struct pharos_step step;
        struct pharos_plugin *owner;
};

/* A registered command: a validated copy plus its owner. */
struct reg_command {
        struct pharos_command cmd;
        struct pharos_plugin *owner;
};

struct registry {
        struct pharos_plugin **plugins;
        size_t n_plugins;
        struct reg_step *steps;
        size_t n_steps;
        struct reg_command *cmds;
        size_t n_cmds;
};

void registry_init(struct registry *r);
/* Calls fini() of initialised plugins (last loaded first) and frees the records. */
void registry_free(struct registry *r);

/* Finds a plugin by name, or NULL. */
struct pharos_plugin *registry_find(const struct registry *r, const char *name);

/*
 * Adds an accepted plugin and runs its init(). On failure of init() every
 * step and command it registered is dropped, the plugin is not added, and
 * err says why. The registry takes `p` (also on failure, when it frees it).
 */
int registry_add(struct registry *r, struct pharos_plugin *p, const struct pharos_host *host,
                 struct pharos_error *err);

/* Validated registration, used by the host-services table. */
int registry_add_step(struct pharos_plugin *p, const struct pharos_step *s,
                      struct pharos_error *err);
int registry_add_command(struct pharos_plugin *p, const struct pharos_command *c,
                         struct pharos_error *err);

/* How many steps / commands plugin p registered. */
size_t registry_count_steps(const struct registry *r, const struct pharos_plugin *p);
size_t registry_count_commands(const struct registry *r, const struct pharos_plugin *p);

/*
 * Copies a struct of `have` bytes that the core knows as `known` bytes, with
 * `min` the oldest accepted size: refuses smaller than min, and larger than
 * known unless the unknown tail is all zero. `dst` (known bytes) is zeroed first.
 */
int abi_copy_struct(void *dst, size_t known, const void *src, size_t have, size_t min,
                    const char *what, struct pharos_error *err);

#endif
