/*
 * The core's cluster.yml schema. Keys, types, which keys are required and
 * where each value goes in the typed structs are one libcyaml schema
 * (cfg_schema_root): the validator walks it to check the positioned tree
 * and report every problem with its location, and libcyaml then maps the
 * validated, defaulted tree into struct cfg_doc with it.
 *
 * What libcyaml cannot say is in a side table keyed by the schema path
 * ("hosts.*.ssh_port", '*' for a list item): defaults, allowed values of a
 * string, integer ranges, value formats, "~" expansion, free-form string
 * maps (labels, environment) and the sections that belong to plugins.
 */
#ifndef PHAROS_CORE_CONFIG_SCHEMA_H
#define PHAROS_CORE_CONFIG_SCHEMA_H

#include <stddef.h>

#include <cyaml/cyaml.h>

enum cfg_extra_flags {
        CFG_X_PATH = 1u << 0,       /* a file path: a leading "~/" expands to $HOME */
        CFG_X_STRING_MAP = 1u << 1, /* (ignored by libcyaml) a map of scalar values */
        /* A map whose other keys are sections owned by plugins named plugin_prefix-KEY. */
        CFG_X_PLUGIN_SECTIONS = 1u << 2,
        /* Text of several lines (a file's contents): exempt from the one-line rule. */
        CFG_X_MULTILINE = 1u << 3,
};

/* Returns 0 if value is acceptable, else -1 with a reason ("not a CIDR") in why. */
typedef int (*cfg_format_check)(const char *value, char *why, size_t why_len);

struct cfg_extra {
        const char *path;
        const char *def;          /* default as YAML text (a scalar, or a flow map/list), or NULL */
        const char *const *enums; /* NULL-terminated allowed values, or NULL */
        long long min, max;       /* integer range when max > min */
        unsigned flags;           /* enum cfg_extra_flags */
        cfg_format_check check;   /* the value's format (each value of a string map) */
        cfg_format_check key_check; /* CFG_X_STRING_MAP: the format of each key */
        const char *plugin_prefix;  /* CFG_X_PLUGIN_SECTIONS: "network" -> "network-<key>" */
};

/* The document root: a mapping of struct cfg_doc. */
extern const cyaml_schema_value_t cfg_schema_root;

/* The side-table entry for a schema path, or NULL. */
const struct cfg_extra *cfg_extra_find(const char *path);
/* The whole side table (*n entries), for checking it against the schema. */
const struct cfg_extra *cfg_extras(size_t *n);

/* Format checks shared with the cross-field rules. */
int cfg_check_host_address(const char *v, char *why, size_t n);
int cfg_check_ip(const char *v, char *why, size_t n);
int cfg_check_cidr(const char *v, char *why, size_t n);

#endif
