/*
 * The positioned YAML tree cluster.yml is parsed into. Every node keeps the
 * line and column it came from so validation can point at it; defaults the
 * loader inserts have line 0. Plugins see these nodes through the opaque
 * struct pharos_config_node of <pharos/config.h>.
 */
#ifndef PHAROS_CORE_CONFIG_NODE_H
#define PHAROS_CORE_CONFIG_NODE_H

#include <stddef.h>

#include <pharos/config.h>

/* What a scalar turned out to be, decided by the schema (or by its form when unschematised). */
enum cfg_scalar_type {
        CFG_T_UNTYPED = 0,
        CFG_T_NULL,
        CFG_T_STRING,
        CFG_T_INT,
        CFG_T_BOOL,
        CFG_T_DOUBLE,
};

struct pharos_config_node {
        int kind;   /* enum pharos_config_node_kind */
        int line;   /* 1-based, 0 for an inserted default */
        int col;    /* 1-based */
        int quoted; /* scalar was quoted or a block scalar: always a string */
        int type;   /* enum cfg_scalar_type, set by validation */
        int bad;    /* already reported (a failed ${VAR}): validation stays quiet */
        int dflt;   /* inserted by pharos as a default, not written in cluster.yml */
        char *text; /* scalar text (owned), NULL for containers */
        size_t len; /* number of items / pairs */
        size_t cap;
        struct pharos_config_node **keys;  /* map: key scalars (owned) */
        struct pharos_config_node **items; /* map values / list items (owned) */
};

typedef struct pharos_config_node cfg_node;

cfg_node *cfg_node_new(int kind, int line, int col);
/* A scalar holding a copy of text. */
cfg_node *cfg_node_scalar(const char *text, int line, int col);
/* Frees n and everything under it. NULL is fine. */
void cfg_node_free(cfg_node *n);
/*
 * What a document may still grow by. Nodes alone do not bound memory: one
 * large anchored scalar copied by many aliases is few nodes and many bytes.
 */
struct cfg_budget {
        long nodes; /* values (scalars, lists, maps) */
        long bytes; /* scalar text */
};

/* Deep copy, charged to *b; fails (NULL) once either count would go below 0. */
cfg_node *cfg_node_copy(const cfg_node *n, struct cfg_budget *b);

/* Appends to a list (key NULL) or a map; takes ownership. Returns 0 or PERR_NOMEM. */
int cfg_node_append(cfg_node *parent, cfg_node *key, cfg_node *value);
/* Removes pair / item i and frees it. */
void cfg_node_remove(cfg_node *parent, size_t i);

/* Map lookup: the value for key, or NULL; *index gets its position when not NULL. */
cfg_node *cfg_map_get(const cfg_node *map, const char *key, size_t *index);
/* Scalar text of map[key] or NULL when absent or not a scalar. */
const char *cfg_map_str(const cfg_node *map, const char *key);

/* True for the YAML null forms of a plain scalar: "", "~", "null", "Null", "NULL". */
int cfg_scalar_is_null(const cfg_node *n);

/* Strict scalar conversions used by validation and the typed views. Return 0 or -1. */
int cfg_parse_int(const char *s, long long *out);
int cfg_parse_bool(const char *s, int *out);
int cfg_parse_double(const char *s, double *out);

#endif
