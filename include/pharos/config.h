/*
 * Read-only access to the validated cluster.yml.
 *
 * host->config_section(self) returns the root of the section the plugin
 * declared in its descriptor (config_section), already checked against its
 * config_schema and with the schema's defaults filled in, or NULL when the
 * section is absent or no configuration is loaded. host->config_root(self)
 * returns the whole document (core keys with their defaults included). Nodes are owned by the
 * core and stay valid until the command that loaded cluster.yml ends; never
 * free or modify them. Every accessor accepts NULL and then returns the
 * "absent" answer (NULL, 0 or -1).
 */
#ifndef PHAROS_CONFIG_H
#define PHAROS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque node of the loaded configuration tree. */
struct pharos_config_node;

/* What a node holds (host->config_kind). */
enum pharos_config_node_kind {
        PHAROS_CONFIG_NONE = 0, /* NULL node */
        PHAROS_CONFIG_SCALAR,   /* a string, number or boolean as text */
        PHAROS_CONFIG_MAP,      /* keys in document order */
        PHAROS_CONFIG_LIST,
};

#ifdef __cplusplus
}
#endif

#endif
