/*
 * What pharos applied, kept in the cluster: ConfigMap kube-system/pharos-config
 * (the effective cluster.yml, the pharos version, the cluster name, its
 * kubernetes.version, and the settings that can't change on a running
 * cluster). Read before any change to refuse impossible ones; written after
 * a successful run, only when it differs.
 */
#ifndef PHAROS_CORE_STATE_H
#define PHAROS_CORE_STATE_H

#include "run/run.h"

/* The stored state's ConfigMap, and the key of its data with the cluster's name. */
#define STATE_PATH         "/api/v1/namespaces/kube-system/configmaps/pharos-config"
#define STATE_CLUSTER_NAME "pharos-cluster-name"

/*
 * Reads the stored state when a master already has a control plane. Returns
 * 0 (also for a new cluster), PERR_USAGE with an explanation when cluster.yml
 * changes network.provider, service_cidr, pod_network_cidr or a host's role,
 * or asks for a kubernetes.version the cluster can't move to (run/version_check.h),
 * or PERR_FAIL when a control plane exists but its API can't be reached.
 */
int state_check(struct run *r, struct pharos_error *err);

/* Stores the state if the cluster has an API now. *written tells whether it wrote.
 * The write is conditional on the resourceVersion state_check saw: when someone
 * else changed the state meanwhile (HTTP 409) it fails and overwrites nothing. */
int state_store(struct run *r, int *written, struct pharos_error *err);

#endif
