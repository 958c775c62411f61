/* What a step's applies()/run() receive as struct pharos_step_ctx, and the
 * step services of the host table that act on it. */
#ifndef PHAROS_CORE_STEP_CTX_H
#define PHAROS_CORE_STEP_CTX_H

#include <pharos/host.h>

#include "plugin/registry.h"
#include "run/run.h"
#include "ssh/transport.h"

struct pharos_step_ctx {
        struct run *run;
        struct run_host *host; /* the host the step runs on */
        const struct reg_step *rs;
        char error[1024]; /* set by step_fail or a failed command */
        char reason[256]; /* set by step_reason (plan output) */
        char change[256]; /* what step_changed said last */
        int changed;
        int ran;         /* run() was called and succeeded */
        int transient;   /* the last service call failed in a way that may pass (run/retry.h) */
        int refused;     /* the failure is a refusal (step_refuse): exit status 2 */
        int prefetching; /* inside the step's prefetch(): reads are recorded */
        struct tp_result res; /* buffers behind the last pharos_exec_result */
        char *file;           /* buffer behind the last step_read_file */
        char *response;       /* buffer behind the last kube_request */
};

/* Frees the buffers a ctx holds. */
void step_ctx_release(struct pharos_step_ctx *ctx);

const char *step_svc_fact(struct pharos_step_ctx *ctx, const char *name);
const struct pharos_config_node *step_svc_host(struct pharos_step_ctx *ctx);
int step_svc_exec(struct pharos_step_ctx *ctx, const char *cmd, uint32_t flags,
                  struct pharos_exec_result *res);
int step_svc_script(struct pharos_step_ctx *ctx, const char *script, const struct pharos_env *env,
                    size_t n_env, uint32_t flags, struct pharos_exec_result *res);
int step_svc_upload(struct pharos_step_ctx *ctx, const char *path, const void *data, size_t len,
                    uint32_t mode, const char *owner);
int step_svc_read_file(struct pharos_step_ctx *ctx, const char *path, const char **data,
                       size_t *len);
void step_svc_changed(struct pharos_step_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void step_svc_fail(struct pharos_step_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void step_svc_reason(struct pharos_step_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int step_svc_kube_apply(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                        size_t len);
int step_svc_kube_delete(struct pharos_step_ctx *ctx, const char *stack);
int step_svc_kube_stack_differs(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                                size_t len);
int step_svc_https(struct pharos_step_ctx *ctx, const struct pharos_https_request *req,
                   long *status, const char **response);
void step_svc_refuse(struct pharos_step_ctx *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int step_svc_kube_request(struct pharos_step_ctx *ctx, const char *method, const char *path,
                          const char *body, long *status, const char **response);
/* step_node_services.c */
int step_svc_kube_packages(struct pharos_step_ctx *ctx, const char *const *packages,
                           const char *version);
int step_svc_kube_drain(struct pharos_step_ctx *ctx, const char *node, uint32_t timeout_s);
int step_svc_kube_uncordon(struct pharos_step_ctx *ctx, const char *node);

/* step_prefetch.c */
/* A service that prefetch() may not call: the step's error, <0. */
int step_pf_refuse(struct pharos_step_ctx *ctx, const char *what);
/* Inside prefetch(): records a SUDO read and returns PHAROS_DEFERRED with res empty. */
int step_pf_record(struct pharos_step_ctx *ctx, enum tp_batch_kind kind, const char *text,
                   const struct pharos_env *env, size_t n_env, uint32_t flags,
                   struct pharos_exec_result *res);
/* 1 with ctx->res holding the host's prefetched answer to the request, 0 when
 * there is none (or it is stale), <0 on out of memory (the step's error set). */
int step_pf_answer(struct pharos_step_ctx *ctx, enum tp_batch_kind kind, const char *text,
                   const struct pharos_env *env, size_t n_env);
/* Calls the prefetch() of steps[0..n) on every host (the first selected
 * master only for ONCE steps; the selected hosts unless validating), then
 * asks each host its reads in one round trip. */
void step_pf_pass(struct run *r, const struct reg_step *const *steps, size_t n_steps);

#endif
