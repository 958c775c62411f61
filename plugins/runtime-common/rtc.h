/*
 * Shared by the container runtime plugins (runtime-containerd, -docker,
 * -crio): compiled into each of them, never a plugin of its own.
 *
 * rtc_render.c is pure (unit-tested): text builders, registry names, the
 * systemd proxy drop-in, the pause image for a Kubernetes version.
 * rtc_host.c drives a host through the step services: file sync, pruning of
 * files pharos wrote earlier, the service state, script output lines.
 */
#ifndef PHAROS_RUNTIME_COMMON_H
#define PHAROS_RUNTIME_COMMON_H

#include <stddef.h>

#include <pharos/plugin.h>

/* Growable NUL-terminated text; ok drops to 0 after an allocation failure. */
struct rtc_buf {
        char *s;
        size_t len, cap;
        int ok;
};

void rtc_buf_init(struct rtc_buf *b);
void rtc_buf_free(struct rtc_buf *b);
void rtc_buf_printf(struct rtc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a JSON or TOML basic string (quotes not included). */
void rtc_buf_quoted(struct rtc_buf *b, const char *s);

/* An entry of container_runtime.insecure_registries, taken apart. */
struct rtc_registry {
        char scheme[8]; /* "http", "https" or "" when the entry gave none */
        char host[256]; /* host[:port], the name images use */
        int is_cidr;    /* a network (10.0.0.0/8): only Docker understands these */
};

/* Parses and checks one entry; <0 with why filled when it is not a registry name. */
int rtc_registry_parse(const char *spec, struct rtc_registry *out, char *why, size_t n);

/*
 * The systemd drop-in that gives a runtime's service the host's proxy
 * variables, or an empty text when none is set (the drop-in must then be
 * absent). Values are escaped for systemd (quotes, backslashes, '%').
 */
void rtc_render_proxy_dropin(struct rtc_buf *b, const char *http_proxy, const char *https_proxy,
                             const char *no_proxy);

/* The pause image kubeadm expects for Kubernetes version "1.MINOR.PATCH", under repo. */
void rtc_pause_image(const char *repo, const char *kube_version, char *out, size_t n);

/* Everything a runtime step needs from cluster.yml and the plugin. */
struct rtc {
        const struct pharos_host *H;
        struct pharos_plugin *self;
        const char *name;  /* runtime name in cluster.yml: "containerd" */
        const char *alias; /* another accepted name, or NULL */
};

/* 1 when the step's host runs this runtime (container_runtime), else 0. */
int rtc_host_runs(const struct rtc *rt, struct pharos_step_ctx *ctx);
/* The host's proxy drop-in (from its `environment`), rendered. */
void rtc_host_proxy_dropin(const struct rtc *rt, struct pharos_step_ctx *ctx, struct rtc_buf *b);
/* container_runtime.insecure_registries of cluster.yml: count and item i (NULL past the end). */
size_t rtc_insecure_count(const struct rtc *rt);
const char *rtc_insecure_at(const struct rtc *rt, size_t i);
/* Scalar at a dotted path of the whole cluster.yml ("kubernetes.version"), or NULL. */
const char *rtc_root_string(const struct rtc *rt, const char *dotted);

/* A file the step keeps in shape; content NULL means the file must not exist. */
struct rtc_file {
        const char *path;
        const char *content;
        unsigned mode;
};

/*
 * Compares the host's file with f: 1 when it differs (or must go), 0 when
 * it already matches, <0 on error. With apply, also puts it right.
 */
int rtc_file_sync(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_file *f,
                  int apply);

/* Runs an embedded script with MODE=check or apply; out gets its stdout. */
int rtc_script(const struct rtc *rt, struct pharos_step_ctx *ctx, const char *script,
               const struct pharos_env *env, size_t n_env, int apply, const char **out);

/*
 * Scripts report on lines "todo: WHY" (check mode) and "changed: WHAT"
 * (apply mode). Copies the first line with that prefix into buf (without
 * it) and returns how many there were.
 */
int rtc_report_lines(const char *out, const char *prefix, char *buf, size_t n);

/* One installation script of a runtime, with its environment. */
struct rtc_install_script {
        const char *script;
        const struct pharos_env *env;
        size_t n_env;
};

/*
 * Runs the scripts in order. Check mode: 1 with the step's reason at the
 * first one with work, else 0. Apply mode: 0, the step marked changed with
 * the first change reported. <0 when a script could not run.
 */
int rtc_install(const struct rtc *rt, struct pharos_step_ctx *ctx,
                const struct rtc_install_script *sc, size_t n, int apply);

/* The embedded service.sh and prune.sh of the plugin (each plugin embeds its own copies). */
struct rtc_scripts {
        const char *service;
        const char *prune;
};

/*
 * Service state: every unit in `units` (space separated) enabled and
 * running; the units in `restart` restarted (for a changed configuration);
 * with reload, systemd's units re-read first. Check mode returns 1 and sets
 * the step reason when something is off.
 */
int rtc_service(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
                const char *units, int apply, int reload, const char *restart);

/*
 * Files pharos wrote earlier under dir (found by `marker` on their first
 * line, one level of subdirectories deep as DIR/NAME/FILE) whose NAME is no
 * longer in keep (newline separated): 1 when there are any; apply removes them.
 */
int rtc_prune(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
              const char *dir, const char *file, const char *marker, const char *keep, int apply);

/* A file of a runtime's configuration and what a change to it needs. */
struct rtc_managed {
        struct rtc_file f;
        const char *restart; /* unit that must restart to see a change, or NULL */
        int reload;          /* a unit file or drop-in: systemd must re-read it */
};

/*
 * The configure step of a runtime: files in shape, units enabled and
 * running, and the .restart unit of every changed file restarted.
 * Check mode returns 1 with the step reason set when there is work; apply
 * mode records the change with step_changed. extra_changes counts changes
 * the caller made itself (pruned files).
 */
int rtc_configure(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
                  const struct rtc_managed *files, size_t n, const char *units, int apply,
                  int extra_changes);

/* The files docker-repo.sh writes (apt list and key, dnf repo). */
#define RTC_DOCKER_REPO_FILES                                                                      \
        "/etc/apt/sources.list.d/docker.list /etc/apt/keyrings/docker.gpg "                        \
        "/etc/yum.repos.d/docker-ce.repo"

/* What `pharos reset` takes off a host for a runtime (space-separated words). */
struct rtc_reset_spec {
        const char *units;    /* systemd units stopped and disabled */
        const char *packages; /* packages unheld and purged */
        const char *remove;   /* files and directories pharos or the runtime wrote */
};

/*
 * The reset-host step of a runtime with the plugin's embedded reset.sh:
 * check mode returns 1 with the step reason when there is work; apply mode
 * does it and records the change.
 */
int rtc_reset(const struct rtc *rt, struct pharos_step_ctx *ctx, const char *script,
              const struct rtc_reset_spec *spec, int apply);

#endif
