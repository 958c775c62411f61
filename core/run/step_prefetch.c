/*
 * The step services' side of prefetch (include/pharos/host.h): inside a
 * step's prefetch() reads are recorded; after, their answers serve applies()
 * until a step's run() starts. And the pass that asks every host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executor.h"
#include "run/kube_access.h"
#include "run/step_ctx.h"
#include "util/log.h"

int step_pf_refuse(struct pharos_step_ctx *ctx, const char *what)
{
        snprintf(ctx->error, sizeof(ctx->error), "%s is not available in prefetch(): it reads only",
                 what);
        ctx->transient = 0;
        return PERR_USAGE;
}

int step_pf_record(struct pharos_step_ctx *ctx, enum tp_batch_kind kind, const char *text,
                   const struct pharos_env *env, size_t n_env, uint32_t flags,
                   struct pharos_exec_result *res)
{
        if ((flags & PHAROS_EXEC_SUDO) && pf_record(&ctx->host->pf, kind, text, env, n_env) < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "out of memory");
                return PERR_NOMEM;
        }
        if (res)
                *res = (struct pharos_exec_result){.out = "", .err = ""};
        return PHAROS_DEFERRED;
}

/* A fresh prefetched answer of h's, or NULL. */
static const struct tp_result *fresh(struct run_host *h, enum tp_batch_kind kind, const char *text,
                                     const struct pharos_env *env, size_t n_env)
{
        unsigned long gen = __atomic_load_n(&h->pf_gen, __ATOMIC_SEQ_CST);
        return pf_answer(&h->pf, gen, kind, text, env, n_env);
}

int step_pf_answer(struct pharos_step_ctx *ctx, enum tp_batch_kind kind, const char *text,
                   const struct pharos_env *env, size_t n_env)
{
        const struct tp_result *a = fresh(ctx->host, kind, text, env, n_env);
        if (!a)
                return 0;
        tp_result_free(&ctx->res);
        if (tp_result_copy(a, &ctx->res) < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "out of memory");
                return PERR_NOMEM;
        }
        return 1;
}

int run_pf_exec(struct run_host *h, const char *cmd, struct tp_result *res,
                struct pharos_error *err)
{
        const struct tp_result *a = fresh(h, TP_BATCH_EXEC, cmd, NULL, 0);
        if (!a) {
                struct tp_cmd c = {.cmd = cmd, .sudo = 1, .capture = 1};
                return tp_exec(h->tp, &c, res, err);
        }
        return tp_result_copy(a, res) < 0 ? perr_set(err, PERR_NOMEM, "out of memory") : 0;
}

int run_pf_read(struct run_host *h, const char *path, char **data, size_t *len,
                struct pharos_error *err)
{
        const struct tp_result *a = fresh(h, TP_BATCH_READ, path, NULL, 0);
        /* A failed read goes to the host again, for tp_read_file's own error. */
        if (!a || a->status != 0)
                return tp_read_file(h->tp, path, data, len, err);
        struct tp_result copy;
        if (tp_result_copy(a, &copy) < 0)
                return perr_set(err, PERR_NOMEM, "out of memory");
        *data = copy.out;
        *len = copy.out_len;
        free(copy.err);
        return 0;
}

void run_pf_stale(struct run *r, struct run_host *h)
{
        __atomic_add_fetch(&r->pf_gen, 1, __ATOMIC_SEQ_CST);
        for (size_t i = 0; i < r->n_hosts; i++)
                if (!h || h == &r->hosts[i])
                        __atomic_add_fetch(&r->hosts[i].pf_gen, 1, __ATOMIC_SEQ_CST);
}

struct pf_pass {
        struct run *r;
        const struct reg_step *const *steps;
        size_t n_steps;
        const int *first_master; /* per host: 1 on the first selected master */
};

/* Every step's prefetch() on one host, then one round trip. A failure only
 * means that host's calls go out one by one. */
static int pass_host(void *ud, size_t i, struct pharos_error *err)
{
        struct pf_pass *p = ud;
        struct run_host *h = &p->r->hosts[i];
        (void)err;
        if (!h->tp)
                return 0;
        /* The core's own questions: the stored state's (run/state.c), and the
         * API's admin.conf on the first master (run/kube_access.c). */
        if (!strcmp(h->cfg->role, "master") &&
            (pf_record(&h->pf, TP_BATCH_EXEC, KUBE_CONTROL_PLANE_TEST, NULL, 0) < 0 ||
             (p->first_master[i] &&
              pf_record(&h->pf, TP_BATCH_READ, KUBE_ADMIN_CONF, NULL, 0) < 0)))
                return 0;
        for (size_t k = 0; k < p->n_steps; k++) {
                const struct reg_step *rs = p->steps[k];
                int validating = strcmp(rs->step.phase, "validate") == 0;
                if (!validating && !h->selected)
                        continue;
                if ((rs->step.flags & PHAROS_STEP_ONCE) && !p->first_master[i])
                        continue;
                struct pharos_step_ctx ctx = {.run = p->r, .host = h, .rs = rs, .prefetching = 1};
                rs->step.prefetch(&ctx, rs->owner->state);
                step_ctx_release(&ctx);
        }
        struct pharos_error e = {0};
        unsigned long gen = __atomic_load_n(&h->pf_gen, __ATOMIC_SEQ_CST);
        size_t n = h->pf.n;
        if (pf_send(&h->pf, h->tp, gen, &e) < 0)
                log_msg(PHAROS_LOG_DEBUG, h->cfg->address, "prefetch failed: %s", e.msg);
        else if (n)
                log_msg(PHAROS_LOG_DEBUG, h->cfg->address, "prefetch: %zu reads in one round trip",
                        n);
        return 0;
}

void step_pf_pass(struct run *r, const struct reg_step *const *steps, size_t n_steps)
{
        if (!n_steps)
                return;
        int *first_master = calloc(r->n_hosts ? r->n_hosts : 1, sizeof(*first_master));
        if (!first_master)
                return;
        for (size_t i = 0; i < r->n_hosts; i++)
                if (r->hosts[i].selected && !strcmp(r->hosts[i].cfg->role, "master")) {
                        first_master[i] = 1;
                        break;
                }
        struct pf_pass p = {r, steps, n_steps, first_master};
        struct xr_report rep;
        xr_run(r->n_hosts, r->opts.concurrency, pass_host, &p, &rep);
        free(first_master);
}
