/* Host side of the runtime plugins: cluster.yml lookups, file sync, service state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc.h"

int rtc_host_runs(const struct rtc *rt, struct pharos_step_ctx *ctx)
{
        const struct pharos_host *H = rt->H;
        const char *v = H->config_string(H->config_get(H->step_host(ctx), "container_runtime"));
        /* The loader fills the default in; a missing value means an old core: containerd. */
        if (!v)
                v = "containerd";
        return strcmp(v, rt->name) == 0 || (rt->alias && strcmp(v, rt->alias) == 0);
}

/* The host's environment value of NAME, or of its lowercase spelling. */
static const char *host_env(const struct rtc *rt, struct pharos_step_ctx *ctx, const char *upper,
                            const char *lower)
{
        const struct pharos_host *H = rt->H;
        const struct pharos_config_node *env = H->config_get(H->step_host(ctx), "environment");
        const char *v = H->config_string(H->config_get(env, upper));
        return v ? v : H->config_string(H->config_get(env, lower));
}

void rtc_host_proxy_dropin(const struct rtc *rt, struct pharos_step_ctx *ctx, struct rtc_buf *b)
{
        rtc_render_proxy_dropin(b, host_env(rt, ctx, "HTTP_PROXY", "http_proxy"),
                                host_env(rt, ctx, "HTTPS_PROXY", "https_proxy"),
                                host_env(rt, ctx, "NO_PROXY", "no_proxy"));
}

static const struct pharos_config_node *insecure_list(const struct rtc *rt)
{
        const struct pharos_host *H = rt->H;
        const struct pharos_config_node *cr =
                H->config_get(H->config_root(rt->self), "container_runtime");
        return H->config_get(cr, "insecure_registries");
}

size_t rtc_insecure_count(const struct rtc *rt)
{
        return rt->H->config_len(insecure_list(rt));
}

const char *rtc_insecure_at(const struct rtc *rt, size_t i)
{
        return rt->H->config_string(rt->H->config_at(insecure_list(rt), i));
}

const char *rtc_root_string(const struct rtc *rt, const char *dotted)
{
        const struct pharos_host *H = rt->H;
        const struct pharos_config_node *n = H->config_root(rt->self);
        char key[128];
        const char *p = dotted;
        while (n && *p) {
                size_t len = strcspn(p, ".");
                if (len >= sizeof(key))
                        return NULL;
                memcpy(key, p, len);
                key[len] = '\0';
                n = H->config_get(n, key);
                p += len + (p[len] == '.');
        }
        return H->config_string(n);
}

/* Paths are built by the plugins from checked names; refuse anything a quote could break. */
static int safe_path(const char *p)
{
        return p[0] == '/' && !strchr(p, '\'') && !strstr(p, "..");
}

int rtc_file_sync(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_file *f,
                  int apply)
{
        const struct pharos_host *H = rt->H;
        if (!safe_path(f->path)) {
                H->step_fail(ctx, "refusing to manage the path %s", f->path);
                return -1;
        }
        char cmd[1200];
        snprintf(cmd, sizeof(cmd), "if [ -e '%s' ]; then cat -- '%s'; else exit 3; fi", f->path,
                 f->path);
        struct pharos_exec_result res;
        int rc = H->step_exec(ctx, cmd, PHAROS_EXEC_SUDO | PHAROS_EXEC_QUIET, &res);
        if (rc < 0)
                return -1;
        /* In prefetch() there is no answer yet: go on, so the calls after it are asked too. */
        if (rc == PHAROS_DEFERRED)
                return 0;
        if (res.status != 0 && res.status != 3) {
                H->step_fail(ctx, "cannot read %s: %s", f->path, res.err);
                return -1;
        }
        int exists = res.status == 0;
        int differs = f->content ? !exists || res.out_len != strlen(f->content) ||
                                           memcmp(res.out, f->content, res.out_len) != 0
                                 : exists;
        if (!differs || !apply)
                return differs;
        if (!f->content) {
                snprintf(cmd, sizeof(cmd), "rm -f -- '%s'", f->path);
                return H->step_exec(ctx, cmd, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0 ? -1
                                                                                              : 1;
        }
        /* The upload writes a temporary file next to the target: the directory must exist. */
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s", f->path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                snprintf(cmd, sizeof(cmd), "mkdir -p -- '%s'", dir);
                if (H->step_exec(ctx, cmd, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                        return -1;
        }
        if (H->step_upload(ctx, f->path, f->content, strlen(f->content), f->mode, "root:root") < 0)
                return -1;
        return 1;
}

int rtc_script(const struct rtc *rt, struct pharos_step_ctx *ctx, const char *script,
               const struct pharos_env *env, size_t n_env, int apply, const char **out)
{
        struct pharos_env all[24];
        if (n_env >= sizeof(all) / sizeof(all[0])) {
                rt->H->step_fail(ctx, "too many script variables");
                return -1;
        }
        all[0] = (struct pharos_env){"MODE", apply ? "apply" : "check"};
        if (n_env)
                memcpy(all + 1, env, n_env * sizeof(*env));
        struct pharos_exec_result res;
        if (rt->H->step_script(ctx, script, all, n_env + 1, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK,
                               &res) < 0)
                return -1;
        *out = res.out;
        return 0;
}

int rtc_report_lines(const char *out, const char *prefix, char *buf, size_t n)
{
        size_t plen = strlen(prefix);
        int count = 0;
        if (n)
                buf[0] = '\0';
        for (const char *line = out; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                if (len >= plen && !strncmp(line, prefix, plen)) {
                        if (count == 0 && n) {
                                const char *v = line + plen;
                                size_t vlen = len - plen;
                                while (vlen && *v == ' ') {
                                        v++;
                                        vlen--;
                                }
                                snprintf(buf, n, "%.*s", (int)vlen, v);
                        }
                        count++;
                }
                line = end ? end + 1 : NULL;
        }
        return count;
}

int rtc_service(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
                const char *units, int apply, int reload, const char *restart)
{
        const struct pharos_env env[] = {
                {"UNITS", units},
                {"RELOAD", reload ? "1" : "0"},
                {"RESTART", restart},
        };
        const char *out;
        if (rtc_script(rt, ctx, sc->service, env, 3, apply, &out) < 0)
                return -1;
        char first[256];
        if (!apply) {
                int todo = rtc_report_lines(out, "todo:", first, sizeof(first));
                if (todo)
                        rt->H->step_reason(ctx, "%s", first);
                return todo > 0;
        }
        return rtc_report_lines(out, "changed:", first, sizeof(first)) > 0;
}

int rtc_prune(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
              const char *dir, const char *file, const char *marker, const char *keep, int apply)
{
        const struct pharos_env env[] = {
                {"DIR", dir},
                {"FILE", file},
                {"MARKER", marker},
                {"KEEP", keep},
        };
        const char *out;
        if (rtc_script(rt, ctx, sc->prune, env, 4, apply, &out) < 0)
                return -1;
        char first[256];
        int n = rtc_report_lines(out, apply ? "changed:" : "todo:", first, sizeof(first));
        if (n && !apply)
                rt->H->step_reason(ctx, "%s", first);
        return n > 0;
}

int rtc_configure(const struct rtc *rt, struct pharos_step_ctx *ctx, const struct rtc_scripts *sc,
                  const struct rtc_managed *files, size_t n, const char *units, int apply,
                  int extra_changes)
{
        int written = 0, reload = 0;
        char restart[512] = "";
        const char *first = NULL;
        for (size_t i = 0; i < n; i++) {
                int d = rtc_file_sync(rt, ctx, &files[i].f, apply);
                if (d < 0)
                        return -1;
                if (!d)
                        continue;
                if (!apply) {
                        rt->H->step_reason(ctx, "%s %s", files[i].f.path,
                                           files[i].f.content ? "is not as configured"
                                                              : "is no longer wanted");
                        return 1;
                }
                written++;
                first = first ? first : files[i].f.path;
                reload |= files[i].reload;
                const char *u = files[i].restart;
                if (u && !strstr(restart, u) && strlen(restart) + strlen(u) + 2 < sizeof(restart))
                        snprintf(restart + strlen(restart), sizeof(restart) - strlen(restart),
                                 "%s%s", restart[0] ? " " : "", u);
        }
        int svc = rtc_service(rt, ctx, sc, units, apply, reload, restart);
        if (svc < 0 || !apply)
                return svc;
        if (written)
                rt->H->step_changed(ctx, "%s%s%s%s", first,
                                    written + extra_changes > 1 ? " and more" : "",
                                    restart[0] ? "; restarted " : "", restart);
        else if (extra_changes)
                rt->H->step_changed(ctx, "removed stale registry configuration");
        else if (svc)
                rt->H->step_changed(ctx, "%s enabled and running", units);
        return 0;
}

int rtc_reset(const struct rtc *rt, struct pharos_step_ctx *ctx, const char *script,
              const struct rtc_reset_spec *spec, int apply)
{
        const struct pharos_env env[] = {
                {"UNITS", spec->units}, {"PACKAGES", spec->packages}, {"REMOVE", spec->remove}};
        const char *out;
        if (rtc_script(rt, ctx, script, env, 3, apply, &out) < 0)
                return -1;
        char what[256];
        int n = rtc_report_lines(out, apply ? "changed:" : "todo:", what, sizeof(what));
        if (!n)
                return 0;
        if (!apply) {
                rt->H->step_reason(ctx, "%s", what);
                return 1;
        }
        rt->H->step_changed(ctx, "%s%s", what, n > 1 ? " and more" : "");
        return 0;
}

int rtc_install(const struct rtc *rt, struct pharos_step_ctx *ctx,
                const struct rtc_install_script *sc, size_t n, int apply)
{
        char what[256], first[256] = "";
        int changes = 0;
        for (size_t i = 0; i < n; i++) {
                const char *out;
                if (rtc_script(rt, ctx, sc[i].script, sc[i].env, sc[i].n_env, apply, &out) < 0)
                        return -1;
                int k = rtc_report_lines(out, apply ? "changed:" : "todo:", what, sizeof(what));
                if (k && !changes)
                        snprintf(first, sizeof(first), "%s", what);
                changes += k;
                if (k && !apply) {
                        rt->H->step_reason(ctx, "%s", first);
                        return 1;
                }
        }
        if (apply && changes)
                rt->H->step_changed(ctx, "%s%s", first, changes > 1 ? " and more" : "");
        return 0;
}
