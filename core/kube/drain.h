/*
 * Draining and deleting a Node through the Kubernetes API, as `kubectl drain`
 * and `kubectl delete node` do: cordon (spec.unschedulable), decide for every
 * pod on the node whether it may go, evict those through the Eviction
 * subresource (policy/v1) — retrying while a PodDisruptionBudget answers 429 —
 * and wait until they are gone, all within one timeout.
 *
 * Core-internal: `pharos drain`, `pharos delete-node` and `pharos reset` call it
 * with a client from run_kube() or their own.
 */
#ifndef PHAROS_CORE_KUBE_DRAIN_H
#define PHAROS_CORE_KUBE_DRAIN_H

#include <pthread.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "kube/client.h"
#include "util/error.h"

struct drain_opts {
        long timeout_ms;       /* the whole drain (evictions and waiting); 0 = no limit */
        long retry_ms;         /* pause before retrying an eviction a PDB blocked; 0 = 5 s */
        int ignore_daemonsets; /* skip DaemonSet pods instead of refusing */
        int delete_local_data; /* evict pods with emptyDir volumes instead of refusing */
        int force;             /* evict pods no controller manages instead of refusing */
        /* One line of progress ("evicting pod default/web-1"); NULL: silent. */
        void (*progress)(void *ud, const char *line);
        void *progress_ud;
        /* A lock the caller holds around the drain to serialise the client's users, or
         * NULL: released while the drain sleeps between polls, so that a drain waiting
         * minutes on a disruption budget does not hold the others up. */
        pthread_mutex_t *held;
};

/* What happens to one pod (drain_classify). */
enum drain_verdict {
        DRAIN_EVICT,             /* evicted */
        DRAIN_WAIT,              /* already terminating: only waited for */
        DRAIN_SKIP_MIRROR,       /* a static pod's mirror: the kubelet owns it */
        DRAIN_SKIP_DAEMONSET,    /* DaemonSet pod with ignore_daemonsets */
        DRAIN_REFUSE_DAEMONSET,  /* DaemonSet pod without ignore_daemonsets */
        DRAIN_REFUSE_LOCAL_DATA, /* emptyDir volume without delete_local_data */
        DRAIN_REFUSE_UNMANAGED,  /* no controller, without force */
};

/*
 * Decides for one Pod object. A finished pod (Succeeded/Failed) loses nothing
 * by going, so only the DaemonSet and mirror rules apply to it — as in kubectl.
 */
enum drain_verdict drain_classify(yajl_val pod, const struct drain_opts *opts);

/* One pod of a drain plan. */
struct drain_pod {
        char *ns, *name, *uid;
        enum drain_verdict verdict;
};

struct drain_plan {
        struct drain_pod *pods;
        size_t n;
};

/*
 * Classifies every pod of a PodList. Fails with PERR_FAIL naming every refused
 * pod, grouped by reason with the option that would allow it (kubectl's
 * wording), so nothing is evicted when any pod blocks the drain.
 */
int drain_plan_build(yajl_val pod_list, const struct drain_opts *opts, struct drain_plan *plan,
                     struct pharos_error *err);
void drain_plan_free(struct drain_plan *plan);

/* Marks the node unschedulable (or schedulable again). PERR_FAIL if it does not exist. */
int kube_node_cordon(struct kube_client *kc, const char *node, int unschedulable,
                     struct pharos_error *err);

/*
 * Cordons `node`, evicts its pods and waits until they are gone. On a refusal
 * or timeout the node stays cordoned (as with kubectl) and err says which pods
 * remain and why.
 */
int kube_node_drain(struct kube_client *kc, const char *node, const struct drain_opts *opts,
                    struct pharos_error *err);

/* Deletes the Node object; *existed (may be NULL) says whether there was one to delete. */
int kube_node_delete(struct kube_client *kc, const char *node, int *existed,
                     struct pharos_error *err);

#endif
