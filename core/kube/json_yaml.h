/* Writes a yajl tree as a YAML document (libyaml emitter), for files people read. */
#ifndef PHAROS_CORE_JSON_YAML_H
#define PHAROS_CORE_JSON_YAML_H

#include <yajl/yajl_tree.h>

/* Returns malloc'd YAML text of v, or NULL on failure. */
char *json_to_yaml(yajl_val v);

#endif
