/*
 * A changed kubeadm configuration applied to a running control plane, one
 * master at a time: kubeadm.config keeps the configuration in effect as
 * KADM_PREVIOUS when it rewrites kubeadm.yaml on a master that is in the
 * cluster; this step compares the two and runs the kubeadm phases the
 * difference needs (scripts/reconfigure.sh), then drops KADM_PREVIOUS. An
 * interrupted run leaves it in place, so the next run applies it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"
#include "kubeadm_scripts.h"

static int reconf_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        if (!kadm_is_master(st, ctx))
                return 0;
        int has = kadm_exists(st, ctx, KADM_PREVIOUS);
        if (has > 0)
                st->host->step_reason(ctx, "kubeadm.yaml changed on a running control plane");
        return has;
}

/* A file's text as a malloc'd string, or NULL after failing the step. */
static char *read_text(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *path)
{
        const char *data = NULL;
        size_t len = 0;
        if (st->host->step_read_file(ctx, path, &data, &len) < 0)
                return NULL;
        char *text = strndup(data, len);
        if (!text)
                st->host->step_fail(ctx, "out of memory");
        return text;
}

static void describe(unsigned ch, int upload, int upload_kubelet, char *buf, size_t len)
{
        static const struct {
                unsigned bit;
                const char *what;
        } parts[] = {
                {KADM_CH_SANS, "API server certificate"},
                {KADM_CH_APISERVER, "API server"},
                {KADM_CH_CONTROLLER, "controller-manager"},
                {KADM_CH_SCHEDULER, "scheduler"},
        };
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
                if ((ch & parts[i].bit) && used < len)
                        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                                 parts[i].what);
        if (upload && used < len)
                used += (size_t)snprintf(buf + used, len - used, "%skubeadm-config",
                                         used ? ", " : "");
        if (upload_kubelet && used < len)
                snprintf(buf + used, len - used, "%skubelet-config", used ? ", " : "");
}

static int reconf_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char *old_text = read_text(st, ctx, KADM_PREVIOUS);
        char *new_text = old_text ? read_text(st, ctx, KADM_CONFIG) : NULL;
        if (!new_text) {
                free(old_text);
                return -1;
        }
        unsigned ch = kadm_config_changes(old_text, new_text);
        free(old_text);
        free(new_text);
        /* The stored ClusterConfiguration is the cluster's: the first master uploads it. */
        int first = kadm_host_index(st, ctx) == kadm_first_master(st);
        int upload = (ch & KADM_CH_CLUSTER) && first;
        int upload_kubelet = (ch & KADM_CH_KUBELET) && first;
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        const struct pharos_env env[] = {
                {"CONFIG", KADM_CONFIG},
                {"PREVIOUS", KADM_PREVIOUS},
                {"ADDRESS", in.advertise_address},
                {"APISERVER", ch & KADM_CH_APISERVER ? "1" : "0"},
                {"SANS", ch & KADM_CH_SANS ? "1" : "0"},
                {"CONTROLLER", ch & KADM_CH_CONTROLLER ? "1" : "0"},
                {"SCHEDULER", ch & KADM_CH_SCHEDULER ? "1" : "0"},
                {"UPLOAD", upload ? "1" : "0"},
                {"UPLOAD_KUBELET", upload_kubelet ? "1" : "0"},
        };
        int rc =
                st->host->step_script(ctx, script_reconfigure_sh, env, sizeof(env) / sizeof(env[0]),
                                      PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
        /* The API server now reads the current admission file (its name is the content's
         * checksum, only [0-9a-f]): the earlier ones go. */
        char prune[200];
        snprintf(prune, sizeof(prune),
                 "find " KADM_DIR " -maxdepth 1 -name 'admission-*.yaml' ! -name '%s' -delete",
                 in.admission_path ? strrchr(in.admission_path, '/') + 1 : "");
        if (rc == 0 && (ch & KADM_CH_APISERVER) &&
            st->host->step_exec(ctx, prune, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                rc = -1;
        kadm_input_free(&in);
        if (rc < 0)
                return -1;
        char what[200];
        describe(ch, upload, upload_kubelet, what, sizeof(what));
        if (what[0])
                st->host->step_changed(ctx, "applied the changed kubeadm configuration: %s", what);
        else
                st->host->step_changed(ctx, "kubeadm configuration changed where no running "
                                            "component reads it");
        return 0;
}

/* prefetch(): reconf_applies() only reads; what it asks the host is recorded. */
static void reconf_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)reconf_applies(ctx, state);
}

const struct pharos_step kadm_step_reconfigure = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.reconfigure",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.config", "kubeadm.init", NULL},
        .flags = PHAROS_STEP_SERIAL,
        .description = "apply a changed kubeadm configuration to a running control plane",
        .applies = reconf_applies,
        .prefetch = reconf_prefetch,
        .run = reconf_run,
};
