/*
 * runtime-crio: CRI-O from its package repository for the cluster's
 * Kubernetes minor, with the systemd cgroup manager, kubeadm's pause image,
 * insecure registries in containers-registries.conf.d and the host's proxy
 * settings as a systemd drop-in. The kubelet reaches it at
 * unix:///var/run/crio/crio.sock. container_runtime: crio (or cri-o).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/plugin.h>

#include "crio_render.h"
#include "rtc.h"
#include "runtime-crio_scripts.h"

#define CRIO_PIN_FILE "/etc/apt/preferences.d/pharos-crio"
#define CRIO_UNITS    "crio.service"

static struct rtc RT = {.name = "crio", .alias = "cri-o"};
static const struct rtc_scripts SC = {.service = script_service_sh, .prune = script_prune_sh};

static int install(struct pharos_step_ctx *ctx, int apply)
{
        char minor[32], pins[64];
        if (crio_minor(rtc_root_string(&RT, "kubernetes.version"), minor, sizeof(minor)) < 0) {
                RT.H->step_fail(ctx, "kubernetes.version is not a version");
                return -1;
        }
        /* The repository carries one minor; the pin keeps apt from leaving it. */
        snprintf(pins, sizeof(pins), "cri-o=%s.*", minor + 1);
        const struct pharos_env repo_env[] = {{"MINOR", minor}};
        const struct pharos_env pkg_env[] = {
                {"PIN_FILE", CRIO_PIN_FILE}, {"DEB_PINS", pins}, {"RPM_PINS", pins}};
        const struct rtc_install_script sc[] = {
                {script_crio_repo_sh, repo_env, 1},
                {script_packages_sh, pkg_env, 3},
        };
        return rtc_install(&RT, ctx, sc, sizeof(sc) / sizeof(sc[0]), apply);
}

static int install_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!rtc_host_runs(&RT, ctx))
                return 0;
        return install(ctx, 0);
}

static int install_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        return install(ctx, 1);
}

static int configure(struct pharos_step_ctx *ctx, int apply)
{
        char image[300];
        rtc_pause_image(rtc_root_string(&RT, "image_repository"),
                        rtc_root_string(&RT, "kubernetes.version"), image, sizeof(image));
        size_t n_reg = rtc_insecure_count(&RT);
        struct rtc_registry *regs = calloc(n_reg + 1, sizeof(*regs));
        struct rtc_buf conf, registries, dropin;
        rtc_buf_init(&conf);
        rtc_buf_init(&registries);
        rtc_buf_init(&dropin);
        int rc = -1;
        if (!regs) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n_reg; i++) {
                char why[300];
                const char *spec = rtc_insecure_at(&RT, i);
                if (rtc_registry_parse(spec ? spec : "", &regs[i], why, sizeof(why)) < 0) {
                        RT.H->step_fail(ctx, "container_runtime.insecure_registries: %s", why);
                        goto out;
                }
                if (regs[i].is_cidr)
                        RT.H->log(RT.self, PHAROS_LOG_WARN,
                                  "insecure registry %s: CRI-O takes registry names, "
                                  "not networks; ignored",
                                  regs[i].host);
        }
        crio_render_conf(&conf, image);
        crio_render_registries(&registries, regs, n_reg);
        rtc_host_proxy_dropin(&RT, ctx, &dropin);
        if (!conf.ok || !registries.ok || !dropin.ok) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        const struct rtc_managed files[] = {
                {{CRIO_CONF, conf.s, 0644}, .restart = CRIO_UNITS},
                {{CRIO_REGISTRIES, registries.len ? registries.s : NULL, 0644},
                 .restart = CRIO_UNITS},
                {{CRIO_DROPIN, dropin.len ? dropin.s : NULL, 0644},
                 .restart = CRIO_UNITS,
                 .reload = 1},
        };
        rc = rtc_configure(&RT, ctx, &SC, files, 3, CRIO_UNITS, apply, 0);
out:
        free(regs);
        rtc_buf_free(&conf);
        rtc_buf_free(&registries);
        rtc_buf_free(&dropin);
        return rc;
}

static int configure_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!rtc_host_runs(&RT, ctx))
                return 0;
        return configure(ctx, 0);
}

static int configure_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        return configure(ctx, 1) < 0 ? -1 : 0;
}

static const struct rtc_reset_spec RESET = {
        .units = CRIO_UNITS,
        .packages = "cri-o",
        .remove = CRIO_CONF " " CRIO_REGISTRIES " /etc/systemd/system/crio.service.d " CRIO_PIN_FILE
                            " /var/lib/containers /etc/apt/sources.list.d/cri-o.list"
                            " /etc/apt/keyrings/cri-o-apt-keyring.gpg /etc/yum.repos.d/cri-o.repo",
};

static int reset_applies(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        if (!rtc_host_runs(&RT, ctx))
                return 0;
        return rtc_reset(&RT, ctx, script_reset_sh, &RESET, 0);
}

static int reset_run(struct pharos_step_ctx *ctx, void *state)
{
        (void)state;
        return rtc_reset(&RT, ctx, script_reset_sh, &RESET, 1);
}

static const char *const configure_after[] = {"runtime-crio.install", NULL};
static const char *const reset_after[] = {"?kubeadm.reset", NULL};

/* prefetch(): these applies() only read, and the rtc_* helpers ask every
 * file and script whatever the answers, so calling them records all of it. */
static void install_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)install_applies(ctx, state);
}

static void configure_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)configure_applies(ctx, state);
}

static void reset_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)reset_applies(ctx, state);
}

static const struct pharos_step steps[] = {
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-crio.install",
         .phase = "runtime",
         .description = "install CRI-O for the Kubernetes minor, pinned and held",
         .applies = install_applies,
         .run = install_run,
         .prefetch = install_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-crio.configure",
         .phase = "runtime",
         .after = configure_after,
         .description = "configure CRI-O for the kubelet and keep it running",
         .applies = configure_applies,
         .run = configure_run,
         .prefetch = configure_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-crio.reset",
         .phase = "reset-host",
         .after = reset_after,
         .description = "stop and purge CRI-O, remove its configuration and repository",
         .applies = reset_applies,
         .run = reset_run,
         .prefetch = reset_prefetch},
};

static int crio_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        (void)state;
        RT.H = host;
        RT.self = self;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (host->register_step(self, &steps[i]) < 0)
                        return -1;
        return 0;
}

static const struct pharos_plugin_desc desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_RUNTIME,
        .name = "runtime-crio",
        .version = "1.0.0",
        .description = "CRI-O (CRI at " CRIO_SOCKET ")",
        .init = crio_init,
};

PHAROS_PLUGIN_DECLARE(runtime_crio, desc)
