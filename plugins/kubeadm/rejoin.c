/*
 * A master whose etcd member is gone (etcd-check, step_etcd.c) joins again as
 * a new master: etcd refuses a removed member's data for good, so the old
 * control plane goes first. So does what a control-plane join that did not
 * finish left (step_join.c). Its Node goes too: kubeadm join refuses a node
 * whose name a Ready Node already has (kubeadm's kubelet-start phase), and the
 * old Node stays Ready until the node lifecycle controller's grace period ends.
 */
#include <stdio.h>
#include <string.h>

#include <pharos/names.h>

#include "kadm.h"

static int delete_node(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *name)
{
        const struct pharos_host *h = st->host;
        char path[300], why[160];
        if (pharos_dns1123_subdomain_check(name, why, sizeof(why)) < 0) {
                h->step_fail(ctx, "Node name '%.64s' %s", name, why);
                return -1;
        }
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", name);
        long status = 0;
        const char *resp = NULL;
        if (h->kube_request(ctx, "DELETE", path, NULL, &status, &resp) < 0)
                return -1;
        if (status != 200 && status != 202 && status != 404) {
                h->step_fail(ctx, "deleting Node %s: HTTP %ld: %.300s", name, status, resp);
                return -1;
        }
        if (status != 404)
                h->step_changed(ctx, "deleted Node %s, to be registered again by the join", name);
        return 0;
}

int kadm_rejoin_reset(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *why)
{
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        char name[256];
        snprintf(name, sizeof(name), "%s", in.node_name);
        kadm_input_free(&in);
        /* The kubelet stops first, so it cannot register the Node again meanwhile. */
        if (st->host->step_exec(ctx, "kubeadm reset --force",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, NULL) < 0)
                return -1;
        st->host->step_changed(ctx, "kubeadm reset: %s", why);
        return delete_node(st, ctx, name);
}
