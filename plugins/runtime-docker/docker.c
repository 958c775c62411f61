/*
 * runtime-docker: Docker Engine from Docker's package repository with
 * cri-dockerd as the kubelet's CRI endpoint (unix:///var/run/cri-dockerd.sock):
 * daemon.json with the systemd cgroup driver and insecure registries, the
 * host's proxy settings as a systemd drop-in, cri-dockerd's socket and service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/plugin.h>

#include "docker_render.h"
#include "rtc.h"
#include "runtime-docker_scripts.h"

#define DKR_DEB_PINS    "docker-ce=5:28.5.1-1* docker-ce-cli=5:28.5.1-1*"
#define DKR_RPM_PINS    "docker-ce=28.5.1-* docker-ce-cli=28.5.1-*"
#define DKR_PIN_FILE    "/etc/apt/preferences.d/pharos-docker"
#define CRI_DOCKERD_VER "0.3.17"
#define DKR_UNITS       "docker.service cri-docker.socket cri-docker.service"

static struct rtc RT = {.name = "docker"};
static const struct rtc_scripts SC = {.service = script_service_sh, .prune = script_prune_sh};

static int install(struct pharos_step_ctx *ctx, int apply)
{
        const struct pharos_env pkg_env[] = {
                {"PIN_FILE", DKR_PIN_FILE}, {"DEB_PINS", DKR_DEB_PINS}, {"RPM_PINS", DKR_RPM_PINS}};
        const struct pharos_env cri_env[] = {{"VERSION", CRI_DOCKERD_VER}, {"BIN", DKR_CRI_BIN}};
        const struct rtc_install_script sc[] = {
                {script_docker_repo_sh, NULL, 0},
                {script_packages_sh, pkg_env, 3},
                {script_cri_dockerd_sh, cri_env, 2},
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
        const char **regs = calloc(n_reg + 1, sizeof(*regs));
        struct rtc_buf daemon, dropin, service, socket;
        rtc_buf_init(&daemon);
        rtc_buf_init(&dropin);
        rtc_buf_init(&service);
        rtc_buf_init(&socket);
        int rc = -1;
        if (!regs) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n_reg; i++) {
                struct rtc_registry reg;
                char why[300];
                regs[i] = rtc_insecure_at(&RT, i);
                if (rtc_registry_parse(regs[i] ? regs[i] : "", &reg, why, sizeof(why)) < 0) {
                        RT.H->step_fail(ctx, "container_runtime.insecure_registries: %s", why);
                        goto out;
                }
                /* Docker takes host[:port] or a network, never a scheme. */
                if (reg.scheme[0])
                        regs[i] += strlen(reg.scheme) + 3;
        }
        dkr_render_daemon_json(&daemon, regs, n_reg);
        rtc_host_proxy_dropin(&RT, ctx, &dropin);
        if (dkr_render_cri_service(&service, image) < 0) {
                RT.H->step_fail(ctx, "image_repository: '%s' cannot go into a unit file", image);
                goto out;
        }
        dkr_render_cri_socket(&socket);
        if (!daemon.ok || !dropin.ok || !service.ok || !socket.ok) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        const struct rtc_managed files[] = {
                {{DKR_DAEMON_JSON, daemon.s, 0644}, .restart = "docker.service"},
                {{DKR_DROPIN, dropin.len ? dropin.s : NULL, 0644},
                 .restart = "docker.service",
                 .reload = 1},
                {{DKR_CRI_SOCKET, socket.s, 0644}, .restart = "cri-docker.socket", .reload = 1},
                {{DKR_CRI_SERVICE, service.s, 0644}, .restart = "cri-docker.service", .reload = 1},
        };
        rc = rtc_configure(&RT, ctx, &SC, files, 4, DKR_UNITS, apply, 0);
out:
        free(regs);
        rtc_buf_free(&daemon);
        rtc_buf_free(&dropin);
        rtc_buf_free(&service);
        rtc_buf_free(&socket);
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

/* containerd.io came along as Docker's dependency; cri-dockerd is pharos' own install. */
static const struct rtc_reset_spec RESET = {
        .units = DKR_UNITS " containerd.service",
        .packages = "docker-ce docker-ce-cli containerd.io",
        .remove = "/etc/docker /etc/systemd/system/docker.service.d " DKR_CRI_SERVICE
                  " " DKR_CRI_SOCKET " " DKR_CRI_BIN " " DKR_PIN_FILE
                  " /var/lib/docker /var/lib/containerd " RTC_DOCKER_REPO_FILES,
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

static const char *const configure_after[] = {"runtime-docker.install", NULL};
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
         .id = "runtime-docker.install",
         .phase = "runtime",
         .description = "install Docker Engine (pinned, held) and cri-dockerd",
         .applies = install_applies,
         .run = install_run,
         .prefetch = install_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-docker.configure",
         .phase = "runtime",
         .after = configure_after,
         .description = "configure Docker and cri-dockerd for the kubelet and keep them running",
         .applies = configure_applies,
         .run = configure_run,
         .prefetch = configure_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-docker.reset",
         .phase = "reset-host",
         .after = reset_after,
         .description =
                 "stop and purge Docker and cri-dockerd, remove their configuration and repository",
         .applies = reset_applies,
         .run = reset_run,
         .prefetch = reset_prefetch},
};

static int docker_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
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
        .name = "runtime-docker",
        .version = "1.0.0",
        .description = "Docker Engine with cri-dockerd (CRI at " DKR_SOCKET ")",
        .init = docker_init,
};

PHAROS_PLUGIN_DECLARE(runtime_docker, desc)
