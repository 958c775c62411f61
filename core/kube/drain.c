/* Cordon, evict and delete a Node through the API (kube/drain.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "kube/drain.h"
#include "kube/json.h"
#include "kube/kube_path.h"
#include "util/clock.h"

static void progress(const struct drain_opts *o, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void progress(const struct drain_opts *o, const char *fmt, ...)
{
        if (!o->progress)
                return;
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        o->progress(o->progress_ud, line);
}

static long now_ms(void)
{
        return (long)pharos_now_ms();
}

static void sleep_ms(const struct drain_opts *o, long ms)
{
        if (o->held)
                pthread_mutex_unlock(o->held);
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        if (o->held)
                pthread_mutex_lock(o->held);
}

/* The Status message of an error response, or its HTTP code. */
static void api_message(const struct kube_response *resp, char *buf, size_t size)
{
        char msg[128];
        yajl_val doc = json_parse(resp->body, msg, sizeof(msg));
        const char *text = json_get_str(doc, "message");
        if (text)
                snprintf(buf, size, "%s", text);
        else
                snprintf(buf, size, "HTTP %ld", resp->status);
        yajl_tree_free(doc);
}

/* Sends a request and fails unless the status is 2xx or `also_ok`. */
static int request_ok(struct kube_client *kc, const char *method, const char *path,
                      const char *ctype, const char *body, long also_ok, struct kube_response *resp,
                      struct pharos_error *err)
{
        int rc = kube_request(kc, method, path, ctype, body, resp, err);
        if (rc < 0)
                return rc;
        if ((resp->status >= 200 && resp->status < 300) || resp->status == also_ok)
                return 0;
        char msg[700];
        api_message(resp, msg, sizeof(msg));
        rc = perr_set(err, PERR_FAIL, "%s %s: %s", method, path, msg);
        kube_response_free(resp);
        return rc;
}

int kube_node_cordon(struct kube_client *kc, const char *node, int unschedulable,
                     struct pharos_error *err)
{
        char path[512];
        int rc = kube_path_node(path, sizeof(path), node, NULL, err);
        if (rc < 0)
                return rc;
        /* null removes the field, as `kubectl uncordon` leaves the node. */
        const char *body = unschedulable ? "{\"spec\":{\"unschedulable\":true}}"
                                         : "{\"spec\":{\"unschedulable\":null}}";
        struct kube_response resp;
        rc = request_ok(kc, "PATCH", path, "application/strategic-merge-patch+json", body, 404,
                        &resp, err);
        if (rc < 0)
                return rc;
        if (resp.status == 404)
                rc = perr_set(err, PERR_FAIL, "node %s not found", node);
        kube_response_free(&resp);
        return rc;
}

static int list_pods(struct kube_client *kc, const char *node, yajl_val *out,
                     struct pharos_error *err)
{
        char path[512], value[300];
        if (kube_path_escape(node, value, sizeof(value)) < 0)
                return perr_set(err, PERR_FAIL, "node %s: name too long", node);
        snprintf(path, sizeof(path), "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", value);
        struct kube_response resp;
        int rc = request_ok(kc, "GET", path, NULL, NULL, 0, &resp, err);
        if (rc < 0)
                return rc;
        char msg[256];
        *out = json_parse(resp.body, msg, sizeof(msg));
        kube_response_free(&resp);
        return *out ? 0 : perr_set(err, PERR_FAIL, "GET %s: bad JSON: %s", path, msg);
}

enum { POD_PENDING, POD_EVICTED, POD_GONE };

/* "/api/v1/namespaces/NS/pods/NAME" + suffix, both names percent-encoded. */
static int pod_path(const struct drain_pod *p, const char *suffix, char *out, size_t n,
                    struct pharos_error *err)
{
        char ns[300], name[300];
        if (kube_path_escape(p->ns, ns, sizeof(ns)) < 0 ||
            kube_path_escape(p->name, name, sizeof(name)) < 0)
                return perr_set(err, PERR_FAIL, "pod %s/%s: name too long", p->ns, p->name);
        snprintf(out, n, "/api/v1/namespaces/%s/pods/%s%s", ns, name, suffix);
        return 0;
}

/* The Eviction object for p (JSON, malloc'd), or NULL when out of memory. */
static char *eviction_body(const struct drain_pod *p)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return NULL;
        static const char *const keys[] = {"apiVersion", "kind", "metadata", "name", "namespace"};
        const char *values[] = {"policy/v1", "Eviction", NULL, p->name, p->ns};
        yajl_gen_map_open(g);
        for (size_t i = 0; i < 5; i++) {
                yajl_gen_string(g, (const unsigned char *)keys[i], strlen(keys[i]));
                if (!values[i])
                        yajl_gen_map_open(g);
                else
                        yajl_gen_string(g, (const unsigned char *)values[i], strlen(values[i]));
        }
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        const unsigned char *buf = NULL;
        size_t len = 0;
        char *body = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok
                             ? strndup((const char *)buf, len)
                             : NULL;
        yajl_gen_free(g);
        return body;
}

/*
 * Asks for one eviction: 0 when it was accepted (or the pod is already gone),
 * 1 when a disruption budget refused it for now (429), <0 on any other error.
 */
static int evict(struct kube_client *kc, const struct drain_pod *p, const struct drain_opts *o,
                 struct pharos_error *err)
{
        char path[700];
        int rc = pod_path(p, "/eviction", path, sizeof(path), err);
        if (rc < 0)
                return rc;
        char *body = eviction_body(p);
        if (!body)
                return perr_set(err, PERR_NOMEM, "out of memory");
        struct kube_response resp;
        rc = kube_request(kc, "POST", path, NULL, body, &resp, err);
        free(body);
        if (rc < 0)
                return rc;
        char msg[700];
        if (resp.status == 429) {
                api_message(&resp, msg, sizeof(msg));
                progress(o, "error when evicting pod %s/%s (will retry after %lds): %s", p->ns,
                         p->name, (o->retry_ms > 0 ? o->retry_ms : 5000) / 1000, msg);
                rc = 1;
        } else if ((resp.status >= 200 && resp.status < 300) || resp.status == 404) {
                progress(o, "evicting pod %s/%s", p->ns, p->name);
                rc = 0;
        } else {
                api_message(&resp, msg, sizeof(msg));
                rc = perr_set(err, PERR_FAIL, "evicting pod %s/%s: %s", p->ns, p->name, msg);
        }
        kube_response_free(&resp);
        return rc;
}

/* 1 when the pod is gone (deleted, or replaced by a new pod of the same name). */
static int pod_gone(struct kube_client *kc, const struct drain_pod *p, struct pharos_error *err)
{
        char path[700];
        int rc = pod_path(p, "", path, sizeof(path), err);
        if (rc < 0)
                return rc;
        struct kube_response resp;
        rc = request_ok(kc, "GET", path, NULL, NULL, 404, &resp, err);
        if (rc < 0)
                return rc;
        if (resp.status == 404) {
                kube_response_free(&resp);
                return 1;
        }
        char msg[128];
        yajl_val doc = json_parse(resp.body, msg, sizeof(msg));
        const char *uid = json_get_str(doc, "metadata.uid");
        rc = uid && strcmp(uid, p->uid) != 0;
        yajl_tree_free(doc);
        kube_response_free(&resp);
        return rc;
}

/* Lists the pods of `plan` still in `state` into buf ("ns/a, ns/b"). */
static void pods_in_state(const struct drain_plan *plan, const int *state, int which, char *buf,
                          size_t size)
{
        buf[0] = '\0';
        for (size_t i = 0; i < plan->n; i++) {
                size_t used = strlen(buf);
                if (state[i] == which && used + 1 < size)
                        snprintf(buf + used, size - used, "%s%s/%s", used ? ", " : "",
                                 plan->pods[i].ns, plan->pods[i].name);
        }
}

static int past(long deadline)
{
        return deadline && now_ms() >= deadline;
}

/* Evicts until every pod's eviction was accepted, retrying the ones a PDB holds. */
static int evict_all(struct kube_client *kc, const struct drain_plan *plan, int *state,
                     const struct drain_opts *o, long deadline, struct pharos_error *err)
{
        long retry = o->retry_ms > 0 ? o->retry_ms : 5000;
        for (;;) {
                int blocked = 0;
                for (size_t i = 0; i < plan->n; i++) {
                        if (state[i] != POD_PENDING)
                                continue;
                        int rc = evict(kc, &plan->pods[i], o, err);
                        if (rc < 0)
                                return rc;
                        if (rc == 0)
                                state[i] = POD_EVICTED;
                        blocked |= rc == 1;
                }
                if (!blocked)
                        return 0;
                if (past(deadline)) {
                        char pods[700];
                        pods_in_state(plan, state, POD_PENDING, pods, sizeof(pods));
                        return perr_set(err, PERR_FAIL,
                                        "drain timed out: a disruption budget still prevents "
                                        "evicting %s",
                                        pods);
                }
                long left = deadline ? deadline - now_ms() : retry;
                sleep_ms(o, left < retry ? left : retry);
        }
}

static int wait_gone(struct kube_client *kc, const struct drain_plan *plan, int *state,
                     const struct drain_opts *o, long deadline, struct pharos_error *err)
{
        for (;;) {
                int waiting = 0;
                for (size_t i = 0; i < plan->n; i++) {
                        if (state[i] != POD_EVICTED)
                                continue;
                        int rc = pod_gone(kc, &plan->pods[i], err);
                        if (rc < 0)
                                return rc;
                        if (rc) {
                                state[i] = POD_GONE;
                                progress(o, "pod %s/%s evicted", plan->pods[i].ns,
                                         plan->pods[i].name);
                        }
                        waiting |= !rc;
                }
                if (!waiting)
                        return 0;
                if (past(deadline)) {
                        char pods[700];
                        pods_in_state(plan, state, POD_EVICTED, pods, sizeof(pods));
                        return perr_set(err, PERR_FAIL,
                                        "drain timed out waiting for %s to terminate", pods);
                }
                sleep_ms(o, 1000);
        }
}

int kube_node_drain(struct kube_client *kc, const char *node, const struct drain_opts *opts,
                    struct pharos_error *err)
{
        long deadline = opts->timeout_ms > 0 ? now_ms() + opts->timeout_ms : 0;
        int rc = kube_node_cordon(kc, node, 1, err);
        if (rc < 0)
                return rc;
        progress(opts, "node %s cordoned", node);
        yajl_val list = NULL;
        rc = list_pods(kc, node, &list, err);
        if (rc < 0)
                return rc;
        struct drain_plan plan;
        rc = drain_plan_build(list, opts, &plan, err);
        yajl_tree_free(list);
        if (rc < 0)
                return rc;
        int *state = calloc(plan.n ? plan.n : 1, sizeof(*state));
        if (!state) {
                drain_plan_free(&plan);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < plan.n; i++) {
                enum drain_verdict v = plan.pods[i].verdict;
                if (v == DRAIN_SKIP_DAEMONSET)
                        progress(opts, "ignoring DaemonSet-managed pod %s/%s", plan.pods[i].ns,
                                 plan.pods[i].name);
                state[i] = v == DRAIN_EVICT  ? POD_PENDING
                           : v == DRAIN_WAIT ? POD_EVICTED
                                             : POD_GONE;
        }
        rc = evict_all(kc, &plan, state, opts, deadline, err);
        if (rc == 0)
                rc = wait_gone(kc, &plan, state, opts, deadline, err);
        if (rc == 0)
                progress(opts, "node %s drained", node);
        free(state);
        drain_plan_free(&plan);
        return rc;
}

int kube_node_delete(struct kube_client *kc, const char *node, int *existed,
                     struct pharos_error *err)
{
        char path[512];
        int rc = kube_path_node(path, sizeof(path), node, NULL, err);
        if (rc < 0)
                return rc;
        struct kube_response resp;
        rc = request_ok(kc, "DELETE", path, NULL, NULL, 404, &resp, err);
        if (rc < 0)
                return rc;
        if (existed)
                *existed = resp.status != 404;
        kube_response_free(&resp);
        return 0;
}
