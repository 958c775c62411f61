/*
 * The steps every OS family has (four for up, one for reset). Each host script runs twice the same
 * way: with PHAROS_MODE=check from applies() (reads only, prints what it
 * would change) and with PHAROS_MODE=apply from run(); both print one
 * "pharos-change: WHAT" line per change, so --plan and the run agree and a
 * host already in shape reports no change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_family.h"
#include "os_scripts.h"

#define CHANGE_PREFIX  "pharos-change: "
#define WARNING_PREFIX "pharos-warning: "
#define MAX_REPOS      16
#define MAX_ENV        (8 + 4 * MAX_REPOS)

/* Variables for one script run; names/values point into this struct or the config. */
struct script_env {
        struct pharos_env v[MAX_ENV];
        size_t n;
        char names[MAX_REPOS][4][32];
        char text[8192]; /* joined lines (environment, removals) */
        char pin[256];
        char count[24]; /* a size_t in decimal */
};

static void env_add(struct script_env *e, const char *name, const char *value)
{
        if (e->n < MAX_ENV)
                e->v[e->n++] = (struct pharos_env){name, value};
}

/*
 * A new set of variables (free() it): PHAROS_MODE first (set per run), the
 * package tool, then the host's proxy variables. NULL with the step failed.
 */
static struct script_env *env_new(struct os_family *f, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = f->host;
        struct script_env *e = calloc(1, sizeof(*e));
        if (!e) {
                H->step_fail(ctx, "out of memory");
                return NULL;
        }
        env_add(e, "PHAROS_MODE", "check");
        env_add(e, "PHAROS_PKG", f->pkg == OS_PKG_APT ? "apt" : "dnf");
        const struct pharos_config_node *env = H->config_get(H->step_host(ctx), "environment");
        for (size_t i = 0; i < H->config_len(env); i++) {
                const char *k = H->config_key_at(env, i);
                const char *v = H->config_string(H->config_at(env, i));
                if (k && v && os_is_proxy_var(k))
                        env_add(e, k, v);
        }
        return e;
}

/*
 * Runs scripts in order in check or apply mode, collecting their change
 * lines into changes. Returns 0, or <0 with the step's error set.
 */
static int run_scripts(struct os_family *f, struct pharos_step_ctx *ctx, const char *const *scripts,
                       size_t n, struct script_env *e, int apply, char *changes, size_t cn)
{
        struct pharos_exec_result res;
        e->v[0].value = apply ? "apply" : "check";
        changes[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (f->host->step_script(ctx, scripts[i], e->v, e->n,
                                         PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, &res) < 0)
                        return -1;
                os_collect_lines(res.out, CHANGE_PREFIX, changes, cn);
                /* The check run precedes every apply run (and is all --plan
                 * does), so what the host lacks is said once per run. */
                char warnings[1024] = "";
                os_collect_lines(res.out, WARNING_PREFIX, warnings, sizeof(warnings));
                if (!apply && warnings[0])
                        f->host->log(f->self, PHAROS_LOG_WARN, "%s: %s",
                                     f->host->step_fact(ctx, "address"), warnings);
        }
        return 0;
}

/* applies(): 1 with the reason when a check run reports changes. */
static int check(struct os_family *f, struct pharos_step_ctx *ctx, const char *const *scripts,
                 size_t n, struct script_env *e)
{
        char changes[1024];
        if (run_scripts(f, ctx, scripts, n, e, 0, changes, sizeof(changes)) < 0)
                return -1;
        if (!changes[0])
                return 0;
        f->host->step_reason(ctx, "%s", changes);
        return 1;
}

/* run(): applies and records what changed. */
static int apply(struct os_family *f, struct pharos_step_ctx *ctx, const char *const *scripts,
                 size_t n, struct script_env *e)
{
        char changes[1024];
        if (run_scripts(f, ctx, scripts, n, e, 1, changes, sizeof(changes)) < 0)
                return -1;
        if (changes[0])
                f->host->step_changed(ctx, "%s", changes);
        return 0;
}

/* 1 when the step's host is this family's: the other steps leave other hosts alone. */
static int claimed(struct os_family *f, struct pharos_step_ctx *ctx)
{
        return os_claims(f, f->host->step_fact(ctx, "os.id"),
                         f->host->step_fact(ctx, "os.id_like"));
}

/* ---------------- validate ---------------- */

static int validate_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct os_family *f = state;
        const struct pharos_host *H = f->host;
        const char *id = H->step_fact(ctx, "os.id");
        if (!claimed(f, ctx))
                return 0;
        char list[128];
        os_supported_list(f, list, sizeof(list));
        H->step_reason(ctx, "%s %s on %s (supported versions: %s)", id,
                       H->step_fact(ctx, "os.version_id"), H->step_fact(ctx, "arch"), list);
        return 1;
}

static int validate_run(struct pharos_step_ctx *ctx, void *state)
{
        struct os_family *f = state;
        const struct pharos_host *H = f->host;
        const char *id = H->step_fact(ctx, "os.id");
        const char *version = H->step_fact(ctx, "os.version_id");
        const char *arch = H->step_fact(ctx, "arch");
        char list[128];
        os_supported_list(f, list, sizeof(list));
        if (!os_version_supported(f, version)) {
                H->step_fail(ctx, "%s %s is not supported (%s supports versions %s)", id,
                             version ? version : "(no VERSION_ID)", f->name, list);
                return -1;
        }
        if (!os_arch_supported(arch)) {
                H->step_fail(ctx, "CPU architecture %s is not supported (x86_64 and aarch64 are)",
                             arch ? arch : "(unknown)");
                return -1;
        }
        return 0;
}

/* ---------------- prepare ---------------- */

/* The host's `environment` as /etc/environment lines into e->text. */
static int environment_lines(struct os_family *f, struct pharos_step_ctx *ctx, struct script_env *e)
{
        const struct pharos_host *H = f->host;
        const struct pharos_config_node *env = H->config_get(H->step_host(ctx), "environment");
        size_t used = 0;
        for (size_t i = 0; i < H->config_len(env); i++) {
                char line[2048], why[256];
                if (os_env_line(H->config_key_at(env, i), H->config_string(H->config_at(env, i)),
                                line, sizeof(line), why, sizeof(why)) < 0) {
                        H->step_fail(ctx, "%s", why);
                        return -1;
                }
                int w = snprintf(e->text + used, sizeof(e->text) - used, "%s%s", used ? "\n" : "",
                                 line);
                if (w < 0 || used + (size_t)w >= sizeof(e->text)) {
                        H->step_fail(ctx, "environment: too large for /etc/environment");
                        return -1;
                }
                used += (size_t)w;
        }
        env_add(e, "PHAROS_ENVIRONMENT", e->text);
        return 0;
}

static int prepare_do(struct pharos_step_ctx *ctx, struct os_family *f, int do_apply)
{
        struct script_env *e = env_new(f, ctx);
        if (!e)
                return -1;
        int rc = environment_lines(f, ctx, e);
        if (rc == 0) {
                const char *scripts[] = {f->essentials_script ? f->essentials_script
                                                              : script_apt_essentials_sh,
                                         script_node_settings_sh};
                rc = do_apply ? apply(f, ctx, scripts, 2, e) : check(f, ctx, scripts, 2, e);
        }
        free(e);
        return rc;
}

static int prepare_applies(struct pharos_step_ctx *ctx, void *state)
{
        if (!claimed(state, ctx))
                return 0;
        return prepare_do(ctx, state, 0);
}

static int prepare_run(struct pharos_step_ctx *ctx, void *state)
{
        return prepare_do(ctx, state, 1);
}

/* ---------------- kube-repo ---------------- */

static const char *kube_version(struct os_family *f)
{
        const struct pharos_host *H = f->host;
        return H->config_string(
                H->config_get(H->config_get(H->config_root(f->self), "kubernetes"), "version"));
}

static void repo_env(struct script_env *e, size_t i, const struct os_repo *r)
{
        static const char *const field[4] = {"FILE", "CONTENTS", "KEY_URL", "KEY_FILE"};
        const char *value[4] = {r->file, r->contents, r->key_url, r->key_file};
        for (int k = 0; k < 4; k++) {
                snprintf(e->names[i][k], sizeof(e->names[i][k]), "PHAROS_REPO_%zu_%s", i, field[k]);
                env_add(e, e->names[i][k], value[k]);
        }
}

/* The host's own repositories into repos (n_out filled), or 0 of them. */
static int host_repos(struct os_family *f, struct pharos_step_ctx *ctx, struct os_repo *repos,
                      size_t *n_out)
{
        const struct pharos_host *H = f->host;
        const struct pharos_config_node *list = H->config_get(H->step_host(ctx), "repositories");
        size_t n = H->config_len(list);
        *n_out = 0;
        if (n > MAX_REPOS) {
                H->step_fail(ctx, "repositories: at most %d per host", MAX_REPOS);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                const struct pharos_config_node *r = H->config_at(list, i);
                char why[256];
                if (os_custom_repo(f->pkg, H->config_string(H->config_get(r, "name")),
                                   H->config_string(H->config_get(r, "contents")),
                                   H->config_string(H->config_get(r, "key_url")), &repos[i], why,
                                   sizeof(why)) < 0) {
                        H->step_fail(ctx, "%s", why);
                        return -1;
                }
                *n_out = i + 1;
        }
        return 0;
}

static int repo_do(struct pharos_step_ctx *ctx, struct os_family *f, int do_apply)
{
        const char *version = kube_version(f);
        char minor[32];
        if (os_kube_minor(version, minor, sizeof(minor)) < 0) {
                f->host->step_fail(ctx, "kubernetes.version '%s' is not MAJOR.MINOR.PATCH",
                                   version ? version : "");
                return -1;
        }
        struct os_repo def, repos[MAX_REPOS];
        size_t n = 0;
        int rc = -1;
        struct script_env *e = env_new(f, ctx);
        if (!e)
                return -1;
        if (os_default_repo(f->pkg, minor, &def) < 0) {
                f->host->step_fail(ctx, "out of memory");
        } else if (host_repos(f, ctx, repos, &n) == 0) {
                if (n == 0) {
                        repo_env(e, 0, &def);
                } else {
                        for (size_t i = 0; i < n; i++)
                                repo_env(e, i, &repos[i]);
                        /* They replace the default one, also on a host that had it. */
                        snprintf(e->text, sizeof(e->text), "%s\n%s", def.file, def.key_file);
                }
                snprintf(e->count, sizeof(e->count), "%zu", n ? n : 1);
                env_add(e, "PHAROS_REPO_COUNT", e->count);
                env_add(e, "PHAROS_REPO_REMOVE", e->text);
                const char *scripts[] = {script_kube_repo_sh};
                rc = do_apply ? apply(f, ctx, scripts, 1, e) : check(f, ctx, scripts, 1, e);
        }
        for (size_t i = 0; i < n; i++)
                os_repo_free(&repos[i]);
        os_repo_free(&def);
        free(e);
        return rc;
}

static int repo_applies(struct pharos_step_ctx *ctx, void *state)
{
        if (!claimed(state, ctx))
                return 0;
        return repo_do(ctx, state, 0);
}

static int repo_run(struct pharos_step_ctx *ctx, void *state)
{
        return repo_do(ctx, state, 1);
}

/* ---------------- kube-packages ---------------- */

/* The kube packages at version (cluster.yml's when NULL); only those of `only`
 * ("kubeadm kubelet"...) when not NULL. */
static int packages_do(struct pharos_step_ctx *ctx, struct os_family *f, int do_apply,
                       const char *version, const char *only)
{
        const struct pharos_host *H = f->host;
        if (!version)
                version = kube_version(f);
        char minor[32];
        struct script_env *e = env_new(f, ctx);
        if (!e)
                return -1;
        if (os_kube_minor(version, minor, sizeof(minor)) < 0 ||
            os_apt_pin(version, e->pin, sizeof(e->pin)) < 0) {
                H->step_fail(ctx, "kubernetes.version '%s' is not MAJOR.MINOR.PATCH",
                             version ? version : "");
                free(e);
                return -1;
        }
        env_add(e, "PHAROS_KUBE_VERSION", version);
        env_add(e, "PHAROS_APT_PIN", e->pin);
        if (only)
                env_add(e, "PHAROS_KUBE_PACKAGES", only);
        /* The default repository excludes the kube packages (the hold); a host's own may too. */
        int custom = H->config_len(H->config_get(H->step_host(ctx), "repositories")) > 0;
        env_add(e, "PHAROS_DISABLE_EXCLUDES", custom ? "all" : "kubernetes");
        const char *scripts[] = {f->packages_script ? f->packages_script
                                                    : script_apt_kube_packages_sh};
        int rc = do_apply ? apply(f, ctx, scripts, 1, e) : check(f, ctx, scripts, 1, e);
        free(e);
        return rc;
}

static int packages_applies(struct pharos_step_ctx *ctx, void *state)
{
        if (!claimed(state, ctx))
                return 0;
        return packages_do(ctx, state, 0, NULL, NULL);
}

static int packages_run(struct pharos_step_ctx *ctx, void *state)
{
        return packages_do(ctx, state, 1, NULL, NULL);
}

/* register_kube_packages' installer. The names and the version reach a script and
 * an apt pin, so only the three packages and a plain MAJOR.MINOR.PATCH pass. */
static int install_packages(struct pharos_step_ctx *ctx, void *state, const char *const *packages,
                            const char *version)
{
        struct os_family *f = state;
        static const char *const known[] = {"kubelet", "kubeadm", "kubectl"};
        char only[64] = "";
        size_t used = 0;
        for (size_t i = 0; packages && packages[i]; i++) {
                size_t k = 0;
                while (k < 3 && strcmp(packages[i], known[k]) != 0)
                        k++;
                if (k == 3 || strstr(only, packages[i])) {
                        f->host->step_fail(ctx,
                                           "kube packages: '%s' is not kubelet, kubeadm or "
                                           "kubectl, or named twice",
                                           packages[i]);
                        return -1;
                }
                used += (size_t)snprintf(only + used, sizeof(only) - used, "%s%s", used ? " " : "",
                                         packages[i]);
        }
        if (!used || !version || !version[0] || strspn(version, "0123456789.") != strlen(version)) {
                f->host->step_fail(ctx,
                                   "kube packages: no package, or version '%s' is not "
                                   "MAJOR.MINOR.PATCH",
                                   version ? version : "");
                return -1;
        }
        return packages_do(ctx, f, 1, version, only);
}

/* ---------------- reset-host ---------------- */

/* Files the OS steps wrote for Kubernetes, one per line, into e->text. */
static int reset_files(struct os_family *f, struct pharos_step_ctx *ctx, struct script_env *e)
{
        struct os_repo def, repos[MAX_REPOS];
        size_t n = 0;
        const char *version = kube_version(f);
        char minor[32];
        /* The default repository's file names do not depend on the minor. */
        if (os_kube_minor(version, minor, sizeof(minor)) < 0)
                snprintf(minor, sizeof(minor), "1.0");
        if (os_default_repo(f->pkg, minor, &def) < 0) {
                f->host->step_fail(ctx, "out of memory");
                return -1;
        }
        if (host_repos(f, ctx, repos, &n) < 0) {
                os_repo_free(&def);
                return -1;
        }
        size_t off =
                (size_t)snprintf(e->text, sizeof(e->text),
                                 "/etc/modules-load.d/k8s.conf\n/etc/sysctl.d/k8s.conf\n%s",
                                 f->pkg == OS_PKG_APT ? "/etc/apt/preferences.d/kubernetes\n" : "");
        for (size_t i = 0; i <= n && off < sizeof(e->text); i++) {
                const struct os_repo *r = i < n ? &repos[i] : &def;
                off += (size_t)snprintf(e->text + off, sizeof(e->text) - off, "%s\n%s%s", r->file,
                                        r->key_file, r->key_file[0] ? "\n" : "");
        }
        for (size_t i = 0; i < n; i++)
                os_repo_free(&repos[i]);
        os_repo_free(&def);
        if (off >= sizeof(e->text)) {
                f->host->step_fail(ctx, "too many repository files to remove");
                return -1;
        }
        env_add(e, "PHAROS_REMOVE", e->text);
        return 0;
}

static int reset_do(struct pharos_step_ctx *ctx, struct os_family *f, int do_apply)
{
        struct script_env *e = env_new(f, ctx);
        if (!e)
                return -1;
        int rc = reset_files(f, ctx, e);
        if (rc == 0) {
                const char *scripts[] = {script_os_reset_sh};
                rc = do_apply ? apply(f, ctx, scripts, 1, e) : check(f, ctx, scripts, 1, e);
        }
        free(e);
        return rc;
}

static int reset_applies(struct pharos_step_ctx *ctx, void *state)
{
        if (!claimed(state, ctx))
                return 0;
        return reset_do(ctx, state, 0);
}

static int reset_run(struct pharos_step_ctx *ctx, void *state)
{
        return reset_do(ctx, state, 1);
}

/* The packages go once the control plane and the runtime are gone. */
static const char *const reset_after[] = {"?kubeadm.reset", "?runtime-containerd.reset",
                                          "?runtime-docker.reset", "?runtime-crio.reset", NULL};

/* ---------------- registration ---------------- */

/* prefetch(): the applies() above only read, and ask every script they need
 * whatever the answers, so calling them there records all of it. */
static void prepare_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)prepare_applies(ctx, state);
}

static void repo_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)repo_applies(ctx, state);
}

static void packages_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)packages_applies(ctx, state);
}

static void reset_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)reset_applies(ctx, state);
}

/* One step's own fields; the rest of struct pharos_step is the same for all. */
struct step_def {
        const char *id;
        const char *phase;
        const char *const *after;
        const char *description;
        int (*applies)(struct pharos_step_ctx *ctx, void *state);
        int (*run)(struct pharos_step_ctx *ctx, void *state);
        void (*prefetch)(struct pharos_step_ctx *ctx, void *state);
};

int os_family_init(struct os_family *fam, const struct pharos_host *host,
                   struct pharos_plugin *self, void **state)
{
        fam->host = host;
        fam->self = self;
        const struct step_def defs[] = {
                {fam->validate_id, "validate", NULL,
                 "check that the OS version and CPU are supported", validate_applies, validate_run,
                 NULL},
                {fam->prepare_id, "prepare-host", NULL,
                 "essential packages, kernel modules, sysctls, swap off, /etc/environment",
                 prepare_applies, prepare_run, prepare_prefetch},
                {fam->repo_id, "kube-packages", NULL,
                 "the Kubernetes package repository and its signing key", repo_applies, repo_run,
                 repo_prefetch},
                {fam->packages_id, "kube-packages", fam->packages_after,
                 "kubelet, kubeadm and kubectl at the configured version, held", packages_applies,
                 packages_run, packages_prefetch},
                {fam->reset_id, "reset-host", reset_after,
                 "remove the kube packages, their repositories and the kernel settings",
                 reset_applies, reset_run, reset_prefetch},
        };
        for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
                const struct pharos_step step = {.struct_size = sizeof(struct pharos_step),
                                                 .id = defs[i].id,
                                                 .phase = defs[i].phase,
                                                 .after = defs[i].after,
                                                 .description = defs[i].description,
                                                 .applies = defs[i].applies,
                                                 .run = defs[i].run,
                                                 .prefetch = defs[i].prefetch};
                if (host->register_step(self, &step) < 0)
                        return -1;
        }
        if (PHAROS_HOST_HAS(host, register_kube_packages) &&
            host->register_kube_packages(self, install_packages) < 0)
                return -1;
        *state = fam;
        return 0;
}
