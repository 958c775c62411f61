#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/json.h"
#include "kube/kver.h"
#include "run/kube_access.h"
#include "run/stale_nodes.h"
#include "ssh/shquote.h"
#include "util/log.h"

/* kubeadm names a Node after its host's hostname in lower case. */
static int in_config(const struct run *r, const char *node)
{
        for (size_t i = 0; i < r->n_hosts; i++) {
                const char *h = r->hosts[i].facts[FACT_HOSTNAME];
                size_t k = 0;
                while (h && h[k] && node[k] && tolower((unsigned char)h[k]) == node[k])
                        k++;
                if (h && !h[k] && !node[k])
                        return 1;
        }
        return 0;
}

static int joined_by_worker_up(yajl_val node)
{
        const char *path[] = {"metadata", "labels", WORKER_UP_LABEL, NULL};
        return yajl_tree_get(node, path, yajl_t_any) != NULL;
}

/* A worker-up node's kubelet behind cluster.yml's version: what upgrades it by hand,
 * kubeadm's documented procedure for a worker (pharos up never touches the node). */
static void worker_up_behind(struct run *r, const char *name, const char *kubelet,
                             const char *config)
{
        const char *want = r->cfg->doc->kubernetes.version;
        char steps[700];
        snprintf(steps, sizeof(steps),
                 "pharos drain %s -c %s --ignore-daemonsets --delete-local-data; on %s: install "
                 "the kubeadm package %s, sudo kubeadm upgrade node, the kubelet and kubectl "
                 "packages %s, sudo systemctl restart kubelet; then kubectl uncordon %s",
                 name, config, name, want, want, name);
        if (r->opts.json) {
                char detail[900];
                snprintf(detail, sizeof(detail), "kubelet %s, not upgraded to %s: %s", kubelet,
                         want, steps);
                run_event(r, "nodes", name, NULL, "not-upgraded", 0, detail);
                return;
        }
        printf("    %-16s joined with `pharos worker up`: its kubelet is %s, not upgraded to %s\n"
               "                       by `pharos up`; add it to cluster.yml, or by hand:\n"
               "                       %s\n",
               name, kubelet, want, steps);
}

static void report(struct run *r, yajl_val node, const char *name, const char *config)
{
        /* The commands are meant to be pasted into a shell. */
        char *quoted = NULL;
        const char *safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+,:@";
        if (config[strspn(config, safe)])
                quoted = shq_word(config);
        const char *config_path = quoted ? quoted : config;
        if (joined_by_worker_up(node)) {
                const char *kubelet = json_get_str(node, "status.nodeInfo.kubeletVersion");
                struct kver have, want;
                if (kver_parse(kubelet, &have) == 0 &&
                    kver_parse(r->cfg->doc->kubernetes.version, &want) == 0 &&
                    kver_cmp(&have, &want) < 0)
                        worker_up_behind(r, name, kubelet, config_path);
                else if (r->opts.json)
                        run_event(r, "nodes", name, NULL, "worker-up", 0, NULL);
                else
                        printf("    %-16s joined with `pharos worker up`: not upgraded by "
                               "`pharos up` unless added to cluster.yml\n",
                               name);
        } else if (r->opts.json) {
                char cmds[700];
                snprintf(cmds, sizeof(cmds),
                         "pharos drain %s -c %s --ignore-daemonsets --delete-local-data && "
                         "pharos delete-node %s -c %s",
                         name, config_path, name, config_path);
                run_event(r, "nodes", name, NULL, "not-in-config", 0, cmds);
        } else {
                printf("    %-16s not in cluster.yml; once it is gone for good, run:\n"
                       "                       pharos drain %s -c %s --ignore-daemonsets "
                       "--delete-local-data\n"
                       "                       pharos delete-node %s -c %s\n",
                       name, name, config_path, name, config_path);
        }
        free(quoted);
}

void run_report_stale_nodes(struct run *r, const char *config_path)
{
        struct kube_client *kc = NULL;
        struct pharos_error err = {0};
        struct kube_response resp = {0};
        pthread_mutex_lock(&r->kube_mu);
        int rc = run_kube(r, &kc, &err);
        if (rc == 0)
                rc = kube_request(kc, "GET", "/api/v1/nodes", NULL, NULL, &resp, &err);
        pthread_mutex_unlock(&r->kube_mu);
        if (rc == 0 && resp.status != 200)
                rc = perr_set(&err, PERR_FAIL, "GET /api/v1/nodes: HTTP %ld", resp.status);
        char msg[128];
        yajl_val doc = rc == 0 ? json_parse(resp.body, msg, sizeof(msg)) : NULL;
        kube_response_free(&resp);
        yajl_val items = json_get(doc, "items");
        if (!YAJL_IS_ARRAY(items)) {
                log_warn("cannot list the cluster's nodes: %s", rc < 0 ? err.msg : "bad reply");
                yajl_tree_free(doc);
                return;
        }
        int header = 0;
        for (size_t i = 0; i < items->u.array.len; i++) {
                yajl_val node = items->u.array.values[i];
                const char *name = json_get_str(node, "metadata.name");
                if (!name || in_config(r, name))
                        continue;
                if (!header && !r->opts.json)
                        printf("==> nodes not in cluster.yml\n");
                header = 1;
                report(r, node, name, config_path);
        }
        fflush(stdout);
        yajl_tree_free(doc);
}
