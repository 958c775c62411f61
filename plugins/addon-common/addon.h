/*
 * Shared by the addon plugins (addon-ingress-nginx, addon-cert-manager ...):
 * compiled into each of them, never a plugin of its own.
 *
 * addon_text.c is pure (unit-tested): a growable buffer, JSON quoting and
 * the ${NAME} template substitution the manifests use. Every value put into
 * a manifest is a JSON value, which is valid YAML wherever a value goes.
 * addon_config.c turns cluster.yml nodes into such values; addon_step.c is
 * the cluster-wide step every stack addon registers: apply the addon's
 * stacks while `addons.<name>.enabled`, delete them once it is disabled or
 * gone from cluster.yml (only when they exist, so a cluster that never had
 * the addon sees no write), and the validate step for dependencies.
 */
#ifndef PHAROS_ADDON_COMMON_H
#define PHAROS_ADDON_COMMON_H

#include <stddef.h>

#include <pharos/plugin.h>

/* Growable NUL-terminated text; ok drops to 0 after an allocation failure. */
struct abuf {
        char *s;
        size_t len, cap;
        int ok;
};

void abuf_init(struct abuf *b);
void abuf_free(struct abuf *b);
void abuf_put(struct abuf *b, const char *s, size_t n);
void abuf_puts(struct abuf *b, const char *s);
void abuf_printf(struct abuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string, quotes included. */
void abuf_json_str(struct abuf *b, const char *s);
/*
 * Appends a scalar of an untyped section (helm values, tolerations) as
 * YAML 1.2's core schema reads it: null, true/false, integers and floats
 * stay bare, everything else becomes a JSON string.
 */
void abuf_json_scalar(struct abuf *b, const char *text);
/* Takes the text out of b (malloc'd, caller frees), or NULL after a failure. */
char *abuf_take(struct abuf *b);

/* One ${NAME} of a manifest template and its (already rendered) text. */
struct addon_var {
        const char *name;
        const char *value;
};

/*
 * The template with every ${NAME} replaced by its value (verbatim). An
 * unknown or unterminated name is an error: NULL, the name copied to bad.
 * Returns malloc'd text.
 */
char *addon_render(const char *tmpl, const struct addon_var *vars, size_t n, char *bad,
                   size_t bad_size);

struct addon;

/* A stack of an addon, applied in the order given and deleted in reverse. */
struct addon_stack {
        const char *name;
        /* The stack's YAML (malloc'd); "" when it has no objects in this
         * configuration (it is then deleted); NULL after H->step_fail. */
        char *(*render)(const struct addon *a, struct pharos_step_ctx *ctx);
        /* Optional: waits for what the objects need before they are applied
         * (e.g. a webhook that must answer); <0 after H->step_fail. */
        int (*ready)(const struct addon *a, struct pharos_step_ctx *ctx);
        /* Optional: after the stack was deleted, waits until its objects are
         * really gone (finalizers run by the stack before it). */
        int (*gone)(const struct addon *a, struct pharos_step_ctx *ctx);
};

/* What a stack addon tells the shared steps. Static storage. */
struct addon {
        const struct pharos_host *H;
        struct pharos_plugin *self;
        const char *key; /* its section: addons.<key> */
        const struct addon_stack *stacks;
        size_t n_stacks;
        /* Optional: fails (H->step_fail naming the key) when an option needs an
         * addon that is not enabled; 0 when fine. */
        int (*check)(const struct addon *a, struct pharos_step_ctx *ctx);
};

/* 1 when addons.<key>.enabled is true in the loaded cluster.yml. */
int addon_enabled(const struct addon *a, const char *key);
/* The node at a dotted path under the addon's own section, or NULL. */
const struct pharos_config_node *addon_opt(const struct addon *a, const char *path);
/* The scalar text at a dotted path of the section, or def. */
const char *addon_str(const struct addon *a, const char *path, const char *def);
/* The boolean at a dotted path of the section, or def. */
int addon_bool(const struct addon *a, const char *path, int def);
/* The strings of the list at a dotted path of the section, *n of them, in a malloc'd
 * array the caller frees (the strings are the configuration's); NULL when out of memory. */
const char **addon_strings(const struct addon *a, const char *path, size_t *n);

/*
 * Appends node n as JSON. Scalars of maps listed as strings (labels,
 * ConfigMap data) are forced to strings with `strings`; otherwise they are
 * read as abuf_json_scalar does. An absent node appends `null`.
 */
void addon_json(const struct addon *a, const struct pharos_config_node *n, int strings,
                struct abuf *b);

/* Waits (up to timeout_s) until Deployment ns/name has an available replica. */
int addon_wait_deployment(const struct addon *a, struct pharos_step_ctx *ctx, const char *ns,
                          const char *name, int timeout_s);

/* Waits (up to timeout_s) until CustomResourceDefinition crd is Established. */
int addon_wait_established(const struct addon *a, struct pharos_step_ctx *ctx, const char *crd,
                           int timeout_s);

/* The shared steps' callbacks; state is the struct addon. */
int addon_stack_applies(struct pharos_step_ctx *ctx, void *state);
int addon_stack_run(struct pharos_step_ctx *ctx, void *state);
int addon_check_applies(struct pharos_step_ctx *ctx, void *state);
int addon_check_run(struct pharos_step_ctx *ctx, void *state);

/*
 * Registers "<plugin>.apply" (phase addons, once for the cluster, after
 * the steps in `after`, which should be optional '?' references to the
 * addons it builds on) and, when a->check is set, "<plugin>.dependencies"
 * (phase validate). Called from init() with *state = a.
 */
int addon_register(struct addon *a, const char *const *after, const char *apply_id,
                   const char *check_id, const char *description);

#endif
