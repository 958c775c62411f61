/*
 * A newer kubernetes.version applied in place, as kubernetes.io's "Upgrading
 * kubeadm clusters" does it (the core refused downgrades and skipped minors
 * before any step ran; the OS plugin moved kubeadm alone on joined nodes):
 *   - masters, one at a time: `kubeadm upgrade apply vX` on the first whose
 *     cluster still says the old version (kubeadm-config), `kubeadm upgrade
 *     node` on the others; then the node drained, its kubelet and kubectl
 *     moved through the OS plugin, the kubelet restarted, the node uncordoned;
 *   - then workers, upgrade.max_unavailable at a time (default one):
 *     `kubeadm upgrade node`, and the same for their kubelet.
 * Every part looks at what the host has before it acts, so an interrupted
 * upgrade is taken up again by the next run where it stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pharos/names.h>
#include <yajl/yajl_tree.h>

#include "kadm.h"
#include "kubeadm_scripts.h"

/* How long a restarted kubelet has to report the new version to its Node. */
#define KUBELET_REPORT_S 180
/* On a Node while pharos has it cordoned for its kubelet's upgrade: a run that
 * stopped in between uncordons it, and a Node an admin cordoned stays so. */
#define UPGRADING_MARK "pharos.kontena.io/upgrading"

static const char *want_version(struct kadm_state *st)
{
        const struct pharos_host *H = st->host;
        return H->config_string(
                H->config_get(H->config_get(H->config_root(st->self), "kubernetes"), "version"));
}

static int node_name(struct kadm_state *st, struct pharos_step_ctx *ctx, char *out, size_t n)
{
        const char *host = st->host->step_fact(ctx, "hostname");
        char why[160];
        if (pharos_node_name_of_host(host, out, n, why, sizeof(why)) < 0) {
                st->host->step_fail(ctx, "the host's name '%.64s' %s", host ? host : "", why);
                return -1;
        }
        return 0;
}

/* GET path as parsed JSON; NULL with the step failed (404 too: the caller asks for
 * objects that must exist). */
static yajl_val api_get(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *path)
{
        long status = 0;
        const char *body = NULL;
        if (st->host->kube_request(ctx, "GET", path, NULL, &status, &body) < 0)
                return NULL;
        if (status != 200) {
                st->host->step_fail(ctx, "GET %s: HTTP %ld", path, status);
                return NULL;
        }
        char err[200];
        yajl_val v = yajl_tree_parse(body, err, sizeof(err));
        if (!v)
                st->host->step_fail(ctx, "GET %s: %s", path, err);
        return v;
}

static const char *str_at(yajl_val v, const char **path)
{
        yajl_val s = yajl_tree_get(v, path, yajl_t_string);
        return s ? YAJL_GET_STRING(s) : NULL;
}

/* "v1.37.2" from an image reference ".../kube-apiserver:v1.37.2" into out. */
static void image_tag(const char *image, char *out, size_t n)
{
        const char *colon = image ? strrchr(image, ':') : NULL;
        const char *slash = image ? strrchr(image, '/') : NULL;
        snprintf(out, n, "%s", colon && (!slash || colon > slash) ? colon + 1 : "");
}

/* What the cluster says about this node: its kubelet's version, and on a master
 * the version of its API server's static Pod (from the mirror Pod). One Node list
 * and one Pod list per run, shared by every host's applies(). */
struct seen {
        char kubelet[64];
        char apiserver[64];
        int marked; /* the Node has UPGRADING_MARK */
};

static int cluster_view(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node,
                        struct seen *out)
{
        memset(out, 0, sizeof(*out));
        pthread_mutex_lock(&st->mu);
        int rc = 0;
        if (!st->upgrade_read) {
                yajl_val nodes = api_get(st, ctx, "/api/v1/nodes");
                yajl_val pods = nodes ? api_get(st, ctx,
                                                "/api/v1/namespaces/kube-system/pods?"
                                                "labelSelector=component%3Dkube-apiserver")
                                      : NULL;
                if (pods) {
                        st->upgrade_nodes = nodes;
                        st->upgrade_pods = pods;
                        st->upgrade_read = 1;
                } else {
                        yajl_tree_free(nodes);
                        rc = -1;
                }
        }
        static const char *items[] = {"items", NULL};
        static const char *name[] = {"metadata", "name", NULL};
        static const char *kubelet[] = {"status", "nodeInfo", "kubeletVersion", NULL};
        static const char *mark[] = {"metadata", "annotations", UPGRADING_MARK, NULL};
        static const char *on[] = {"spec", "nodeName", NULL};
        static const char *containers[] = {"spec", "containers", NULL};
        static const char *image[] = {"image", NULL};
        yajl_val ns = rc == 0 ? yajl_tree_get(st->upgrade_nodes, items, yajl_t_array) : NULL;
        for (size_t i = 0; ns && i < ns->u.array.len; i++) {
                const char *n = str_at(ns->u.array.values[i], name);
                const char *k = str_at(ns->u.array.values[i], kubelet);
                if (n && k && !strcmp(n, node)) {
                        snprintf(out->kubelet, sizeof(out->kubelet), "%s", k);
                        out->marked = str_at(ns->u.array.values[i], mark) != NULL;
                }
        }
        yajl_val ps = rc == 0 ? yajl_tree_get(st->upgrade_pods, items, yajl_t_array) : NULL;
        for (size_t i = 0; ps && i < ps->u.array.len; i++) {
                yajl_val p = ps->u.array.values[i];
                const char *n = str_at(p, on);
                yajl_val cs = yajl_tree_get(p, containers, yajl_t_array);
                if (n && !strcmp(n, node) && cs && cs->u.array.len)
                        image_tag(str_at(cs->u.array.values[0], image), out->apiserver,
                                  sizeof(out->apiserver));
        }
        pthread_mutex_unlock(&st->mu);
        return rc;
}

/* 1 when the "v"-prefixed version `have` is known and differs from want. */
static int behind(const char *have, const char *want)
{
        return have[0] == 'v' && strcmp(have + 1, want) != 0;
}

static int upgrade_applies(struct kadm_state *st, struct pharos_step_ctx *ctx, int masters)
{
        const char *want = want_version(st);
        if (kadm_is_master(st, ctx) != masters || !want || !kadm_joined(st, ctx) ||
            kadm_worker_up(st, ctx))
                return 0;
        char node[PHAROS_DNS1123_SUBDOMAIN_MAX + 1];
        struct seen s;
        if (node_name(st, ctx, node, sizeof(node)) < 0 || cluster_view(st, ctx, node, &s) < 0)
                return -1;
        int cp = masters && behind(s.apiserver, want);
        int kubelet = behind(s.kubelet, want);
        if (!cp && !kubelet && s.marked) {
                st->host->step_reason(ctx, "Node %s still cordoned by an upgrade that stopped",
                                      node);
                return 1;
        }
        if (!cp && !kubelet)
                return 0;
        st->host->step_reason(ctx, "%s%s%s%s%s to %s", cp ? "control plane at " : "",
                              cp ? s.apiserver : "", cp && kubelet ? ", " : "",
                              kubelet ? "kubelet at " : "", kubelet ? s.kubelet : "", want);
        return 1;
}

/* The cluster's version in kubeadm-config's ClusterConfiguration ("v1.36.3"). */
static int cluster_version(struct kadm_state *st, struct pharos_step_ctx *ctx, char *out, size_t n)
{
        yajl_val cm = api_get(st, ctx, "/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
        if (!cm)
                return -1;
        static const char *cc[] = {"data", "ClusterConfiguration", NULL};
        const char *text = str_at(cm, cc);
        const char *at = text ? strstr(text, "kubernetesVersion:") : NULL;
        out[0] = '\0';
        if (at) {
                at += strlen("kubernetesVersion:");
                at += strspn(at, " \"'");
                size_t len = strcspn(at, " \"'\n");
                snprintf(out, n, "%.*s", (int)len, at);
        }
        yajl_tree_free(cm);
        if (!out[0]) {
                st->host->step_fail(ctx, "kube-system/kubeadm-config has no kubernetesVersion");
                return -1;
        }
        return 0;
}

/* The version of the API server's static Pod manifest on the host ("v1.36.3"),
 * "" when it has none. */
static int manifest_version(struct kadm_state *st, struct pharos_step_ctx *ctx, char *out, size_t n)
{
        const char *data = NULL;
        size_t len = 0;
        out[0] = '\0';
        if (st->host->step_read_file(ctx, KADM_APISERVER_MANIFEST, &data, &len) < 0)
                return -1;
        char *text = strndup(data, len);
        if (!text) {
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *img = strstr(line, "image:");
                if (!img || !strstr(img, "kube-apiserver"))
                        continue;
                img += strlen("image:");
                img += strspn(img, " \"'");
                img[strcspn(img, " \"'\r")] = '\0';
                image_tag(img, out, n);
                break;
        }
        free(text);
        return 0;
}

/* Whether kubeadm's upgrade preflight fails this host's SystemVerification: it
 * validates cgroup v1 against the installed kubelet's next minor (isUpgrade), so
 * a kubelet of the minor before want that refuses cgroup v1 counts. init and join
 * skip the same check there (kadm_input_cgroups). */
static int skips_system_check(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *want)
{
        int node_v1 = 0, any_v1 = 0;
        unsigned major = 0, minor = 0;
        kadm_cgroup_v1(st, ctx, &node_v1, &any_v1);
        if (!node_v1 || sscanf(want, "%u.%u", &major, &minor) != 2)
                return node_v1;
        char next[32];
        snprintf(next, sizeof(next), "%u.%u", major, minor + 1);
        return kadm_kubelet_fails_cgroup_v1(next);
}

/* kubeadm upgrade apply vWANT or kubeadm upgrade node, with the proxy variables
 * control_plane.use_proxy gives kubeadm. */
static int kubeadm_upgrade(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *action,
                           const char *want)
{
        struct pharos_env env[KADM_PROXY_VARS + 3];
        size_t n = kadm_proxy_env(st, ctx, env);
        env[n++] = (struct pharos_env){"ACTION", action};
        env[n++] = (struct pharos_env){"VERSION", want};
        env[n++] = (struct pharos_env){
                "IGNORE", skips_system_check(st, ctx, want) ? "SystemVerification" : ""};
        return st->host->step_script(ctx, script_upgrade_sh, env, n,
                                     PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
}

/* From a Node object: its kubelet's version into out, and whether it has the mark;
 * frees v. */
static void kubelet_of(yajl_val v, char *out, size_t n, int *marked)
{
        static const char *kubelet[] = {"status", "nodeInfo", "kubeletVersion", NULL};
        static const char *mark[] = {"metadata", "annotations", UPGRADING_MARK, NULL};
        const char *k = str_at(v, kubelet);
        snprintf(out, n, "%s", k ? k : "");
        if (marked)
                *marked = str_at(v, mark) != NULL;
        yajl_tree_free(v);
}

/* The Node's kubelet version as the API says it now, and whether it has the mark. */
static int node_kubelet(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node,
                        char *out, size_t n, int *marked)
{
        char path[320];
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", node);
        yajl_val v = api_get(st, ctx, path);
        if (!v)
                return -1;
        kubelet_of(v, out, n, marked);
        return 0;
}

/* Sets (want) or removes (NULL) the upgrade's mark on the Node. */
static int mark_node(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node,
                     const char *want)
{
        char path[320], body[200];
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", node);
        if (want)
                snprintf(body, sizeof(body),
                         "{\"metadata\":{\"annotations\":{\"" UPGRADING_MARK "\":\"%s\"}}}", want);
        else
                snprintf(body, sizeof(body),
                         "{\"metadata\":{\"annotations\":{\"" UPGRADING_MARK "\":null}}}");
        long status = 0;
        if (st->host->kube_request(ctx, "PATCH", path, body, &status, NULL) < 0)
                return -1;
        if (status != 200) {
                st->host->step_fail(ctx, "PATCH Node %s: HTTP %ld", node, status);
                return -1;
        }
        return 0;
}

/* Uncordoned, and the mark gone with it. */
static int release(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node)
{
        return st->host->kube_uncordon(ctx, node) < 0 ? -1 : mark_node(st, ctx, node, NULL);
}

/* The Node's kubelet version into out, or why not into why (the step not failed):
 * while a kubelet restarts, the API server of its host may restart with it (the
 * new kubelet sees its static Pods anew), and a fresh API server refuses
 * requests (403, "clusterrole ... not found") until its RBAC caches fill. */
static int poll_kubelet(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node,
                        char *out, size_t n, char *why, size_t why_len)
{
        char path[320];
        snprintf(path, sizeof(path), "/api/v1/nodes/%s", node);
        long status = 0;
        const char *body = NULL;
        if (st->host->kube_request(ctx, "GET", path, NULL, &status, &body) < 0) {
                snprintf(why, why_len, "no answer from the API");
                return -1;
        }
        yajl_val v = status == 200 ? yajl_tree_parse(body, NULL, 0) : NULL;
        if (!v) {
                snprintf(why, why_len, "GET %s: HTTP %ld", path, status);
                return -1;
        }
        kubelet_of(v, out, n, NULL);
        return 0;
}

/* Drain, kubelet and kubectl to want, kubelet restarted until its Node says so,
 * uncordon: a node's kubelet moves with no pod of others' on it. */
static int upgrade_kubelet(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *node,
                           const char *want)
{
        const struct pharos_host *H = st->host;
        static const char *const pkgs[] = {"kubelet", "kubectl", NULL};
        if (mark_node(st, ctx, node, want) < 0 || H->kube_drain(ctx, node, 0) < 0 ||
            H->step_kube_packages(ctx, pkgs, want) < 0 ||
            H->step_exec(ctx, "systemctl daemon-reload && systemctl restart kubelet",
                         PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL) < 0)
                return -1;
        char have[64] = "", why[400] = "";
        for (int i = 0; i < KUBELET_REPORT_S / 2; i++) {
                if (poll_kubelet(st, ctx, node, have, sizeof(have), why, sizeof(why)) == 0) {
                        why[0] = '\0';
                        if (!behind(have, want))
                                return release(st, ctx, node);
                }
                sleep(2);
        }
        H->step_fail(ctx,
                     "the kubelet of Node %s still reports %s %ds after its restart at %s%s%s; "
                     "the node stays cordoned",
                     node, have[0] ? have : "no version", KUBELET_REPORT_S, want,
                     why[0] ? ", and the last request failed: " : "", why);
        return -1;
}

static int upgrade_run(struct kadm_state *st, struct pharos_step_ctx *ctx, int master)
{
        const struct pharos_host *H = st->host;
        const char *want = want_version(st);
        char node[PHAROS_DNS1123_SUBDOMAIN_MAX + 1], have[64], manifest[64], cluster[64] = "";
        if (!PHAROS_HOST_HAS(H, kube_uncordon)) {
                H->step_fail(ctx, "upgrading needs a pharos core with plugin ABI 1.4 or later");
                return -1;
        }
        int marked = 0;
        if (node_name(st, ctx, node, sizeof(node)) < 0 ||
            node_kubelet(st, ctx, node, have, sizeof(have), &marked) < 0)
                return -1;
        int kubelet = behind(have, want);
        /* A worker's `upgrade node` only moves its kubelet's configuration, which
         * goes with the kubelet. */
        const char *action = kubelet ? "node" : NULL;
        if (master) {
                action = NULL;
                if (manifest_version(st, ctx, manifest, sizeof(manifest)) < 0)
                        return -1;
                if (behind(manifest, want)) {
                        if (cluster_version(st, ctx, cluster, sizeof(cluster)) < 0)
                                return -1;
                        action = behind(cluster, want) ? "apply" : "node";
                }
        }
        if (action && kubeadm_upgrade(st, ctx, action, want) < 0)
                return -1;
        if (kubelet && upgrade_kubelet(st, ctx, node, want) < 0)
                return -1;
        if (!kubelet && marked && release(st, ctx, node) < 0)
                return -1;
        if (action || kubelet)
                H->step_changed(ctx, "upgraded to %s:%s%s%s", want,
                                action ? " kubeadm upgrade " : "", action ? action : "",
                                kubelet ? (action ? ", kubelet" : " kubelet") : "");
        else if (marked)
                H->step_changed(ctx,
                                "uncordoned Node %s, left cordoned by an upgrade that "
                                "stopped",
                                node);
        return 0;
}

static int masters_applies(struct pharos_step_ctx *ctx, void *state)
{
        return upgrade_applies(state, ctx, 1);
}

static int masters_run(struct pharos_step_ctx *ctx, void *state)
{
        return upgrade_run(state, ctx, 1);
}

static int workers_applies(struct pharos_step_ctx *ctx, void *state)
{
        return upgrade_applies(state, ctx, 0);
}

static int workers_run(struct pharos_step_ctx *ctx, void *state)
{
        return upgrade_run(state, ctx, 0);
}

/* upgrade.max_unavailable: validated (1..1000) and defaulted by the core. */
static unsigned workers_width(void *state)
{
        struct kadm_state *st = state;
        const struct pharos_host *H = st->host;
        int64_t v = 1;
        if (H->config_int(H->config_get(H->config_get(H->config_root(st->self), "upgrade"),
                                        "max_unavailable"),
                          &v) < 0 ||
            v < 1)
                v = 1;
        return (unsigned)v;
}

/* Before kubeadm.reconfigure: it uploads kubeadm.yaml's ClusterConfiguration, which
 * names the new version, and must not do so before `upgrade apply` moved the cluster. */
const struct pharos_step kadm_step_upgrade_masters = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.upgrade-masters",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.config", "kubeadm.init", NULL},
        .before = (const char *const[]){"kubeadm.reconfigure", "kubeadm.join-token", NULL},
        .flags = PHAROS_STEP_SERIAL,
        .description = "upgrade a master to kubernetes.version: kubeadm upgrade apply or node, "
                       "then its kubelet with the node drained",
        .applies = masters_applies,
        .run = masters_run,
};

const struct pharos_step kadm_step_upgrade_workers = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.upgrade-workers",
        .phase = "join",
        .flags = PHAROS_STEP_SERIAL,
        .description = "upgrade a worker to kubernetes.version: kubeadm upgrade node, then its "
                       "kubelet with the node drained (upgrade.max_unavailable at a time)",
        .applies = workers_applies,
        .run = workers_run,
        .serial_width = workers_width,
};
