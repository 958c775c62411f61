/*
 * kubeadm: the control plane. Renders the kubeadm configuration from
 * cluster.yml, runs `kubeadm init` on the first master, joins the other
 * masters one at a time and the workers in parallel, and puts the host
 * labels and taints on the Node objects. etcd follows the masters of
 * cluster.yml: members of masters dropped from it (or reset) are removed
 * under the quorum rules (step_etcd.c); `pharos reset` wipes what kubeadm
 * left on a host (step_reset.c).
 *
 * Join data (bootstrap token, CA hash, certificate key) can only be made on
 * the first master, while a step runs on its own host: ONCE steps on the
 * first master put it in the plugin state, under st->mu, and the per-host
 * join steps that follow them (after the core's barrier) read it from there.
 * Which hosts still have to join is read in the facts phase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "kadm.h"

const struct pharos_config_node *kadm_hosts(struct kadm_state *st)
{
        return st->host->config_get(st->host->config_root(st->self), "hosts");
}

const struct pharos_config_node *kadm_etcd_endpoints(struct kadm_state *st)
{
        const struct pharos_host *h = st->host;
        return h->config_get(h->config_get(h->config_root(st->self), "etcd"), "endpoints");
}

int kadm_etcd_external(struct kadm_state *st)
{
        return st->host->config_len(kadm_etcd_endpoints(st)) > 0;
}

long kadm_first_master(struct kadm_state *st)
{
        const struct pharos_config_node *hosts = kadm_hosts(st);
        for (size_t i = 0; i < st->host->config_len(hosts); i++) {
                const char *role = st->host->config_string(
                        st->host->config_get(st->host->config_at(hosts, i), "role"));
                if (role && !strcmp(role, "master"))
                        return (long)i;
        }
        return -1;
}

long kadm_host_index(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        const char *idx = st->host->step_fact(ctx, "index");
        return idx ? strtol(idx, NULL, 10) : -1;
}

int kadm_is_master(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        const char *role = st->host->step_fact(ctx, "role");
        return role && !strcmp(role, "master");
}

int kadm_joined(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        long idx = kadm_host_index(st, ctx);
        pthread_mutex_lock(&st->mu);
        int yes = st->status && idx >= 0 && (size_t)idx < st->n_status &&
                  st->status[idx] == KADM_JOINED;
        pthread_mutex_unlock(&st->mu);
        return yes;
}

int kadm_worker_up(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        const char *seq = st->host->step_fact(ctx, "sequence");
        return seq && !strcmp(seq, "worker-up");
}

int kadm_exists(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *path)
{
        char *q = kadm_shq(path);
        if (!q) {
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "test -e %s", q);
        free(q);
        struct pharos_exec_result res;
        if (st->host->step_exec(ctx, cmd, PHAROS_EXEC_SUDO | PHAROS_EXEC_QUIET, &res) < 0)
                return -1;
        if (res.status > 1) {
                st->host->step_fail(ctx, "`%s` exited %d: %s", cmd, res.status, res.err);
                return -1;
        }
        return res.status == 0;
}

int kadm_control_plane_exists(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        int admin = kadm_exists(st, ctx, KADM_ADMIN_CONF);
        /* An external etcd keeps its data on hosts of its own. */
        if (admin != 1 || kadm_etcd_external(st))
                return admin;
        return kadm_exists(st, ctx, KADM_ETCD_MEMBER_DIR);
}

int kadm_input_for(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kadm_input *in)
{
        char why[256];
        if (kadm_input_fill(st->host, st->host->config_root(st->self), st->host->step_host(ctx),
                            st->host->step_fact(ctx, "hostname"), in, why, sizeof(why)) < 0) {
                st->host->step_fail(ctx, "kubeadm configuration: %s", why);
                return -1;
        }
        int node_v1, any_v1;
        kadm_cgroup_v1(st, ctx, &node_v1, &any_v1);
        if (kadm_input_cgroups(in, node_v1, any_v1, kadm_worker_up(st, ctx)) < 0) {
                kadm_input_free(in);
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

static int kadm_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        struct kadm_state *st = calloc(1, sizeof(*st));
        if (!st) {
                host->set_error(self, "out of memory");
                return -1;
        }
        /* The etcd steps need the tunnelled HTTPS and refusals of ABI 1.2. */
        if (!PHAROS_HOST_HAS(host, step_refuse)) {
                host->set_error(self, "needs a pharos core with plugin ABI 1.2 or later");
                free(st);
                return -1;
        }
        st->host = host;
        st->self = self;
        pthread_mutex_init(&st->mu, NULL);
        const struct pharos_step *steps[] = {
                &kadm_step_status,          &kadm_step_encryption_key,
                &kadm_step_config,          &kadm_step_init,
                &kadm_step_cp_token,        &kadm_step_join_masters,
                &kadm_step_worker_token,    &kadm_step_join_workers,
                &kadm_step_labels,          &kadm_step_reconfigure,
                &kadm_step_kubelet_config,  &kadm_step_worker_up_join,
                &kadm_step_etcd_probe,      &kadm_step_etcd_check,
                &kadm_step_etcd_remove,     &kadm_step_etcd_reset,
                &kadm_step_reset,           &kadm_step_endpoint,
                &kadm_step_endpoint_info,   &kadm_step_worker_up_endpoint,
                &kadm_step_cgroups,         &kadm_step_cgroups_warning,
                &kadm_step_dns_replicas,    &kadm_step_etcd_verify,
                &kadm_step_upgrade_masters, &kadm_step_upgrade_workers,
                &kadm_step_api_proxy,       &kadm_step_node_local_dns,
        };
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                if (host->register_step(self, steps[i]) < 0) {
                        pthread_mutex_destroy(&st->mu);
                        free(st);
                        return -1;
                }
        }
        *state = st;
        return 0;
}

static void kadm_fini(void *state)
{
        struct kadm_state *st = state;
        if (!st)
                return;
        memset(st->enc_key, 0, sizeof(st->enc_key));
        memset(&st->join, 0, sizeof(st->join));
        free(st->status);
        free(st->cgroup_v1);
        yajl_tree_free(st->nodes);
        yajl_tree_free(st->upgrade_nodes);
        yajl_tree_free(st->upgrade_pods);
        kadm_etcd_free(st);
        pthread_mutex_destroy(&st->mu);
        free(st);
}

static const struct pharos_plugin_desc kubeadm_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_CONTROL_PLANE,
        .name = "kubeadm",
        .version = "1.0.0",
        .description = "Control plane with kubeadm: config, init, joins, node labels and taints",
        .init = kadm_init,
        .fini = kadm_fini,
};

PHAROS_PLUGIN_DECLARE(kubeadm, kubeadm_desc)
