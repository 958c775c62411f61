#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/json.h"
#include "kube/kver.h"
#include "run/kube_access.h"
#include "run/version_check.h"
#include "util/log.h"

/* GET path through the run's client: the parsed body, NULL with err set. */
static yajl_val api_get(struct run *r, const char *path, struct pharos_error *err)
{
        struct kube_client *kc;
        struct kube_response resp = {0};
        pthread_mutex_lock(&r->kube_mu);
        int rc = run_kube(r, &kc, err);
        if (rc == 0)
                rc = kube_request(kc, "GET", path, NULL, NULL, &resp, err);
        pthread_mutex_unlock(&r->kube_mu);
        yajl_val v = NULL;
        char msg[128] = "";
        if (rc == 0 && resp.status != 200)
                perr_set(err, PERR_FAIL, "GET %s: HTTP %ld", path, resp.status);
        else if (rc == 0 && !(v = json_parse(resp.body, msg, sizeof(msg))))
                perr_set(err, PERR_FAIL, "GET %s: %s", path, msg);
        kube_response_free(&resp);
        return v;
}

static int refuse(struct pharos_error *err, const char *want, const char *why)
{
        return perr_set(err, PERR_USAGE,
                        "kubernetes.version %s: %s. Nothing was changed; set kubernetes.version "
                        "to a version the cluster can move to.",
                        want, why);
}

/* The control plane's versions: the stored one and the API server's. They differ
 * while an upgrade is under way (the API server ahead) or when a run before the
 * upgrade steps stored a version it did not apply (the state behind): a downgrade
 * is counted from the newer (hi), a skip from the older (lo). */
static int cluster_versions(struct run *r, const char *stored, struct kver *lo, struct kver *hi,
                            struct kver *api, struct pharos_error *err)
{
        struct kver s = {0}, a = {0};
        int has_s = kver_parse(stored, &s) == 0;
        yajl_val info = api_get(r, "/version", err);
        if (!info)
                return PERR_FAIL;
        int has_a = kver_parse(json_get_str(info, "gitVersion"), &a) == 0;
        yajl_tree_free(info);
        if (!has_s && !has_a)
                return perr_set(err, PERR_FAIL,
                                "the cluster's version is unknown: no kubernetes.version in "
                                "kube-system/pharos-config and the API server's /version has "
                                "no gitVersion");
        if (!has_s)
                s = a;
        if (!has_a)
                a = s;
        *api = a;
        int stored_newer = kver_cmp(&s, &a) > 0;
        *hi = stored_newer ? s : a;
        *lo = stored_newer ? a : s;
        return 0;
}

/* Every Node's kubelet within the skew policy of an API server at want. */
static int check_kubelets(struct run *r, const char *want_text, const struct kver *want,
                          struct pharos_error *err)
{
        yajl_val list = api_get(r, "/api/v1/nodes", err);
        if (!list)
                return PERR_FAIL;
        yajl_val items = json_get(list, "items");
        char bad[1500] = "";
        size_t off = 0, n_bad = 0;
        for (size_t i = 0; YAJL_IS_ARRAY(items) && i < items->u.array.len; i++) {
                yajl_val node = items->u.array.values[i];
                const char *name = json_get_str(node, "metadata.name");
                const char *kv = json_get_str(node, "status.nodeInfo.kubeletVersion");
                struct kver k;
                char why[300];
                /* A Node whose kubelet never reported has no version to hold against. */
                if (!name || kver_parse(kv, &k) < 0 ||
                    kver_check_kubelet(&k, want, why, sizeof(why)) == 0)
                        continue;
                if (n_bad++ < 5 && off < sizeof(bad))
                        off += (size_t)snprintf(bad + off, sizeof(bad) - off, "%snode %s: %s",
                                                off ? "; " : "", name, why);
        }
        yajl_tree_free(list);
        if (!n_bad)
                return 0;
        char why[1700];
        snprintf(why, sizeof(why), "%s%s", bad, n_bad > 5 ? "; and more" : "");
        return refuse(err, want_text, why);
}

int version_check(struct run *r, const char *stored, struct pharos_error *err)
{
        const char *want_text = r->cfg->doc->kubernetes.version;
        struct kver want, lo = {0}, hi = {0}, api = {0};
        if (kver_parse(want_text, &want) < 0)
                return perr_set(err, PERR_USAGE, "kubernetes.version '%s' is not a version",
                                want_text);
        int rc = cluster_versions(r, stored, &lo, &hi, &api, err);
        if (rc < 0)
                return rc;
        char why[400];
        if (kver_check_upgrade(&hi, &want, why, sizeof(why)) < 0 ||
            kver_check_upgrade(&lo, &want, why, sizeof(why)) < 0)
                return refuse(err, want_text, why);
        /* A newer version is an upgrade the kubeadm plugin's steps carry out. */
        if (kver_cmp(&api, &want) < 0)
                log_info("upgrading the cluster from %ld.%ld.%ld to %s", api.major, api.minor,
                         api.patch, want_text);
        return check_kubelets(r, want_text, &want, err);
}
