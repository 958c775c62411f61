/* Which pods a drain evicts, skips or refuses: kubectl drain's filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/drain.h"
#include "kube/json.h"

static int is_true(yajl_val v)
{
        return v && YAJL_IS_TRUE(v);
}

/* Kind of the controller owner reference, or NULL when no controller owns the pod. */
static const char *controller_kind(yajl_val pod)
{
        yajl_val refs = json_get(pod, "metadata.ownerReferences");
        if (!YAJL_IS_ARRAY(refs))
                return NULL;
        for (size_t i = 0; i < refs->u.array.len; i++) {
                yajl_val ref = refs->u.array.values[i];
                if (is_true(json_get(ref, "controller")))
                        return json_get_str(ref, "kind");
        }
        return NULL;
}

static int has_empty_dir(yajl_val pod)
{
        yajl_val vols = json_get(pod, "spec.volumes");
        if (!YAJL_IS_ARRAY(vols))
                return 0;
        for (size_t i = 0; i < vols->u.array.len; i++)
                if (json_get(vols->u.array.values[i], "emptyDir"))
                        return 1;
        return 0;
}

static int is_mirror(yajl_val pod)
{
        const char *path[] = {"metadata", "annotations", "kubernetes.io/config.mirror", NULL};
        return yajl_tree_get(pod, path, yajl_t_any) != NULL;
}

static int is_finished(yajl_val pod)
{
        const char *phase = json_get_str(pod, "status.phase");
        return phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}

enum drain_verdict drain_classify(yajl_val pod, const struct drain_opts *opts)
{
        if (is_mirror(pod))
                return DRAIN_SKIP_MIRROR;
        const char *kind = controller_kind(pod);
        if (kind && strcmp(kind, "DaemonSet") == 0)
                return opts->ignore_daemonsets ? DRAIN_SKIP_DAEMONSET : DRAIN_REFUSE_DAEMONSET;
        if (json_get(pod, "metadata.deletionTimestamp"))
                return DRAIN_WAIT;
        if (is_finished(pod))
                return DRAIN_EVICT;
        if (!kind && !opts->force)
                return DRAIN_REFUSE_UNMANAGED;
        if (has_empty_dir(pod) && !opts->delete_local_data)
                return DRAIN_REFUSE_LOCAL_DATA;
        return DRAIN_EVICT;
}

void drain_plan_free(struct drain_plan *plan)
{
        for (size_t i = 0; i < plan->n; i++) {
                free(plan->pods[i].ns);
                free(plan->pods[i].name);
                free(plan->pods[i].uid);
        }
        free(plan->pods);
        plan->pods = NULL;
        plan->n = 0;
}

static const struct {
        enum drain_verdict verdict;
        const char *what;
} refusals[] = {
        {DRAIN_REFUSE_DAEMONSET, "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to "
                                 "ignore them)"},
        {DRAIN_REFUSE_LOCAL_DATA, "cannot delete Pods with local storage (use --delete-local-data "
                                  "to override)"},
        {DRAIN_REFUSE_UNMANAGED, "cannot delete Pods that declare no controller (use --force to "
                                 "override)"},
};

/* Appends "what: ns/a, ns/b" when pods were refused for this reason. */
static void describe_refusal(const struct drain_plan *plan, enum drain_verdict v, const char *what,
                             char *buf, size_t size)
{
        char pods[900] = "";
        size_t used = 0;
        for (size_t i = 0; i < plan->n && used + 1 < sizeof(pods); i++) {
                if (plan->pods[i].verdict != v)
                        continue;
                snprintf(pods + used, sizeof(pods) - used, "%s%s/%s", used ? ", " : "",
                         plan->pods[i].ns, plan->pods[i].name);
                used = strlen(pods);
        }
        if (!used)
                return;
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s: %s", len ? "; " : "", what, pods);
}

static char *dup_str(const char *s)
{
        return strdup(s ? s : "");
}

int drain_plan_build(yajl_val pod_list, const struct drain_opts *opts, struct drain_plan *plan,
                     struct pharos_error *err)
{
        memset(plan, 0, sizeof(*plan));
        yajl_val items = json_get(pod_list, "items");
        if (!YAJL_IS_ARRAY(items))
                return perr_set(err, PERR_FAIL, "the pod list has no items");
        size_t n = items->u.array.len;
        plan->pods = calloc(n ? n : 1, sizeof(*plan->pods));
        if (!plan->pods)
                return perr_set(err, PERR_NOMEM, "out of memory");
        int refused = 0;
        for (size_t i = 0; i < n; i++) {
                yajl_val pod = items->u.array.values[i];
                struct drain_pod *p = &plan->pods[plan->n++];
                p->ns = dup_str(json_get_str(pod, "metadata.namespace"));
                p->name = dup_str(json_get_str(pod, "metadata.name"));
                p->uid = dup_str(json_get_str(pod, "metadata.uid"));
                if (!p->ns || !p->name || !p->uid) {
                        drain_plan_free(plan);
                        return perr_set(err, PERR_NOMEM, "out of memory");
                }
                p->verdict = drain_classify(pod, opts);
                refused |= p->verdict >= DRAIN_REFUSE_DAEMONSET;
        }
        if (!refused)
                return 0;
        char why[sizeof(err->msg)] = "";
        for (size_t r = 0; r < sizeof(refusals) / sizeof(refusals[0]); r++)
                describe_refusal(plan, refusals[r].verdict, refusals[r].what, why, sizeof(why));
        drain_plan_free(plan);
        return perr_set(err, PERR_FAIL, "%s", why);
}
