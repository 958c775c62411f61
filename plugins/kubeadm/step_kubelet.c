/*
 * A changed kubelet configuration (cluster.yml's kubelet settings) given to
 * every node's running kubelet. kubeadm.reconfigure uploads it to the
 * kubelet-config ConfigMap on the first master; this step, after the joins,
 * has each node fetch it (scripts/kubelet-config.sh) wherever the checksum
 * recorded on the node differs from the configuration's. The checksum is
 * written last, so an interrupted run is finished by the next one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kadm.h"
#include "kubeadm_scripts.h"

/* FNV-1a of the node's KubeletConfiguration as rendered: a change detector only. */
static int kubelet_sum(struct kadm_state *st, struct pharos_step_ctx *ctx, char *out, size_t len)
{
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        struct kbuf b = {0};
        kadm_render_kubeadm(&in, NULL, &b);
        kadm_input_free(&in);
        if (b.oom) {
                kb_free(&b);
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        const char *doc = NULL;
        size_t n = kadm_config_document(b.p, "KubeletConfiguration", &doc);
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)doc[i];
                h *= 1099511628211ull;
        }
        kb_free(&b);
        snprintf(out, len, "%016llx", (unsigned long long)h);
        return 0;
}

static int kubelet_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char sum[32];
        if (kubelet_sum(st, ctx, sum, sizeof(sum)) < 0)
                return -1;
        struct pharos_exec_result res;
        if (st->host->step_exec(ctx, "cat " KADM_KUBELET_MARK " 2>/dev/null || true",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, &res) < 0)
                return -1;
        size_t len = strcspn(res.out, "\n");
        if (len == strlen(sum) && !memcmp(res.out, sum, len))
                return 0;
        st->host->step_reason(ctx, "the kubelet's configuration is not the one cluster.yml gives");
        return 1;
}

static int kubelet_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char sum[32];
        if (kubelet_sum(st, ctx, sum, sizeof(sum)) < 0)
                return -1;
        const struct pharos_env env[] = {{"MARK", KADM_KUBELET_MARK}, {"SUM", sum}};
        struct pharos_exec_result res;
        if (st->host->step_script(ctx, script_kubelet_config_sh, env, 2,
                                  PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, &res) < 0)
                return -1;
        if (strstr(res.out, "restarted the kubelet"))
                st->host->step_changed(ctx, "new kubelet configuration, kubelet restarted");
        else
                st->host->step_changed(ctx, "recorded the kubelet configuration's checksum");
        return 0;
}

/* prefetch(): kubelet_applies() only reads; what it asks the host is recorded. */
static void kubelet_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)kubelet_applies(ctx, state);
}

const struct pharos_step kadm_step_kubelet_config = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.kubelet-config",
        .phase = "labels",
        .description = "give the node's kubelet the configuration cluster.yml describes",
        .applies = kubelet_applies,
        .prefetch = kubelet_prefetch,
        .run = kubelet_run,
};
