/*
 * API paths built from names: a Node name comes from a host's hostname or
 * the command line, a pod's namespace and name from the API. None of them
 * may change which object a request reaches ("../namespaces/prod"), so a
 * Node name is checked against the one rule for Node names and every other
 * segment is percent-encoded.
 */
#ifndef PHAROS_CORE_KUBE_KUBE_PATH_H
#define PHAROS_CORE_KUBE_KUBE_PATH_H

#include <stddef.h>

#include "util/error.h"

/*
 * "/api/v1/nodes/NODE" followed by suffix (NULL or "" for none) into out
 * (n bytes). PERR_USAGE naming the node when it is not a valid Node name
 * (pharos/names.h), PERR_FAIL when out is too small; nothing is sent either way.
 */
int kube_path_node(char *out, size_t n, const char *node, const char *suffix,
                   struct pharos_error *err);

/*
 * seg percent-encoded for one path segment or query value (RFC 3986: all but
 * unreserved characters) into out (n bytes). -1 when out is too small.
 */
int kube_path_escape(const char *seg, char *out, size_t n);

#endif
