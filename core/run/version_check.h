/*
 * The version policy of `pharos up` on a running cluster: cluster.yml's
 * kubernetes.version against the version the cluster state stored, the API
 * server's own and every Node's kubelet (kube/kver.h has the rules), checked
 * before any change so a refused version leaves the cluster as it was.
 */
#ifndef PHAROS_CORE_RUN_VERSION_CHECK_H
#define PHAROS_CORE_RUN_VERSION_CHECK_H

#include <yajl/yajl_tree.h>

#include "run/run.h"

/* The key of the stored state (kube-system/pharos-config) holding the version. */
#define STATE_KUBE_VERSION "kubernetes.version"

/* stored: the stored state's version, NULL when none is stored (a state written
 * before pharos kept it). Returns 0, PERR_USAGE with the versions and nodes when
 * the version can't be reached in one run, PERR_FAIL when the API can't be read. */
int version_check(struct run *r, const char *stored, struct pharos_error *err);

#endif
