/*
 * After `pharos up`: the Node objects of the cluster that are not hosts of
 * cluster.yml. Removing a worker from cluster.yml changes nothing on the
 * cluster (the seed's "re-upping would not do anything"), so up lists such
 * nodes with the commands that drain and delete them. Nodes joined with
 * `pharos worker up` carry WORKER_UP_LABEL and are listed apart: they were
 * never in cluster.yml, so up never upgrades them; one whose kubelet is older
 * than kubernetes.version is listed with the steps that upgrade it by hand.
 */
#ifndef PHAROS_CORE_RUN_STALE_NODES_H
#define PHAROS_CORE_RUN_STALE_NODES_H

#include "run/run.h"

/* Set on the Nodes `pharos worker up` joins (kubelet --node-labels). */
#define WORKER_UP_LABEL "pharos.kontena.io/worker-up"

/* Prints the list (text or JSON events); config_path goes into the suggested commands.
 * An unreachable API only warns: up has already succeeded. */
void run_report_stale_nodes(struct run *r, const char *config_path);

#endif
