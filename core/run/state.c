#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include <pharos/version.h>

#include "config/emit.h"
#include "kube/json.h"
#include "run/kube_access.h"
#include "run/state.h"
#include "run/version_check.h"
#include "util/log.h"

/* True when some master already has a control plane (kubeadm wrote admin.conf,
 * etcd has data). */
static int control_plane_exists(struct run *r)
{
        for (size_t i = 0; i < r->n_hosts; i++) {
                struct run_host *h = &r->hosts[i];
                if (strcmp(h->cfg->role, "master") != 0 || !h->tp)
                        continue;
                struct tp_result res = {0};
                struct pharos_error e = {0};
                int found =
                        run_pf_exec(h, KUBE_CONTROL_PLANE_TEST, &res, &e) == 0 && res.status == 0;
                tp_result_free(&res);
                if (found)
                        return 1;
        }
        return 0;
}

/* GETs the stored ConfigMap: *cm NULL when there is none. */
static int fetch(struct run *r, yajl_val *cm, struct pharos_error *err)
{
        struct kube_client *kc;
        *cm = NULL;
        int rc = run_kube(r, &kc, err);
        if (rc < 0)
                return rc;
        struct kube_response resp = {0};
        if ((rc = kube_request(kc, "GET", STATE_PATH, NULL, NULL, &resp, err)) < 0)
                return rc;
        if (resp.status == 200) {
                char msg[128];
                *cm = json_parse(resp.body, msg, sizeof(msg));
        } else if (resp.status != 404) {
                rc = perr_set(err, PERR_FAIL, "GET %s: HTTP %ld", STATE_PATH, resp.status);
        }
        kube_response_free(&resp);
        return rc;
}

/* data.KEY of the ConfigMap (keys hold dots, so no dotted lookup). */
static const char *data_of(yajl_val cm, const char *key)
{
        yajl_val data = json_get(cm, "data");
        for (size_t i = 0; YAJL_IS_OBJECT(data) && i < data->u.object.len; i++)
                if (!strcmp(data->u.object.keys[i], key) &&
                    YAJL_IS_STRING(data->u.object.values[i]))
                        return data->u.object.values[i]->u.string;
        return NULL;
}

static int immutable(struct pharos_error *err, const char *key, const char *have, const char *want,
                     const char *why)
{
        return perr_set(err, PERR_USAGE,
                        "%s: the cluster has %s, cluster.yml says %s. %s Nothing was changed.", key,
                        have, want, why);
}

/* The role the stored state gives address, or NULL. */
static const char *stored_role(const char *roles, const char *address, char *buf, size_t size)
{
        size_t alen = strlen(address);
        for (const char *line = roles; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                if (len > alen && strncmp(line, address, alen) == 0 && line[alen] == ' ') {
                        snprintf(buf, size, "%.*s", (int)(len - alen - 1), line + alen + 1);
                        return buf;
                }
                line = end ? end + 1 : NULL;
        }
        return NULL;
}

int state_check(struct run *r, struct pharos_error *err)
{
        if (!control_plane_exists(r))
                return 0;
        yajl_val cm = NULL;
        int rc = fetch(r, &cm, err);
        if (rc < 0)
                return rc;
        /* The version this run decides on: the write at the end must find it
         * unchanged, or it would overwrite what another writer decided. */
        r->state_read = 1;
        const char *rv = json_get_str(cm, "metadata.resourceVersion");
        snprintf(r->state_rv, sizeof(r->state_rv), "%s", rv ? rv : "");
        if (!cm)
                return version_check(r, NULL, err);
        const struct cfg_network *net = &r->cfg->doc->network;
        const char *v;
        /* Without a name in cluster.yml the cluster keeps the one it was given. */
        if (!r->cluster_name[0] && (v = data_of(cm, STATE_CLUSTER_NAME)))
                snprintf(r->cluster_name, sizeof(r->cluster_name), "%s", v);
        if ((v = data_of(cm, "network.provider")) && strcmp(v, net->provider) != 0)
                rc = immutable(err, "network.provider", v, net->provider,
                               "The pod network provider can't be replaced on a running cluster "
                               "(every pod would lose its network): keep it, or build a new "
                               "cluster.");
        else if ((v = data_of(cm, "network.service_cidr")) && strcmp(v, net->service_cidr) != 0)
                rc = immutable(err, "network.service_cidr", v, net->service_cidr,
                               "Service addresses are baked into every Service and the API "
                               "certificate: keep the range, or build a new cluster.");
        else if ((v = data_of(cm, "network.pod_network_cidr")) &&
                 strcmp(v, net->pod_network_cidr) != 0)
                rc = immutable(err, "network.pod_network_cidr", v, net->pod_network_cidr,
                               "Pods already hold addresses from the old range: keep it, or "
                               "build a new cluster.");
        const char *roles = data_of(cm, "host-roles");
        for (size_t i = 0; rc == 0 && i < r->n_hosts; i++) {
                char buf[32];
                const struct cfg_host *h = r->hosts[i].cfg;
                const char *was = stored_role(roles, h->address, buf, sizeof(buf));
                if (was && strcmp(was, h->role) != 0)
                        rc = perr_set(err, PERR_USAGE,
                                      "host %s is a %s in the cluster, cluster.yml makes it a %s. "
                                      "A host's role can't change in place: remove the host "
                                      "(pharos reset -a %s), then add it back with the new role. "
                                      "Nothing was changed.",
                                      h->address, was, h->role, h->address);
        }
        if (rc == 0)
                rc = version_check(r, data_of(cm, STATE_KUBE_VERSION), err);
        yajl_tree_free(cm);
        return rc;
}

static void kv(yajl_gen g, const char *k, const char *v)
{
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

/* The data the ConfigMap should hold now, as a yajl tree. */
static yajl_val desired(struct run *r, struct pharos_error *err)
{
        char *yaml = NULL;
        size_t len = 0;
        if (cfg_emit_yaml(r->cfg->doc->tree, 1, &yaml, &len) < 0) {
                perr_set(err, PERR_FAIL, "cannot render the configuration");
                return NULL;
        }
        size_t cap = 64;
        for (size_t i = 0; i < r->n_hosts; i++)
                cap += strlen(r->hosts[i].cfg->address) + strlen(r->hosts[i].cfg->role) + 2;
        char *roles = calloc(1, cap);
        for (size_t i = 0, off = 0; roles && i < r->n_hosts; i++)
                off += (size_t)snprintf(roles + off, cap - off, "%s %s\n", r->hosts[i].cfg->address,
                                        r->hosts[i].cfg->role);
        yajl_gen g = yajl_gen_alloc(NULL);
        const struct cfg_network *net = &r->cfg->doc->network;
        yajl_gen_map_open(g);
        kv(g, "cluster.yml", yaml);
        kv(g, "pharos-version", PHAROS_VERSION);
        kv(g, STATE_CLUSTER_NAME, r->cluster_name);
        kv(g, "network.provider", net->provider);
        kv(g, "network.service_cidr", net->service_cidr);
        kv(g, "network.pod_network_cidr", net->pod_network_cidr);
        kv(g, "host-roles", roles ? roles : "");
        kv(g, STATE_KUBE_VERSION, r->cfg->doc->kubernetes.version);
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t blen;
        yajl_gen_get_buf(g, &buf, &blen);
        char msg[128];
        yajl_val v = json_parse((const char *)buf, msg, sizeof(msg));
        yajl_gen_free(g);
        free(yaml);
        free(roles);
        return v;
}

/* A name like the original's: adjective-noun-NNNN. */
static void generate_name(char *buf, size_t size)
{
        static const char *const adjectives[] = {"amber", "brisk",  "calm",   "dusty", "eager",
                                                 "fancy", "gentle", "hidden", "icy",   "jolly",
                                                 "lucky", "misty",  "noble",  "quiet", "rapid"};
        static const char *const nouns[] = {"river",  "forest", "meadow", "canyon",  "harbor",
                                            "island", "valley", "summit", "glacier", "prairie",
                                            "lagoon", "delta",  "ridge",  "tundra",  "oasis"};
        unsigned char rnd[4] = {0};
        FILE *f = fopen("/dev/urandom", "r");
        if (f) {
                if (fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
                        memset(rnd, 0, sizeof(rnd));
                fclose(f);
        }
        snprintf(buf, size, "%s-%s-%04u", adjectives[rnd[0] % 15], nouns[rnd[1] % 15],
                 (unsigned)((rnd[2] << 8 | rnd[3]) % 10000));
}

int state_store(struct run *r, int *written, struct pharos_error *err)
{
        *written = 0;
        if (!r->cluster_name[0])
                generate_name(r->cluster_name, sizeof(r->cluster_name));
        if (!control_plane_exists(r)) {
                log_debug("no control plane yet: cluster state not stored");
                return 0;
        }
        yajl_val have = NULL;
        int rc = fetch(r, &have, err);
        if (rc < 0)
                return rc;
        yajl_val want = desired(r, err);
        if (!want) {
                yajl_tree_free(have);
                return PERR_FAIL;
        }
        char *a = have ? json_canonical(json_get(have, "data")) : NULL;
        char *b = json_canonical(want);
        int same = a && b && strcmp(a, b) == 0;
        free(a);
        /* Written only over the version state_check read ("" when there was
         * none, or no API to read it from then): a create then fails if the
         * ConfigMap appeared meanwhile, an update if it changed. */
        const char *expect = r->state_read ? r->state_rv : "";
        if (!same) {
                yajl_gen g = yajl_gen_alloc(NULL);
                yajl_gen_map_open(g);
                kv(g, "apiVersion", "v1");
                kv(g, "kind", "ConfigMap");
                yajl_gen_string(g, (const unsigned char *)"metadata", 8);
                yajl_gen_map_open(g);
                kv(g, "name", "pharos-config");
                kv(g, "namespace", "kube-system");
                if (expect[0])
                        kv(g, "resourceVersion", expect);
                yajl_gen_map_close(g);
                yajl_gen_string(g, (const unsigned char *)"data", 4);
                json_emit(g, want, 0);
                yajl_gen_map_close(g);
                const unsigned char *buf;
                size_t len;
                yajl_gen_get_buf(g, &buf, &len);
                struct kube_client *kc;
                struct kube_response resp = {0};
                rc = run_kube(r, &kc, err);
                if (rc == 0)
                        rc = kube_request(kc, expect[0] ? "PUT" : "POST",
                                          expect[0] ? STATE_PATH
                                                    : "/api/v1/namespaces/kube-system/configmaps",
                                          NULL, (const char *)buf, &resp, err);
                const char *now_rv = json_get_str(have, "metadata.resourceVersion");
                if (rc == 0 && resp.status == 409)
                        rc = perr_set(err, PERR_FAIL,
                                      "the stored cluster state (kube-system/pharos-config) was "
                                      "changed by someone else during this run (resourceVersion "
                                      "%s when the run checked it, %s now); it was not "
                                      "overwritten. Run `pharos up` again: it checks cluster.yml "
                                      "against the new state",
                                      expect[0] ? expect : "none", now_rv ? now_rv : "unknown");
                else if (rc == 0 && resp.status != 200 && resp.status != 201)
                        rc = perr_set(err, PERR_FAIL, "storing the cluster state: HTTP %ld: %.200s",
                                      resp.status, resp.body ? resp.body : "");
                kube_response_free(&resp);
                yajl_gen_free(g);
                *written = rc == 0;
        }
        free(b);
        yajl_tree_free(have);
        yajl_tree_free(want);
        return rc;
}
