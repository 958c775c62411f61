/*
 * Schema of the cluster.yml section a plugin owns (network.weave,
 * addons.kured, ...). The core validates the section against it before any
 * host is contacted and reports problems as FILE:LINE:COL: error: MESSAGE.
 *
 * Kept independent of the YAML library the core uses, so that library can
 * change without touching the plugin ABI. All data is static and owned by
 * the plugin.
 */
#ifndef PHAROS_CONFIG_SCHEMA_H
#define PHAROS_CONFIG_SCHEMA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The type a value in the section must have. */
enum pharos_config_type {
        PHAROS_CFG_STRING = 1, /* a scalar, kept as text */
        PHAROS_CFG_INT,        /* an integer scalar, range-checked by min/max when max > min */
        PHAROS_CFG_BOOL,       /* true/false */
        PHAROS_CFG_DOUBLE,     /* a number */
        PHAROS_CFG_MAP,        /* a mapping with the keys listed in `fields` */
        PHAROS_CFG_LIST,       /* a sequence; every item is checked against `item` */
        PHAROS_CFG_STRING_MAP, /* a mapping of any keys to scalar values (env, labels) */
        PHAROS_CFG_ANY,        /* anything; the plugin checks it (e.g. helm values) */
};

enum pharos_config_flags {
        PHAROS_CFG_REQUIRED = 1u << 0, /* the key must be present */
};

/* One key of a mapping, or the item description of a list. */
struct pharos_config_field {
        const char *key;                /* key name (ignored for a list item) */
        uint32_t type;                  /* enum pharos_config_type */
        uint32_t flags;                 /* enum pharos_config_flags */
        const char *default_value;      /* scalar default as YAML text, or NULL */
        const char *const *enum_values; /* NULL-terminated allowed values of a STRING, or NULL */
        int64_t min, max;               /* INT range when max > min */
        /* MAP: the keys, terminated by an entry whose key is NULL. */
        const struct pharos_config_field *fields;
        /* LIST: the description of every item. */
        const struct pharos_config_field *item;
        const char *help; /* one line for documentation and errors */
};

/* The schema of a plugin's section: a versioned wrapper around its root map. */
struct pharos_config_schema {
        uint32_t struct_size; /* sizeof(struct pharos_config_schema) */
        /* The section's keys, terminated by an entry whose key is NULL. */
        const struct pharos_config_field *fields;
};

#ifdef __cplusplus
}
#endif

#endif
