/*
 * The control-plane endpoint moved: without api.endpoint it is the first
 * master's address, so removing that master (or setting api.endpoint) gives
 * the cluster a new one. kubeadm.reconfigure renews the API server
 * certificates and uploads the new ClusterConfiguration; what kubeadm wrote
 * with the old address stays, and would leave every kubelet talking to a
 * master that is gone. These steps point it at the new one, as kubeadm's
 * documentation says to do by hand: the kubeconfigs on each host (the kubelet
 * restarted when its own changed) and, once, the cluster-info ConfigMap that
 * joining nodes discover the API from and kube-proxy's kubeconfig.
 * A master's kubeconfig may name its own API server (kubeadm's local kubelet
 * mode); that is left as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "kadm.h"

static const char *const host_files[] = {"/etc/kubernetes/kubelet.conf",
                                         "/etc/kubernetes/admin.conf",
                                         "/etc/kubernetes/super-admin.conf"};
#define N_HOST_FILES (sizeof(host_files) / sizeof(host_files[0]))

/* "https://ENDPOINT" of cluster.yml, and on a master its own API server's URL ("" if not). */
static int servers(struct kadm_state *st, struct pharos_step_ctx *ctx, char *want, size_t want_len,
                   char *own, size_t own_len)
{
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        snprintf(want, want_len, "https://%s", in.endpoint);
        kadm_input_free(&in);
        own[0] = '\0';
        if (kadm_is_master(st, ctx))
                kadm_api_url(kadm_peer_address(st->host, st->host->step_host(ctx)), own, own_len);
        return 0;
}

/*
 * Which of host_files name another server (bit i for host_files[i]), read in
 * one command: each `server:` line as "FILE VALUE".
 */
static int stale_files(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *want,
                       const char *const *keep, unsigned *mask)
{
        struct pharos_exec_result res;
        if (st->host->step_exec(ctx,
                                "for f in /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf "
                                "/etc/kubernetes/super-admin.conf; do [ ! -e \"$f\" ] || "
                                "sed -n \"s|^[[:space:]-]*server:|$f server:|p\" \"$f\"; done",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, &res) < 0)
                return -1;
        *mask = 0;
        for (const char *line = res.out; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                for (size_t i = 0; i < N_HOST_FILES; i++) {
                        size_t n = strlen(host_files[i]);
                        if (len <= n || memcmp(line, host_files[i], n) != 0 || line[n] != ' ')
                                continue;
                        char *entry = strndup(line + n + 1, len - n - 1);
                        if (!entry) {
                                st->host->step_fail(ctx, "out of memory");
                                return -1;
                        }
                        if (kadm_kubeconfig_retarget(entry, want, keep, NULL) > 0)
                                *mask |= 1u << i;
                        free(entry);
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* Rewrites host file i's servers; 0, or <0 with the step failed. */
static int retarget_file(struct kadm_state *st, struct pharos_step_ctx *ctx, size_t i,
                         const char *want, const char *const *keep)
{
        const char *data = NULL;
        size_t len = 0;
        if (st->host->step_read_file(ctx, host_files[i], &data, &len) < 0)
                return -1;
        char *text = strndup(data, len);
        struct kbuf b = {0};
        int n = text ? kadm_kubeconfig_retarget(text, want, keep, &b) : -1;
        free(text);
        int rc = 0;
        if (n < 0) {
                st->host->step_fail(ctx, "out of memory");
                rc = -1;
        } else if (n > 0) {
                rc = st->host->step_upload(ctx, host_files[i], b.p, b.len, 0600, "root:root");
        }
        kb_free(&b);
        return rc;
}

int kadm_retarget_host(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *want,
                       const char *const *keep, int fix, unsigned *stale)
{
        if (stale_files(st, ctx, want, keep, stale) < 0)
                return -1;
        if (!fix) {
                if (*stale)
                        st->host->step_reason(ctx, "kubeconfigs name another API server than %s",
                                              want);
                return 0;
        }
        for (size_t i = 0; i < N_HOST_FILES; i++)
                if ((*stale & (1u << i)) && retarget_file(st, ctx, i, want, keep) < 0)
                        return -1;
        /* The kubelet reads its kubeconfig when it starts. */
        if ((*stale & 1u) && st->host->step_exec(ctx, "systemctl restart kubelet",
                                                 PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                return -1;
        if (*stale)
                st->host->step_changed(ctx, "kubeconfigs now name %s%s", want,
                                       *stale & 1u ? ", kubelet restarted" : "");
        return 0;
}

static int endpoint_pass(struct pharos_step_ctx *ctx, struct kadm_state *st, int fix)
{
        char want[300], own[300];
        unsigned stale = 0;
        if (servers(st, ctx, want, sizeof(want), own, sizeof(own)) < 0)
                return -1;
        /* A worker's kubelet on its node-local proxy reaches every master (kubeadm.api-proxy). */
        int proxy = kadm_node_proxy(st, ctx);
        const char *keep[3] = {NULL, NULL, NULL};
        size_t n = 0;
        if (own[0])
                keep[n++] = own;
        if (proxy)
                keep[n++] = KADM_API_PROXY_URL;
        if (kadm_retarget_host(st, ctx, want, keep, fix, &stale) < 0)
                return -1;
        return stale != 0;
}

static int endpoint_applies(struct pharos_step_ctx *ctx, void *state)
{
        return endpoint_pass(ctx, state, 0);
}

static int endpoint_run(struct pharos_step_ctx *ctx, void *state)
{
        return endpoint_pass(ctx, state, 1) < 0 ? -1 : 0;
}

/* prefetch(): endpoint_applies() only reads; what it asks the host is recorded. */
static void endpoint_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)endpoint_applies(ctx, state);
}

const struct pharos_step kadm_step_endpoint = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.endpoint",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.reconfigure", NULL},
        .description = "point the host's kubeconfigs at the control-plane endpoint",
        .applies = endpoint_applies,
        .prefetch = endpoint_prefetch,
        .run = endpoint_run,
};

/* ConfigMaps holding a kubeconfig: the one joining nodes discover, and kube-proxy's,
 * whose pods read it when they start, so its DaemonSet is restarted after. With the
 * node-local API proxy, kube-proxy names it: on a worker that is the proxy, on a master
 * its own API server. A joining node has no proxy yet, so cluster-info never does. */
static const struct {
        const char *path, *key, *restart;
        int local;
} maps[] = {
        {"/api/v1/namespaces/kube-public/configmaps/cluster-info", "kubeconfig", NULL, 0},
        {"/api/v1/namespaces/kube-system/configmaps/kube-proxy", "kubeconfig.conf",
         "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy", 1},
};

/* A rolling restart, as `kubectl rollout restart` makes one: a new template annotation. */
static int restart_daemonset(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *path)
{
        char now[32], body[200];
        time_t t = time(NULL);
        struct tm tm;
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        snprintf(body, sizeof(body),
                 "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":"
                 "{\"kubectl.kubernetes.io/restartedAt\":\"%s\"}}}}}",
                 now);
        long status = 0;
        const char *resp = NULL;
        if (st->host->kube_request(ctx, "PATCH", path, body, &status, &resp) < 0)
                return -1;
        if (status == 404)
                return 0;
        if (status < 200 || status > 299) {
                st->host->step_fail(ctx, "PATCH %s: HTTP %ld: %.300s", path, status,
                                    resp ? resp : "");
                return -1;
        }
        st->host->step_changed(ctx, "restarted DaemonSet %s", strrchr(path, '/') + 1);
        return 0;
}

/* Number of maps naming another server; with fix, patched. */
static int maps_pass(struct kadm_state *st, struct pharos_step_ctx *ctx, int fix)
{
        char endpoint[300], own[300];
        if (servers(st, ctx, endpoint, sizeof(endpoint), own, sizeof(own)) < 0)
                return -1;
        int proxy = kadm_api_proxy(st->host, st->host->config_root(st->self));
        int stale = 0;
        for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
                const char *want = maps[i].local && proxy ? KADM_API_PROXY_URL : endpoint;
                long status = 0;
                const char *resp = NULL;
                if (st->host->kube_request(ctx, "GET", maps[i].path, NULL, &status, &resp) < 0)
                        return -1;
                if (status == 404)
                        continue;
                if (status != 200) {
                        st->host->step_fail(ctx, "GET %s: HTTP %ld", maps[i].path, status);
                        return -1;
                }
                yajl_val cm = yajl_tree_parse(resp, NULL, 0);
                const char *kpath[] = {"data", maps[i].key, NULL};
                yajl_val v = cm ? yajl_tree_get(cm, kpath, yajl_t_string) : NULL;
                struct kbuf text = {0}, body = {0};
                int n = v ? kadm_kubeconfig_retarget(YAJL_GET_STRING(v), want, NULL, &text) : 0;
                yajl_tree_free(cm);
                if (n > 0 && fix) {
                        kb_printf(&body, "{\"data\":{");
                        kb_quoted(&body, maps[i].key);
                        kb_printf(&body, ":");
                        kb_quoted(&body, text.p);
                        kb_printf(&body, "}}");
                        if (body.oom)
                                n = -1;
                        else if (st->host->kube_request(ctx, "PATCH", maps[i].path, body.p, &status,
                                                        &resp) < 0)
                                n = -2;
                        else if (status < 200 || status > 299) {
                                st->host->step_fail(ctx, "PATCH %s: HTTP %ld: %.300s", maps[i].path,
                                                    status, resp ? resp : "");
                                n = -2;
                        } else {
                                st->host->step_changed(ctx, "%s names %s",
                                                       strrchr(maps[i].path, '/') + 1, want);
                                if (maps[i].restart &&
                                    restart_daemonset(st, ctx, maps[i].restart) < 0)
                                        n = -2;
                        }
                }
                kb_free(&text);
                kb_free(&body);
                if (n == -1)
                        st->host->step_fail(ctx, "out of memory");
                if (n < 0)
                        return -1;
                if (n > 0 && !fix)
                        st->host->step_reason(ctx, "%s names another API server than %s",
                                              strrchr(maps[i].path, '/') + 1, want);
                stale += n > 0;
        }
        return stale;
}

static int info_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        long first = kadm_first_master(st);
        pthread_mutex_lock(&st->mu);
        int existed =
                first >= 0 && (size_t)first < st->n_status && st->status[first] == KADM_JOINED;
        pthread_mutex_unlock(&st->mu);
        if (!existed) {
                /* Without a control plane yet there is nothing to read: kubeadm init names
                 * the endpoint in both maps, and kube-proxy's is to name the proxy. */
                if (!kadm_api_proxy(st->host, st->host->config_root(st->self)))
                        return 0;
                st->host->step_reason(ctx, "kube-proxy is to reach the API through the "
                                           "node-local API proxy");
                return 1;
        }
        int n = maps_pass(st, ctx, 0);
        return n < 0 ? -1 : n > 0;
}

static int info_run(struct pharos_step_ctx *ctx, void *state)
{
        return maps_pass(state, ctx, 1) < 0 ? -1 : 0;
}

const struct pharos_step kadm_step_endpoint_info = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.endpoint-info",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.reconfigure", NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "point cluster-info and kube-proxy at the control-plane endpoint",
        .applies = info_applies,
        .run = info_run,
};
