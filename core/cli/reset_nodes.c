#include <stdio.h>
#include <string.h>

#include "cli/reset_nodes.h"
#include "run/kube_access.h"
#include "util/log.h"

static int delete_node(struct run *r, struct kube_client *kc, const char *node,
                       struct pharos_error *err)
{
        char path[320];
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", node);
        struct kube_response resp = {0};
        int rc = kube_request(kc, "DELETE", path, NULL, NULL, &resp, err);
        if (rc == 0 && resp.status != 200 && resp.status != 202 && resp.status != 404)
                rc = perr_set(err, PERR_FAIL, "deleting Node %s: HTTP %ld: %.300s", node,
                              resp.status, resp.body ? resp.body : "");
        if (rc == 0)
                run_event(r, "reset-node", node, "delete-node",
                          resp.status == 404 ? "ok" : "changed", 0,
                          resp.status == 404 ? "no such Node" : "Node deleted");
        kube_response_free(&resp);
        return rc;
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
        for (size_t i = 0; i < r->n_hosts; i++) {
                const struct run_host *h = &r->hosts[i];
                const char *node = h->facts[FACT_HOSTNAME];
                if (!h->selected || !node || !node[0])
                        continue;
                if (delete_node(r, kc, node, err) < 0)
                        return PERR_FAIL;
        }
        return 0;
}
