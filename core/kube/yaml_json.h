/*
 * Kubernetes manifests: a YAML stream (many documents) turned into one JSON
 * text per document, through libyaml events and yajl_gen. Scalars follow the
 * YAML 1.2 core schema, as the Kubernetes YAML decoder does for manifests:
 * plain true/false, null/~ and numbers are typed, everything else (and every
 * quoted scalar) is a string.
 */
#ifndef PHAROS_CORE_YAML_JSON_H
#define PHAROS_CORE_YAML_JSON_H

#include <stddef.h>

#include "util/error.h"

/* The JSON documents of one YAML stream; owns its strings. */
struct json_docs {
        char **json; /* NUL-terminated JSON texts */
        int *line;   /* 1-based line where each document starts */
        size_t n;
};

/*
 * Converts `len` bytes of YAML. Empty and null documents are skipped.
 * `source` names the input in errors ("SOURCE:LINE:COL: ..."). Aliases are
 * refused (no manifest needs them, and they are how YAML bombs are built).
 */
int yaml_to_json(const char *yaml, size_t len, const char *source, struct json_docs *out,
                 struct pharos_error *err);
void json_docs_free(struct json_docs *d);

#endif
