#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "addon.h"

/* 1 when the stack's inventory exists in the cluster, 0 when not, <0 when the API failed. */
static int stack_exists(const struct addon *a, struct pharos_step_ctx *ctx, const char *stack)
{
        char path[256];
        long status = 0;
        snprintf(path, sizeof(path), "/api/v1/namespaces/kube-system/configmaps/pharos-stack-%s",
                 stack);
        if (a->H->kube_request(ctx, "GET", path, NULL, &status, NULL) < 0)
                return -1;
        if (status == 200)
                return 1;
        if (status == 404)
                return 0;
        a->H->step_fail(ctx, "GET %s: HTTP %ld", path, status);
        return -1;
}

/* 1 when applying the addon's stacks would write anything: a stack differs from
 * the cluster's, or one with no objects here is still installed. Without an API to
 * ask (no control plane yet), or a core too old to compare, they are applied. */
static int stacks_differ(const struct addon *a, struct pharos_step_ctx *ctx)
{
        if (!PHAROS_HOST_HAS(a->H, kube_stack_differs))
                return 1;
        int differs = 0;
        for (size_t i = 0; i < a->n_stacks && !differs; i++) {
                const struct addon_stack *s = &a->stacks[i];
                char *yaml = s->render(a, ctx);
                if (!yaml)
                        differs = 1;
                else if (!*yaml)
                        differs = stack_exists(a, ctx, s->name) != 0;
                else
                        differs = a->H->kube_stack_differs(ctx, s->name, yaml, strlen(yaml)) != 0;
                free(yaml);
        }
        return differs;
}

int addon_stack_applies(struct pharos_step_ctx *ctx, void *state)
{
        const struct addon *a = state;
        if (addon_enabled(a, a->key)) {
                /* What a settled cluster has already: `pharos up --plan` lists nothing. */
                if (!stacks_differ(a, ctx))
                        return 0;
                a->H->step_reason(ctx, "addons.%s is enabled: apply its stacks", a->key);
                return 1;
        }
        /* Disabled or gone from cluster.yml: work only if something is installed. A
         * cluster without an API yet (--plan before the first up) has nothing. */
        for (size_t i = 0; i < a->n_stacks; i++)
                if (stack_exists(a, ctx, a->stacks[i].name) > 0) {
                        a->H->step_reason(ctx, "addons.%s is not enabled: delete stack %s", a->key,
                                          a->stacks[i].name);
                        return 1;
                }
        return 0;
}

static int remove_all(const struct addon *a, struct pharos_step_ctx *ctx)
{
        for (size_t i = a->n_stacks; i-- > 0;) {
                const struct addon_stack *s = &a->stacks[i];
                int rc = stack_exists(a, ctx, s->name);
                if (rc < 0)
                        return rc;
                if (!rc)
                        continue;
                if (a->H->kube_delete_stack(ctx, s->name) < 0)
                        return -1;
                if (s->gone && s->gone(a, ctx) < 0)
                        return -1;
        }
        return 0;
}

static int apply_stack(const struct addon *a, struct pharos_step_ctx *ctx,
                       const struct addon_stack *s)
{
        char *yaml = s->render(a, ctx);
        if (!yaml)
                return -1;
        int rc = 0;
        if (!*yaml) {
                rc = stack_exists(a, ctx, s->name);
                if (rc > 0)
                        rc = a->H->kube_delete_stack(ctx, s->name);
        } else if (!s->ready || (rc = s->ready(a, ctx)) == 0) {
                rc = a->H->kube_apply_stack(ctx, s->name, yaml, strlen(yaml));
        }
        free(yaml);
        return rc < 0 ? -1 : 0;
}

int addon_stack_run(struct pharos_step_ctx *ctx, void *state)
{
        const struct addon *a = state;
        if (!addon_enabled(a, a->key))
                return remove_all(a, ctx);
        for (size_t i = 0; i < a->n_stacks; i++)
                if (apply_stack(a, ctx, &a->stacks[i]) < 0)
                        return -1;
        return 0;
}

int addon_check_applies(struct pharos_step_ctx *ctx, void *state)
{
        const struct addon *a = state;
        (void)ctx;
        return addon_enabled(a, a->key);
}

int addon_check_run(struct pharos_step_ctx *ctx, void *state)
{
        const struct addon *a = state;
        return a->check(a, ctx) < 0 ? -1 : 0;
}

static void sleep_s(int s)
{
        struct timespec ts = {s, 0};
        nanosleep(&ts, NULL);
}

int addon_wait_deployment(const struct addon *a, struct pharos_step_ctx *ctx, const char *ns,
                          const char *name, int timeout_s)
{
        char path[256];
        snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s", ns, name);
        const char *avail[] = {"status", "availableReplicas", NULL};
        for (int waited = 0;; waited++) {
                long status = 0;
                const char *body = NULL;
                if (a->H->kube_request(ctx, "GET", path, NULL, &status, &body) < 0)
                        return -1;
                long long n = 0;
                if (status == 200 && body) {
                        char msg[128];
                        yajl_val doc = yajl_tree_parse(body, msg, sizeof(msg));
                        yajl_val v = yajl_tree_get(doc, avail, yajl_t_number);
                        if (v && YAJL_IS_INTEGER(v))
                                n = YAJL_GET_INTEGER(v);
                        yajl_tree_free(doc);
                }
                if (n > 0)
                        return 0;
                if (waited >= timeout_s) {
                        a->H->step_fail(ctx, "Deployment %s/%s has no available replica after %d s",
                                        ns, name, timeout_s);
                        return -1;
                }
                sleep_s(1);
        }
}

int addon_wait_established(const struct addon *a, struct pharos_step_ctx *ctx, const char *crd,
                           int timeout_s)
{
        char path[256];
        snprintf(path, sizeof(path), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/%s",
                 crd);
        const char *conds_path[] = {"status", "conditions", NULL};
        for (int waited = 0;; waited++) {
                long status = 0;
                const char *body = NULL;
                if (a->H->kube_request(ctx, "GET", path, NULL, &status, &body) < 0)
                        return -1;
                int established = 0;
                if (status == 200 && body) {
                        char msg[128];
                        yajl_val doc = yajl_tree_parse(body, msg, sizeof(msg));
                        yajl_val conds = yajl_tree_get(doc, conds_path, yajl_t_array);
                        for (size_t i = 0; conds && i < conds->u.array.len; i++) {
                                yajl_val c = conds->u.array.values[i];
                                const char *tp[] = {"type", NULL}, *sp[] = {"status", NULL};
                                const char *t =
                                        YAJL_GET_STRING(yajl_tree_get(c, tp, yajl_t_string));
                                const char *v =
                                        YAJL_GET_STRING(yajl_tree_get(c, sp, yajl_t_string));
                                established |=
                                        t && v && !strcmp(t, "Established") && !strcmp(v, "True");
                        }
                        yajl_tree_free(doc);
                }
                if (established)
                        return 0;
                if (waited >= timeout_s) {
                        a->H->step_fail(ctx,
                                        "CustomResourceDefinition %s is not established "
                                        "after %d s",
                                        crd, timeout_s);
                        return -1;
                }
                sleep_s(1);
        }
}

int addon_register(struct addon *a, const char *const *after, const char *apply_id,
                   const char *check_id, const char *description)
{
        const struct pharos_step apply = {
                .struct_size = sizeof(struct pharos_step),
                .id = apply_id,
                .phase = "addons",
                .after = after,
                .flags = PHAROS_STEP_ONCE,
                .description = description,
                .applies = addon_stack_applies,
                .run = addon_stack_run,
        };
        if (!PHAROS_HOST_HAS(a->H, kube_request)) {
                a->H->set_error(a->self, "needs a pharos with the Kubernetes step services");
                return -1;
        }
        if (a->H->register_step(a->self, &apply) < 0)
                return -1;
        if (!a->check)
                return 0;
        const struct pharos_step check = {
                .struct_size = sizeof(struct pharos_step),
                .id = check_id,
                .phase = "validate",
                .flags = PHAROS_STEP_ONCE,
                .description = "check the addons this one needs are enabled",
                .applies = addon_check_applies,
                .run = addon_check_run,
        };
        return a->H->register_step(a->self, &check);
}
