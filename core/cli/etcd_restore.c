#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cli/cluster_api.h"
#include "cli/etcd_restore.h"
#include "kube/json.h"
#include "core_scripts.h"
#include "run/etcd_access.h"
#include "run/kube_access.h"

/* How long etcd and the API get to answer once the manifests are back. */
#define UP_TIMEOUT_S 180

/* The snapshot as read and checked against its description. */
struct snapshot {
        char *data;
        size_t len;
        char sha256[65];
        char cluster[96];
        char taken_at[40];
};

/* One master as its etcd manifest describes its member. */
struct member {
        size_t host;
        char name[128];
        char peer[256];
        char data_dir[256];
};

/* What every step of one run shares. */
struct restore {
        struct run *run;
        const struct etcd_restore_opts *opts;
        char stamp[24];
        char token[48];
        char cluster[2048]; /* --initial-cluster */
        struct member *m;   /* the masters, while apply() runs */
        size_t n;
        int changed; /* a master's control plane was stopped: a re-run repairs */
};

static int read_whole(const char *path, char **data, size_t *len, struct pharos_error *err)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return perr_set(err, PERR_USAGE, "%s: %s", path, strerror(errno));
        size_t cap = 1 << 16, n = 0, got;
        char *buf = malloc(cap + 1);
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
                n += got;
                if (n == cap) {
                        char *more = realloc(buf, cap * 2 + 1);
                        if (!more)
                                free(buf);
                        buf = more;
                        cap *= 2;
                }
        }
        int bad = ferror(f);
        fclose(f);
        if (!buf)
                return perr_set(err, PERR_NOMEM, "%s: out of memory", path);
        if (bad) {
                free(buf);
                return perr_set(err, PERR_USAGE, "%s: read error", path);
        }
        buf[n] = '\0';
        *data = buf;
        *len = n;
        return 0;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
        for (size_t i = 0; i < md_len && i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Reads FILE and FILE.json and refuses a file its description does not describe. */
static int load_snapshot(const char *file, struct snapshot *s, struct pharos_error *err)
{
        char meta_path[PATH_MAX];
        snprintf(meta_path, sizeof(meta_path), "%s.json", file);
        char *meta = NULL;
        size_t meta_len = 0;
        if (access(meta_path, F_OK) != 0)
                return perr_set(err, PERR_USAGE,
                                "%s is missing: only a snapshot `pharos etcd backup` described "
                                "can be restored",
                                meta_path);
        int rc = read_whole(meta_path, &meta, &meta_len, err);
        if (rc < 0)
                return rc;
        char msg[200];
        yajl_val v = json_parse(meta, msg, sizeof(msg));
        free(meta);
        const char *sum = v ? json_get_str(v, "sha256") : NULL;
        const char *cluster = v ? json_get_str(v, "cluster_name") : NULL;
        const char *taken = v ? json_get_str(v, "taken_at") : NULL;
        if (!sum || strlen(sum) != 64 || !cluster) {
                yajl_tree_free(v);
                return perr_set(err, PERR_USAGE, "%s: not a snapshot description (%s)", meta_path,
                                v ? "no sha256 or cluster_name" : msg);
        }
        snprintf(s->cluster, sizeof(s->cluster), "%s", cluster);
        snprintf(s->taken_at, sizeof(s->taken_at), "%s", taken ? taken : "at an unknown time");
        char want[65];
        snprintf(want, sizeof(want), "%s", sum);
        yajl_tree_free(v);
        rc = read_whole(file, &s->data, &s->len, err);
        if (rc < 0)
                return rc;
        sha256_hex(s->data, s->len, s->sha256);
        if (strcmp(s->sha256, want) != 0)
                return perr_set(err, PERR_USAGE,
                                "%s: sha256 %s, but %s says %s: the file changed since it was "
                                "saved; refusing to restore it",
                                file, s->sha256, meta_path, want);
        return 0;
}

static const char *master_name(const struct run *r, size_t i)
{
        return r->hosts[i].cfg->address;
}

/* Runs one action of the host script on master m; its last output line goes
 * into out. Returns 0 or PERR_FAIL naming the host and the action. */
static int host_step(struct restore *rs, const struct member *m, const char *action,
                     const char *snapshot, char *out, size_t size, struct pharos_error *err)
{
        struct run_host *h = &rs->run->hosts[m->host];
        const struct tp_env env[] = {
                {"RESTORE_ACTION", action},     {"RESTORE_STAMP", rs->stamp},
                {"RESTORE_SNAPSHOT", snapshot}, {"RESTORE_NAME", m->name},
                {"RESTORE_PEER_URL", m->peer},  {"RESTORE_CLUSTER", rs->cluster},
                {"RESTORE_TOKEN", rs->token},
        };
        struct tp_cmd io = {.capture = 1, .timeout_ms = 15 * 60 * 1000};
        struct tp_result res = {0};
        int rc = tp_script(h->tp, script_etcd_restore_host_sh, env, sizeof(env) / sizeof(env[0]), 1,
                           &io, &res, err);
        if (rc == 0 && res.status != 0) {
                char *why = res.err ? res.err : "";
                for (size_t n = strlen(why); n > 0 && why[n - 1] == '\n'; n--)
                        why[n - 1] = '\0';
                const char *last = strrchr(why, '\n');
                rc = perr_set(err, PERR_FAIL, "%s: %s failed (exit %d): %.400s", h->cfg->address,
                              action, res.status, last ? last + 1 : why);
        } else if (rc < 0) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                rc = perr_set(err, PERR_FAIL, "%s: %s: %.600s", h->cfg->address, action, why);
        }
        if (out) {
                char *text = res.out ? res.out : "";
                for (size_t n = strlen(text); n > 0 && text[n - 1] == '\n'; n--)
                        text[n - 1] = '\0';
                snprintf(out, size, "%s", text);
        }
        tp_result_free(&res);
        return rc;
}

/* "key=value" lines of the inspect action into m. */
static int parse_inspect(const char *text, struct member *m, const char *address,
                         struct pharos_error *err)
{
        struct {
                const char *key;
                char *dst;
                size_t size;
        } keys[] = {{"name=", m->name, sizeof(m->name)},
                    {"peer=", m->peer, sizeof(m->peer)},
                    {"data_dir=", m->data_dir, sizeof(m->data_dir)}};
        for (size_t k = 0; k < 3; k++) {
                const char *p = strstr(text, keys[k].key);
                if (p && (p == text || p[-1] == '\n'))
                        snprintf(keys[k].dst, keys[k].size, "%.*s",
                                 (int)strcspn(p + strlen(keys[k].key), "\n"),
                                 p + strlen(keys[k].key));
                if (!keys[k].dst[0])
                        return perr_set(err, PERR_FAIL,
                                        "%s: the etcd manifest has no --%.*s: cannot restore its "
                                        "member",
                                        address, (int)strlen(keys[k].key) - 1, keys[k].key);
        }
        return 0;
}

/* Puts back what an earlier run left half done, and reads each member's name,
 * peer URL and data directory. */
static int inspect(struct restore *rs, struct pharos_error *err)
{
        for (size_t i = 0; i < rs->n; i++) {
                struct member *m = &rs->m[i];
                const char *addr = master_name(rs->run, m->host);
                char out[1024];
                int rc = host_step(rs, m, "recover", "", out, sizeof(out), err);
                if (rc < 0)
                        return rc;
                if (out[0])
                        fprintf(stderr, "%s: from an earlier run: %s\n", addr, out);
                rc = host_step(rs, m, "inspect", "", out, sizeof(out), err);
                if (rc == 0)
                        rc = parse_inspect(out, m, addr, err);
                if (rc < 0)
                        return rc;
                size_t used = strlen(rs->cluster);
                snprintf(rs->cluster + used, sizeof(rs->cluster) - used, "%s%s=%s", used ? "," : "",
                         m->name, m->peer);
                fprintf(stderr, "%s: etcd member %s, peer %s, data in %s\n", addr, m->name, m->peer,
                        m->data_dir);
        }
        return 0;
}

/* Every member's new data directory, made while etcd still runs. */
static int restore_dirs(struct restore *rs, const struct snapshot *s, struct pharos_error *err)
{
        for (size_t i = 0; i < rs->n; i++) {
                struct member *m = &rs->m[i];
                struct run_host *h = &rs->run->hosts[m->host];
                char path[400];
                snprintf(path, sizeof(path), "%s/pharos-restore-%s.db", m->data_dir, rs->stamp);
                fprintf(stderr, "%s: uploading the snapshot (%zu bytes) to %s\n", h->cfg->address,
                        s->len, path);
                int rc = tp_upload(h->tp, path, s->data, s->len, 0600, NULL, err);
                if (rc < 0) {
                        char why[sizeof(err->msg)];
                        snprintf(why, sizeof(why), "%s", err->msg);
                        return perr_set(err, PERR_FAIL, "%s: upload: %.600s", h->cfg->address, why);
                }
                char out[512];
                rc = host_step(rs, m, "restore", path, out, sizeof(out), err);
                if (rc < 0)
                        return rc;
                fprintf(stderr, "%s: %s\n", h->cfg->address, out);
        }
        return 0;
}

/* One action on every master in turn; `doing` says what it does. */
static int each(struct restore *rs, const char *action, const char *doing, struct pharos_error *err)
{
        for (size_t i = 0; i < rs->n; i++) {
                char out[512];
                fprintf(stderr, "%s: %s\n", master_name(rs->run, rs->m[i].host), doing);
                int rc = host_step(rs, &rs->m[i], action, "", out, sizeof(out), err);
                if (rc < 0)
                        return rc;
                fprintf(stderr, "%s: %s\n", master_name(rs->run, rs->m[i].host), out);
        }
        return 0;
}

/* Waits until every member answers healthy, then the API. */
static int wait_up(struct restore *rs, struct pharos_error *err)
{
        struct run *r = rs->run;
        time_t deadline = time(NULL) + UP_TIMEOUT_S;
        for (size_t i = 0; i < rs->n; i++) {
                size_t host = rs->m[i].host;
                for (;;) {
                        struct run_tunnel tunnel;
                        struct kube_client *kc = NULL;
                        int rc = etcd_client_open(r, host, 0, &tunnel, &kc, err);
                        if (rc == 0)
                                rc = etcd_health(kc, master_name(r, host), err);
                        kube_client_free(kc);
                        if (rc == 0)
                                break;
                        if (time(NULL) > deadline)
                                return rc;
                        sleep(2);
                }
                fprintf(stderr, "%s: etcd member healthy\n", master_name(r, host));
        }
        for (;;) {
                struct kube_client *kc = NULL;
                struct kube_response resp = {0};
                int rc = run_kube(r, &kc, err);
                if (rc == 0)
                        rc = kube_request(kc, "GET", "/api/v1/namespaces/kube-system", NULL, NULL,
                                          &resp, err);
                if (rc == 0 && resp.status != 200)
                        rc = perr_set(err, PERR_FAIL, "the API answers HTTP %ld", resp.status);
                kube_response_free(&resp);
                if (rc == 0)
                        break;
                run_kube_close(r);
                if (time(NULL) > deadline)
                        return perr_set(err, PERR_FAIL, "the Kubernetes API is not back: %.600s",
                                        err->msg);
                sleep(2);
        }
        fprintf(stderr, "the Kubernetes API answers\n");
        return 0;
}

static void print_plan(const struct restore *rs, const struct snapshot *s)
{
        printf("pharos etcd restore would replace the data of cluster %s's etcd with %s\n"
               "(taken %s, %zu bytes, sha256 %s) on these masters:\n",
               s->cluster, rs->opts->file, s->taken_at, s->len, s->sha256);
        for (size_t i = 0; i < rs->run->n_hosts; i++)
                if (strcmp(rs->run->hosts[i].cfg->role, "master") == 0)
                        printf("  %s\n", rs->run->hosts[i].cfg->address);
        printf("On each: the snapshot restored into a new etcd data directory with etcdutl, the\n"
               "API servers, controller managers, schedulers and etcd stopped (their static pod\n"
               "manifests moved to /etc/kubernetes/pharos-restore), the current data moved aside\n"
               "to member.pre-restore-TIME in etcd's data directory (kept, never deleted), the\n"
               "restored data moved in and the manifests put back. Everything written to the\n"
               "cluster since the snapshot was taken is lost from the API.\n");
}

static int run_restore(struct restore *rs, const struct snapshot *s, struct pharos_error *err)
{
        int rc = inspect(rs, err);
        if (rc == 0)
                rc = restore_dirs(rs, s, err);
        if (rc == 0) {
                rs->changed = 1;
                rc = each(rs, "stop", "stopping the control plane and etcd", err);
        }
        if (rc == 0)
                rc = each(rs, "swap", "moving the data aside and the restored data in", err);
        if (rc == 0)
                rc = each(rs, "start", "starting etcd and the control plane", err);
        if (rc == 0)
                rc = wait_up(rs, err);
        return rc;
}

/* Connects to every master and restores onto them; a failure says whether a
 * re-run is needed to repair. */
static int apply(struct restore *rs, struct cluster_api *api, const struct snapshot *s,
                 struct pharos_error *err)
{
        struct member *m = calloc(api->run.n_hosts + 1, sizeof(*m));
        if (!m)
                return perr_set(err, PERR_NOMEM, "out of memory");
        rs->m = m;
        char unreachable[600];
        cluster_masters_connect(api, unreachable, sizeof(unreachable));
        if (unreachable[0]) {
                free(m);
                return perr_set(err, PERR_FAIL,
                                "every master must be reached to restore, nothing changed: %s",
                                unreachable);
        }
        for (size_t i = 0; i < api->run.n_hosts; i++)
                if (strcmp(api->run.hosts[i].cfg->role, "master") == 0)
                        m[rs->n++].host = i;
        fprintf(stderr, "restoring %s (cluster %s, taken %s) onto %zu master%s\n", rs->opts->file,
                s->cluster, s->taken_at, rs->n, rs->n == 1 ? "" : "s");
        int rc = run_restore(rs, s, err);
        if (rc < 0) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                if (rs->changed)
                        perr_set(err, rc,
                                 "%.600s; to repair, run `pharos etcd restore -c %s %s --yes` "
                                 "again: it first puts back what this run moved aside",
                                 why, rs->opts->config, rs->opts->file);
                else
                        perr_set(err, rc, "%.600s; nothing was changed", why);
        }
        rs->m = NULL;
        free(m);
        return rc;
}

int etcd_restore(struct cli_ctx *ctx, const struct etcd_restore_opts *opts,
                 struct pharos_error *err)
{
        struct snapshot s = {0};
        int rc = load_snapshot(opts->file, &s, err);
        if (rc < 0) {
                free(s.data);
                return rc;
        }
        struct cluster_api api;
        rc = cluster_config_open(ctx, opts->config, &opts->tp, &api, err);
        if (rc == 0 && api.cfg->doc->etcd)
                rc = perr_set(err, PERR_USAGE,
                              "%s: etcd is external (etcd.endpoints): pharos restores the "
                              "stacked etcd of the masters only; restore it where it runs with "
                              "`etcdutl snapshot restore`",
                              opts->config);
        /* A cluster.yml without a name leaves it to the stored state, which the
         * API holds: in a disaster it may not answer, so the snapshot's is taken. */
        if (rc == 0 && api.cfg->name && strcmp(api.cfg->name, s.cluster) != 0)
                rc = perr_set(err, PERR_USAGE,
                              "%s is a snapshot of cluster '%s', and %s names '%s': refusing to "
                              "restore it there (to restore it anyway, give a copy of "
                              "cluster.yml with name: %s)",
                              opts->file, s.cluster, opts->config, api.cfg->name, s.cluster);
        struct restore rs = {.run = &api.run, .opts = opts};
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(rs.stamp, sizeof(rs.stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(rs.token, sizeof(rs.token), "pharos-restore-%s", rs.stamp);
        if (rc == 0 && !opts->yes) {
                print_plan(&rs, &s);
                rc = perr_set(err, PERR_USAGE, "nothing changed: give --yes to restore");
        }
        if (rc == 0)
                rc = apply(&rs, &api, &s, err);
        if (rc == 0)
                printf("restored %s onto %zu master%s; the data they had is kept in "
                       "member.pre-restore-%s in each etcd data directory\n",
                       opts->file, rs.n, rs.n == 1 ? "" : "s", rs.stamp);
        cluster_api_close(&api);
        free(s.data);
        return rc;
}
