/*
 * The pharos plugin ABI.
 *
 * A plugin is a shared object (or a static library linked into the pharos
 * binary) that exports one function returning its descriptor. The core checks
 * the descriptor's ABI version and size, then calls init() with the table of
 * host services; init() registers the plugin's steps and commands.
 *
 * Rules that keep old plugins loading in newer cores:
 *   - PHAROS_ABI_MAJOR changes only when an existing field or function
 *     signature changes; the core refuses any other major.
 *   - PHAROS_ABI_MINOR grows when fields are appended to a struct here or to
 *     struct pharos_host; the core refuses plugins with a newer minor.
 *   - every struct crossing the boundary starts with struct_size; the core
 *     copies min(struct_size, sizeof) into a zeroed copy and refuses a larger
 *     struct unless the bytes it does not know are all zero.
 *
 * Strings and arrays a plugin hands to the core (names, ids, schemas, param
 * lists) must stay valid while the plugin is loaded: use static storage.
 */
#ifndef PHAROS_PLUGIN_H
#define PHAROS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <pharos/config_schema.h>
#include <pharos/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when an existing ABI field or signature changes. */
#define PHAROS_ABI_MAJOR 1
/* Bumped when fields or host services are appended. */
#define PHAROS_ABI_MINOR 6

/* What a plugin provides; decides where the core looks for it. */
enum pharos_plugin_kind {
        PHAROS_KIND_OS = 1,        /* a host OS family (packages, repos, sysctls) */
        PHAROS_KIND_RUNTIME,       /* a container runtime */
        PHAROS_KIND_NETWORK,       /* a pod network provider */
        PHAROS_KIND_ADDON,         /* an optional cluster addon */
        PHAROS_KIND_CONTROL_PLANE, /* the control plane / etcd manager */
        PHAROS_KIND_OTHER,         /* anything else (tools, commands) */
};

/*
 * The descriptor a plugin returns from pharos_plugin_describe(). Static
 * storage, owned by the plugin, never freed.
 */
struct pharos_plugin_desc {
        uint32_t struct_size;    /* sizeof(struct pharos_plugin_desc) the plugin was built with */
        uint32_t abi_major;      /* PHAROS_ABI_MAJOR the plugin was built with */
        uint32_t abi_minor;      /* PHAROS_ABI_MINOR the plugin was built with */
        uint32_t kind;           /* enum pharos_plugin_kind */
        const char *name;        /* unique plugin name, [a-z0-9-]+, e.g. "network-weave" */
        const char *version;     /* the plugin's own version string */
        const char *description; /* one line for `pharos plugins list` */
        /*
         * The cluster.yml section this plugin owns as a dotted path
         * ("network.weave", "addons.kured"), or NULL for none.
         */
        const char *config_section;
        /* Schema of that section (see config_schema.h), or NULL. */
        const struct pharos_config_schema *config_schema;
        /*
         * Called once after the descriptor is accepted. Registers steps and
         * commands through `host`; `self` identifies this plugin in those
         * calls. *state may be set to plugin-owned data passed back to every
         * callback and to fini. Return 0, or a negative value on failure
         * (after host->set_error) and the plugin is rejected.
         */
        int (*init)(const struct pharos_host *host, struct pharos_plugin *self, void **state);
        /* Called at exit with the state init set; may be NULL. */
        void (*fini)(void *state);
};

/* Size of the 1.0 descriptor: the core refuses anything smaller. */
#define PHAROS_PLUGIN_DESC_SIZE_1_0                                                                \
        (offsetof(struct pharos_plugin_desc, fini) + sizeof(void (*)(void *)))

/* Name of the symbol every loadable plugin exports. */
#define PHAROS_PLUGIN_DESCRIBE_SYMBOL "pharos_plugin_describe"

#if defined(__GNUC__)
#define PHAROS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PHAROS_PLUGIN_EXPORT
#endif

/*
 * PHAROS_PLUGIN_DECLARE(ident, desc) defines the entry points for the
 * descriptor variable `desc`. `ident` is the plugin name as a C identifier
 * (network_weave). It always defines pharos_plugin_<ident>_describe(), which
 * the core's built-in table calls when the plugin is linked statically; when
 * built as a module (PHAROS_PLUGIN_MODULE defined, as the CMake helper does)
 * it also exports pharos_plugin_describe() for dlsym().
 */
#define PHAROS_PLUGIN_DECLARE_BUILTIN_(ident, desc)                                                \
        const struct pharos_plugin_desc *pharos_plugin_##ident##_describe(void);                   \
        const struct pharos_plugin_desc *pharos_plugin_##ident##_describe(void)                    \
        {                                                                                          \
                return &(desc);                                                                    \
        }

#ifdef PHAROS_PLUGIN_MODULE
#define PHAROS_PLUGIN_DECLARE(ident, desc)                                                         \
        PHAROS_PLUGIN_DECLARE_BUILTIN_(ident, desc)                                                \
        PHAROS_PLUGIN_EXPORT const struct pharos_plugin_desc *pharos_plugin_describe(void);        \
        PHAROS_PLUGIN_EXPORT const struct pharos_plugin_desc *pharos_plugin_describe(void)         \
        {                                                                                          \
                return &(desc);                                                                    \
        }
#else
#define PHAROS_PLUGIN_DECLARE(ident, desc) PHAROS_PLUGIN_DECLARE_BUILTIN_(ident, desc)
#endif

/* Fills the ABI header fields of a descriptor initialiser. */
#define PHAROS_PLUGIN_DESC_HEADER                                                                  \
        .struct_size = sizeof(struct pharos_plugin_desc), .abi_major = PHAROS_ABI_MAJOR,           \
        .abi_minor = PHAROS_ABI_MINOR

#ifdef __cplusplus
}
#endif

#endif
