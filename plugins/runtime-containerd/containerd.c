/*
 * runtime-containerd: containerd (the default runtime) from Docker's
 * package repository, configured for the kubelet: the CRI plugin with
 * SystemdCgroup, kubeadm's sandbox image, insecure registries as certs.d
 * host configurations and the host's proxy settings as a systemd drop-in.
 * The kubelet reaches it at unix:///run/containerd/containerd.sock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/plugin.h>

#include "containerd_render.h"
#include "rtc.h"
#include "runtime-containerd_scripts.h"

/* containerd.io from download.docker.com; the same upstream version on every family. */
#define CTD_PINS     "containerd.io=2.4.2-*"
#define CTD_PIN_FILE "/etc/apt/preferences.d/pharos-containerd"
#define CTD_UNITS    "containerd.service"

static struct rtc RT = {.name = "containerd"};
static const struct rtc_scripts SC = {.service = script_service_sh, .prune = script_prune_sh};

/* Runs docker-repo.sh and packages.sh; check mode returns 1 with a reason when there is work. */
static int install(struct pharos_step_ctx *ctx, int apply)
{
        const struct pharos_env pkg_env[] = {
                {"PIN_FILE", CTD_PIN_FILE}, {"DEB_PINS", CTD_PINS}, {"RPM_PINS", CTD_PINS}};
        const struct rtc_install_script sc[] = {
                {script_docker_repo_sh, NULL, 0},
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

#define CAP_SYS_RESOURCE_BIT 24

/* Whether the host's capability bounding set lacks CAP_SYS_RESOURCE (a
 * container host): root there cannot lower an oom_score_adj either. */
static int oom_restricted(struct pharos_step_ctx *ctx)
{
        const char *capbnd = RT.H->step_fact(ctx, "cap.bounding");
        if (!capbnd || !*capbnd)
                return 0;
        unsigned long long set = strtoull(capbnd, NULL, 16);
        return !(set & (1ULL << CAP_SYS_RESOURCE_BIT));
}

/* Renders every file and keeps it (or removes stale ones) in shape. */
static int configure(struct pharos_step_ctx *ctx, int apply)
{
        char image[300];
        rtc_pause_image(rtc_root_string(&RT, "image_repository"),
                        rtc_root_string(&RT, "kubernetes.version"), image, sizeof(image));
        size_t n_reg = rtc_insecure_count(&RT);
        struct rtc_buf config, dropin, keep;
        rtc_buf_init(&config);
        rtc_buf_init(&dropin);
        rtc_buf_init(&keep);
        struct rtc_buf *hosts = calloc(n_reg + 1, sizeof(*hosts));
        char(*paths)[400] = calloc(n_reg + 1, sizeof(*paths));
        struct rtc_managed *files = calloc(n_reg + 2, sizeof(*files));
        int rc = -1;
        size_t n = 0;
        if (!hosts || !paths || !files) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        int restrict_oom = oom_restricted(ctx);
        if (restrict_oom && apply)
                RT.H->log(RT.self, PHAROS_LOG_WARN,
                          "%s lacks CAP_SYS_RESOURCE (a container?): containerd keeps "
                          "containers' oom_score_adj at or above its own "
                          "(restrict_oom_score_adj), as no process there may lower it",
                          RT.H->step_fact(ctx, "address"));
        ctd_render_config(&config, image, restrict_oom);
        rtc_host_proxy_dropin(&RT, ctx, &dropin);
        files[n++] = (struct rtc_managed){{CTD_CONFIG, config.s, 0644}, .restart = CTD_UNITS};
        files[n++] = (struct rtc_managed){{CTD_DROPIN, dropin.len ? dropin.s : NULL, 0644},
                                          .restart = CTD_UNITS,
                                          .reload = 1};
        for (size_t i = 0; i < n_reg; i++) {
                struct rtc_registry reg;
                char why[300];
                const char *spec = rtc_insecure_at(&RT, i);
                rtc_buf_init(&hosts[i]);
                if (rtc_registry_parse(spec ? spec : "", &reg, why, sizeof(why)) < 0) {
                        RT.H->step_fail(ctx, "container_runtime.insecure_registries: %s", why);
                        goto out;
                }
                if (reg.is_cidr) {
                        RT.H->log(RT.self, PHAROS_LOG_WARN,
                                  "insecure registry %s: containerd takes registry names, "
                                  "not networks; ignored",
                                  reg.host);
                        continue;
                }
                ctd_render_hosts(&hosts[i], &reg);
                rtc_buf_printf(&keep, "%s\n", reg.host);
                snprintf(paths[i], sizeof(paths[i]), CTD_CERTS_DIR "/%s/" CTD_HOSTS_FILE, reg.host);
                /* containerd reads certs.d on every pull: no restart needed. */
                files[n++] = (struct rtc_managed){{paths[i], hosts[i].s, 0644}, .restart = NULL};
        }
        if (!config.ok || !dropin.ok || !keep.ok) {
                RT.H->step_fail(ctx, "out of memory");
                goto out;
        }
        int pruned = rtc_prune(&RT, ctx, &SC, CTD_CERTS_DIR, CTD_HOSTS_FILE, CTD_HOSTS_MARKER,
                               keep.s ? keep.s : "", apply);
        if (pruned < 0)
                goto out;
        if (pruned && !apply) {
                rc = 1;
                goto out;
        }
        rc = rtc_configure(&RT, ctx, &SC, files, n, CTD_UNITS, apply, pruned);
out:
        for (size_t i = 0; hosts && i < n_reg; i++)
                rtc_buf_free(&hosts[i]);
        free(hosts);
        free(paths);
        free(files);
        rtc_buf_free(&config);
        rtc_buf_free(&dropin);
        rtc_buf_free(&keep);
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

/* Docker's repository is containerd.io's; the state under /var/lib goes too. */
static const struct rtc_reset_spec RESET = {
        .units = CTD_UNITS,
        .packages = "containerd.io",
        .remove = "/etc/containerd /etc/systemd/system/containerd.service.d " CTD_PIN_FILE
                  " /var/lib/containerd " RTC_DOCKER_REPO_FILES,
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

static const char *const configure_after[] = {"runtime-containerd.install", NULL};
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
         .id = "runtime-containerd.install",
         .phase = "runtime",
         .description = "install containerd.io from Docker's repository, pinned and held",
         .applies = install_applies,
         .run = install_run,
         .prefetch = install_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-containerd.configure",
         .phase = "runtime",
         .after = configure_after,
         .description = "configure containerd for the kubelet and keep it running",
         .applies = configure_applies,
         .run = configure_run,
         .prefetch = configure_prefetch},
        {.struct_size = sizeof(struct pharos_step),
         .id = "runtime-containerd.reset",
         .phase = "reset-host",
         .after = reset_after,
         .description = "stop and purge containerd, remove its configuration and repository",
         .applies = reset_applies,
         .run = reset_run,
         .prefetch = reset_prefetch},
};

static int containerd_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
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
        .name = "runtime-containerd",
        .version = "1.0.0",
        .description = "containerd (default runtime; CRI at " CTD_SOCKET ")",
        .init = containerd_init,
};

PHAROS_PLUGIN_DECLARE(runtime_containerd, desc)
