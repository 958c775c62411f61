/*
 * cgroup v1 hosts. The kubelet refuses to start on one from Kubernetes 1.35 on
 * unless its configuration sets failCgroupV1: false, and kubeadm's preflight
 * SystemVerification fails there for such a kubelet whatever it is told
 * (k8s.io/system-validators' CgroupsValidator). kubeadm.cgroups records which
 * hosts have cgroup v1 (the core's "cgroup.fs" fact) in the validate phase,
 * which sees every host; kubeadm.cgroups-warning then says once per run what
 * pharos does about them (kadm_input_cgroups: the kubelet configuration and
 * the skipped check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

static int record(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const char *fs = st->host->step_fact(ctx, "cgroup.fs");
        long idx = kadm_host_index(st, ctx);
        pthread_mutex_lock(&st->mu);
        size_t n = st->host->config_len(kadm_hosts(st));
        if (!st->cgroup_v1) {
                st->cgroup_v1 = calloc(n ? n : 1, 1);
                st->n_cgroup = st->cgroup_v1 ? n : 0;
        }
        int ok = st->cgroup_v1 != NULL;
        /* An unknown type (stat failed) is not taken for v1: the kubelet would say. */
        if (ok && idx >= 0 && (size_t)idx < st->n_cgroup)
                st->cgroup_v1[idx] = fs && *fs && strcmp(fs, "cgroup2fs") != 0;
        pthread_mutex_unlock(&st->mu);
        if (!ok) {
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        return 0;
}

const struct pharos_step kadm_step_cgroups = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.cgroups",
        .phase = "validate",
        .description = "read which hosts have cgroup v1",
        .applies = record,
        .run = record,
};

void kadm_cgroup_v1(struct kadm_state *st, struct pharos_step_ctx *ctx, int *node, int *any)
{
        long idx = kadm_host_index(st, ctx);
        pthread_mutex_lock(&st->mu);
        *node = idx >= 0 && (size_t)idx < st->n_cgroup && st->cgroup_v1[idx];
        *any = 0;
        for (size_t i = 0; i < st->n_cgroup; i++)
                *any |= st->cgroup_v1[i];
        pthread_mutex_unlock(&st->mu);
}

/* The first host to get here names them all (the validate phase recorded every host). */
static int warn(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        const struct pharos_host *h = st->host;
        const struct pharos_config_node *hosts = kadm_hosts(st);
        const char *version = h->config_string(
                h->config_get(h->config_get(h->config_root(st->self), "kubernetes"), "version"));
        struct kbuf names = {0};
        pthread_mutex_lock(&st->mu);
        int first = !st->cgroup_warned;
        st->cgroup_warned = 1;
        for (size_t i = 0; first && i < st->n_cgroup; i++)
                if (st->cgroup_v1[i])
                        kb_printf(
                                &names, "%s%s", names.len ? ", " : "",
                                h->config_string(h->config_get(h->config_at(hosts, i), "address")));
        pthread_mutex_unlock(&st->mu);
        if (names.oom) {
                kb_free(&names);
                h->step_fail(ctx, "out of memory");
                return -1;
        }
        if (!names.len)
                return 0;
        if (version && kadm_kubelet_fails_cgroup_v1(version))
                h->log(st->self, PHAROS_LOG_WARN,
                       "cgroup v1 on %s: deprecated, and the kubelet of Kubernetes %s "
                       "refuses it by default. pharos %s and has kubeadm skip its "
                       "SystemVerification preflight check there (that check also covers "
                       "the kernel and OS). Move these hosts to cgroup v2 "
                       "(systemd.unified_cgroup_hierarchy=1) before the kubelet drops cgroup v1.",
                       names.p, version,
                       kadm_worker_up(st, ctx)
                               ? "starts the kubelet with --fail-cgroupv1=false"
                               : "sets failCgroupV1: false in the cluster's kubelet configuration");
        else
                h->log(st->self, PHAROS_LOG_WARN,
                       "cgroup v1 on %s: deprecated; the kubelet refuses it by default from "
                       "Kubernetes 1.35 on (pharos then allows it in the kubelet "
                       "configuration). Move these hosts to cgroup v2.",
                       names.p);
        kb_free(&names);
        return 0;
}

const struct pharos_step kadm_step_cgroups_warning = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.cgroups-warning",
        .phase = "facts",
        .description = "say once which hosts have cgroup v1 and what pharos does about it",
        .applies = warn,
        .run = warn,
};
