/* pharos reset on a host: what kubeadm and the kubelet left there goes. */
#include <stdio.h>
#include <string.h>

#include "kadm.h"
#include "kubeadm_scripts.h"

static int reset_script(struct kadm_state *st, struct pharos_step_ctx *ctx, int apply,
                        char *changes, size_t size)
{
        const struct pharos_env env[] = {{"PHAROS_MODE", apply ? "apply" : "check"}};
        struct pharos_exec_result res;
        if (st->host->step_script(ctx, script_reset_sh, env, 1,
                                  PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, &res) < 0)
                return -1;
        kadm_script_changes(res.out, changes, size);
        return 0;
}

static int reset_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char changes[700];
        if (reset_script(st, ctx, 0, changes, sizeof(changes)) < 0)
                return -1;
        if (changes[0])
                st->host->step_reason(ctx, "%s", changes);
        return changes[0] != '\0';
}

/* kubeadm reset leaves an external etcd alone, as it must: it may serve more
 * than this cluster. A new control plane on the old objects (Secrets encrypted
 * with the old key, Nodes, tokens) would not work, so the whole cluster's reset
 * says where they still are. Once, from the first master. */
static void external_etcd_left(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *h = st->host;
        if (!kadm_etcd_external(st) || h->step_fact(ctx, "selected") ||
            kadm_host_index(st, ctx) != kadm_first_master(st))
                return;
        const struct pharos_config_node *eps = kadm_etcd_endpoints(st);
        const char *url = h->config_string(h->config_at(eps, 0));
        char shown[300];
        snprintf(shown, sizeof(shown), "%s", url ? url : "");
        /* A URL's user:password@ never reaches the output. */
        char *host = strstr(shown, "://");
        host = host ? host + 3 : shown;
        char *at = strchr(host, '@'), *slash = strchr(host, '/');
        if (at && (!slash || at < slash))
                memmove(host, at + 1, strlen(at + 1) + 1);
        h->log(st->self, PHAROS_LOG_WARN,
               "the external etcd (%s%s) still holds this cluster's objects: remove them there "
               "(etcdctl del --prefix /registry) before the next `pharos up`, or the new "
               "control plane starts on the old cluster's data",
               shown, h->config_len(eps) > 1 ? ", ..." : "");
}

static int reset_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char changes[700];
        if (reset_script(st, ctx, 1, changes, sizeof(changes)) < 0)
                return -1;
        if (changes[0])
                st->host->step_changed(ctx, "%s", changes);
        external_etcd_left(st, ctx);
        return 0;
}

/* After the members left etcd (reset-node), before the runtime and the packages go. */
const struct pharos_step kadm_step_reset = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.reset",
        .phase = "reset-host",
        .description = "kubeadm reset, then the kubelet's, etcd's and the CNI's files",
        .applies = reset_applies,
        .run = reset_run,
};
