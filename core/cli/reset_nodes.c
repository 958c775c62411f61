#include <stdio.h>
#include <string.h>

#include "cli/reset_nodes.h"
#include "kube/drain.h"
#include "kube/kube_path.h"
#include "run/kube_access.h"
#include "util/log.h"

/* The original's reset: kubectl drain --grace-period=120 --force --timeout=5m
 * --ignore-daemonsets --delete-local-data, then kubectl delete node. */
#define RESET_DRAIN_TIMEOUT_MS (5L * 60 * 1000)

struct progress {
        struct run *r;
        const char *node;
};

static void drain_progress(void *ud, const char *line)
{
        const struct progress *p = ud;
        run_event(p->r, "reset-node", p->node, "drain", "progress", 0, line);
}

static int remove_node(struct run *r, struct kube_client *kc, const char *node,
                       struct pharos_error *err)
{
        struct progress p = {r, node};
        const struct drain_opts opts = {.timeout_ms = RESET_DRAIN_TIMEOUT_MS,
                                        .ignore_daemonsets = 1,
                                        .delete_local_data = 1,
                                        .force = 1,
                                        .progress = drain_progress,
                                        .progress_ud = &p};
        /* A host that never joined has no Node to drain. */
        char path[320];
        if (kube_path_node(path, sizeof(path), node, NULL, err) < 0)
                return PERR_FAIL;
        struct kube_response resp = {0};
        if (kube_request(kc, "GET", path, NULL, NULL, &resp, err) < 0)
                return PERR_FAIL;
        long status = resp.status;
        kube_response_free(&resp);
        if (status == 404) {
                run_event(r, "reset-node", node, "delete-node", "ok", 0, "no such Node");
                return 0;
        }
        if (kube_node_drain(kc, node, &opts, err) < 0)
                return PERR_FAIL;
        run_event(r, "reset-node", node, "drain", "changed", 0, "drained");
        int existed = 0;
        if (kube_node_delete(kc, node, &existed, err) < 0)
                return PERR_FAIL;
        run_event(r, "reset-node", node, "delete-node", existed ? "changed" : "ok", 0,
                  existed ? "Node deleted" : "no such Node");
        return 0;
}

int reset_remove_nodes(struct run *r, struct pharos_error *err)
{
        if (!r->selection)
                return 0; /* the whole cluster goes: its API objects go with etcd */
        struct kube_client *kc = NULL;
        struct pharos_error why = {0};
        if (run_kube(r, &kc, &why) < 0) {
                log_warn("the Kubernetes API does not answer, the Nodes stay in it: %s", why.msg);
                return 0;
        }
        /* One at a time, as the original: their pods move to the hosts that stay. */
        for (size_t i = 0; i < r->n_hosts; i++) {
                const struct run_host *h = &r->hosts[i];
                const char *node = h->facts[FACT_HOSTNAME];
                if (!h->selected || !node || !node[0])
                        continue;
                if (remove_node(r, kc, node, err) < 0)
                        return PERR_FAIL;
        }
        return 0;
}
