#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/node_api.h"
#include "kube/stack.h"
#include "kube/yaml_json.h"
#include "run/kube_access.h"
#include "run/retry.h"
#include "run/step_ctx.h"
#include "util/log.h"

void step_ctx_release(struct pharos_step_ctx *ctx)
{
        tp_result_free(&ctx->res);
        free(ctx->file);
        ctx->file = NULL;
        free(ctx->response);
        ctx->response = NULL;
}

const char *step_svc_fact(struct pharos_step_ctx *ctx, const char *name)
{
        struct run_host *h = ctx->host;
        if (!strcmp(name, "address"))
                return h->cfg->address;
        if (!strcmp(name, "role"))
                return h->cfg->role;
        if (!strcmp(name, "user"))
                return h->cfg->user;
        if (!strcmp(name, "index"))
                return h->index_text;
        for (int f = 0; f < FACT_COUNT; f++)
                if (!strcmp(name, run_fact_name((enum run_fact)f)))
                        return h->facts[f];
        if (!strcmp(name, "sequence"))
                return ctx->run->sequence;
        if (!strcmp(name, "prune"))
                return ctx->run->opts.prune ? "1" : NULL;
        if (!strcmp(name, "selected"))
                return ctx->run->selection;
        for (size_t i = 0; i < ctx->run->n_params; i++)
                if (!strcmp(name, ctx->run->params[i].name))
                        return ctx->run->params[i].value;
        return NULL;
}

const struct pharos_config_node *step_svc_host(struct pharos_step_ctx *ctx)
{
        const struct pharos_config_node *root =
                ctx->run->cfg->doc ? ctx->run->cfg->doc->tree : NULL;
        return cfg_api_at(cfg_api_get(root, "hosts"), ctx->host->index);
}

static void fail_v(struct pharos_step_ctx *ctx, const char *fmt, va_list ap)
{
        vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
}

void step_svc_fail(struct pharos_step_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fail_v(ctx, fmt, ap);
        va_end(ap);
}

void step_svc_refuse(struct pharos_step_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fail_v(ctx, fmt, ap);
        va_end(ap);
        ctx->refused = 1;
}

void step_svc_changed(struct pharos_step_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->change, sizeof(ctx->change), fmt, ap);
        va_end(ap);
        ctx->changed = 1;
}

void step_svc_reason(struct pharos_step_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, ap);
        va_end(ap);
}

/* The last few lines of a command's stderr, for error messages (its final
 * newline dropped, so that what follows stays on the same line). */
static const char *tail(const char *s, size_t len, int *shown)
{
        if (!s)
                return "";
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
                len--;
        size_t start = len > 400 ? len - 400 : 0;
        *shown = (int)(len - start);
        return s + start;
}

/* Common end of exec and script: result out, CHECK turned into a failure. */
static int finish(struct pharos_step_ctx *ctx, int rc, const char *what, uint32_t flags,
                  struct pharos_error *err, struct pharos_exec_result *res)
{
        ctx->transient =
                rc == PERR_TRANSIENT || (rc == 0 && ctx->res.status == RETRY_EXIT_TEMPFAIL);
        if (rc < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "%s", err->msg);
                return rc;
        }
        if (res) {
                res->status = ctx->res.status;
                res->out = ctx->res.out ? ctx->res.out : "";
                res->out_len = ctx->res.out_len;
                res->err = ctx->res.err ? ctx->res.err : "";
                res->err_len = ctx->res.err_len;
        }
        if ((flags & PHAROS_EXEC_CHECK) && ctx->res.status != 0) {
                int shown = 0;
                const char *t = tail(ctx->res.err, ctx->res.err_len, &shown);
                snprintf(ctx->error, sizeof(ctx->error), "%s exited %d: %.*s",
                         flags & PHAROS_EXEC_SECRET ? "a command (hidden: it holds a secret)"
                                                    : what,
                         ctx->res.status, shown, t);
                return PERR_FAIL;
        }
        return 0;
}

int step_svc_exec(struct pharos_step_ctx *ctx, const char *cmd, uint32_t flags,
                  struct pharos_exec_result *res)
{
        struct pharos_error err = {0};
        struct tp_cmd c = {.cmd = cmd,
                           .sudo = (flags & PHAROS_EXEC_SUDO) != 0,
                           .capture = 1,
                           .quiet = (flags & PHAROS_EXEC_QUIET) != 0,
                           .secret = (flags & PHAROS_EXEC_SECRET) != 0};
        if (ctx->prefetching)
                return step_pf_record(ctx, TP_BATCH_EXEC, cmd, NULL, 0, flags, res);
        tp_result_free(&ctx->res);
        int rc = c.sudo ? step_pf_answer(ctx, TP_BATCH_EXEC, cmd, NULL, 0) : 0;
        if (!(flags & PHAROS_EXEC_SECRET))
                log_msg(PHAROS_LOG_DEBUG, ctx->host->cfg->address, "$ %s%s%s",
                        c.sudo ? "sudo " : "", cmd, rc > 0 ? "   (prefetched)" : "");
        if (rc == 0)
                rc = tp_exec(ctx->host->tp, &c, &ctx->res, &err);
        else if (rc < 0)
                return rc;
        else
                rc = 0;
        char what[300];
        snprintf(what, sizeof(what), "`%.250s`", cmd);
        return finish(ctx, rc, what, flags, &err, res);
}

int step_svc_script(struct pharos_step_ctx *ctx, const char *script, const struct pharos_env *env,
                    size_t n_env, uint32_t flags, struct pharos_exec_result *res)
{
        struct pharos_error err = {0};
        if (ctx->prefetching)
                return step_pf_record(ctx, TP_BATCH_SCRIPT, script, env, n_env, flags, res);
        int sudo = (flags & PHAROS_EXEC_SUDO) != 0;
        int hit = sudo ? step_pf_answer(ctx, TP_BATCH_SCRIPT, script, env, n_env) : 0;
        if (hit < 0)
                return hit;
        log_msg(PHAROS_LOG_DEBUG, ctx->host->cfg->address, "$ %ssh -s <<script of step %s>>%s",
                sudo ? "sudo " : "", ctx->rs->step.id, hit ? "   (prefetched)" : "");
        char what[200];
        snprintf(what, sizeof(what), "the script of step %s", ctx->rs->step.id);
        if (hit)
                return finish(ctx, 0, what, flags, &err, res);
        struct tp_cmd io = {.capture = 1,
                            .quiet = (flags & PHAROS_EXEC_QUIET) != 0,
                            .secret = (flags & PHAROS_EXEC_SECRET) != 0};
        struct tp_env *tenv = calloc(n_env ? n_env : 1, sizeof(*tenv));
        if (!tenv) {
                snprintf(ctx->error, sizeof(ctx->error), "out of memory");
                return PERR_NOMEM;
        }
        for (size_t i = 0; i < n_env; i++)
                tenv[i] = (struct tp_env){env[i].name, env[i].value};
        tp_result_free(&ctx->res);
        int rc = tp_script(ctx->host->tp, script, tenv, n_env, sudo, &io, &ctx->res, &err);
        free(tenv);
        return finish(ctx, rc, what, flags, &err, res);
}

int step_svc_upload(struct pharos_step_ctx *ctx, const char *path, const void *data, size_t len,
                    uint32_t mode, const char *owner)
{
        struct pharos_error err = {0};
        if (ctx->prefetching)
                return step_pf_refuse(ctx, "step_upload");
        log_msg(PHAROS_LOG_DEBUG, ctx->host->cfg->address, "upload %s (%zu bytes, mode %o)", path,
                len, mode);
        int rc = tp_upload(ctx->host->tp, path, data, len, (mode_t)mode, owner, &err);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0)
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
        return rc;
}

int step_svc_read_file(struct pharos_step_ctx *ctx, const char *path, const char **data,
                       size_t *len)
{
        struct pharos_error err = {0};
        free(ctx->file);
        ctx->file = NULL;
        if (ctx->prefetching) {
                *data = "";
                *len = 0;
                return step_pf_record(ctx, TP_BATCH_READ, path, NULL, 0, PHAROS_EXEC_SUDO, NULL);
        }
        int hit = step_pf_answer(ctx, TP_BATCH_READ, path, NULL, 0);
        if (hit < 0)
                return hit;
        log_msg(PHAROS_LOG_DEBUG, ctx->host->cfg->address, "read %s%s", path,
                hit ? "   (prefetched)" : "");
        if (hit) {
                /* What tp_read_file makes of the same command's result. */
                ctx->transient = 0;
                if (ctx->res.status != 0) {
                        snprintf(ctx->error, sizeof(ctx->error), "%s: cannot read %s: %.*s",
                                 ctx->host->cfg->address, path,
                                 (int)strcspn(ctx->res.err_len ? ctx->res.err : "no error output",
                                              "\n"),
                                 ctx->res.err_len ? ctx->res.err : "no error output");
                        return PERR_FAIL;
                }
                ctx->file = ctx->res.out;
                *len = ctx->res.out_len;
                ctx->res.out = NULL;
                *data = ctx->file;
                return 0;
        }
        int rc = tp_read_file(ctx->host->tp, path, &ctx->file, len, &err);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
                return rc;
        }
        *data = ctx->file;
        return 0;
}

/* The run's API client, or the step's error. Holds r->kube_mu on success. */
static struct kube_client *kube_lock(struct pharos_step_ctx *ctx)
{
        struct run *r = ctx->run;
        struct kube_client *kc = NULL;
        struct pharos_error err = {0};
        if (ctx->prefetching) {
                step_pf_refuse(ctx, "the Kubernetes API");
                return NULL;
        }
        pthread_mutex_lock(&r->kube_mu);
        int rc = run_kube(r, &kc, &err);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0) {
                pthread_mutex_unlock(&r->kube_mu);
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
                return NULL;
        }
        return kc;
}

static void note_stack(struct pharos_step_ctx *ctx, const char *stack, const struct stack_stats *st)
{
        if (!st->created && !st->updated && !st->pruned)
                return;
        step_svc_changed(ctx, "stack %s: %u created, %u updated, %u pruned", stack, st->created,
                         st->updated, st->pruned);
}

/* A stack operation on yaml's documents under the API lock: apply (st set) or
 * compare (st NULL). The step's error and transient flag follow its result. */
static int stack_call(struct pharos_step_ctx *ctx, const char *stack, const char *yaml, size_t len,
                      struct stack_stats *st)
{
        struct json_docs docs;
        struct pharos_error err = {0};
        char source[160];
        snprintf(source, sizeof(source), "stack %s", stack);
        if (yaml_to_json(yaml, len, source, &docs, &err) < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
                ctx->transient = 0;
                return PERR_FAIL;
        }
        struct kube_client *kc = kube_lock(ctx);
        int rc = PERR_FAIL;
        if (kc) {
                rc = st ? stack_apply(kc, stack, &docs, st, &err)
                        : stack_differs(kc, stack, &docs, &err);
                pthread_mutex_unlock(&ctx->run->kube_mu);
                ctx->transient = rc == PERR_TRANSIENT;
                if (rc < 0)
                        snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
        }
        json_docs_free(&docs);
        return rc;
}

int step_svc_kube_apply(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                        size_t len)
{
        struct stack_stats st;
        int rc = stack_call(ctx, stack, yaml, len, &st);
        if (rc >= 0)
                note_stack(ctx, stack, &st);
        return rc;
}

int step_svc_kube_stack_differs(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                                size_t len)
{
        return stack_call(ctx, stack, yaml, len, NULL);
}

int step_svc_kube_delete(struct pharos_step_ctx *ctx, const char *stack)
{
        struct kube_client *kc = kube_lock(ctx);
        if (!kc)
                return PERR_FAIL;
        struct stack_stats st;
        struct pharos_error err = {0};
        int rc = stack_delete(kc, stack, &st, &err);
        pthread_mutex_unlock(&ctx->run->kube_mu);
        ctx->transient = rc == PERR_TRANSIENT;
        if (rc < 0)
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
        else
                note_stack(ctx, stack, &st);
        return rc;
}

int step_svc_kube_request(struct pharos_step_ctx *ctx, const char *method, const char *path,
                          const char *body, long *status, const char **response)
{
        struct kube_client *kc = kube_lock(ctx);
        if (!kc)
                return PERR_FAIL;
        struct kube_response resp = {0};
        struct pharos_error err = {0};
        const char *type =
                body && strcmp(method, "PATCH") == 0 ? "application/merge-patch+json" : NULL;
        int rc = kube_request(kc, method, path, type, body, &resp, &err);
        pthread_mutex_unlock(&ctx->run->kube_mu);
        ctx->transient = rc == PERR_TRANSIENT || (rc == 0 && kube_status_transient(resp.status));
        if (rc < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
                return rc;
        }
        free(ctx->response);
        ctx->response = resp.body;
        *status = resp.status;
        if (response)
                *response = ctx->response;
        return 0;
}
