#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include <pharos/version.h>

#include "cli/atomic_file.h"
#include "cli/cluster_api.h"
#include "cli/etcd_backup.h"
#include "kube/etcd_snapshot.h"
#include "kube/json.h"
#include "run/etcd_access.h"
#include "run/interrupt.h"
#include "run/kube_access.h"
#include "run/state.h"
#include "run/version_check.h"
#include "util/clock.h"

/* A snapshot may take long; a stalled one fails on its own (kube_request_stream). */
#define SNAPSHOT_TIMEOUT_MS (6L * 3600 * 1000)

/* What the description beside the snapshot says about where it came from. */
struct origin {
        char cluster[96];
        char version[64];
        const char *version_from;   /* "cluster state" or "cluster.yml" */
        const char *member;         /* the master's address in cluster.yml */
        const char *member_address; /* where its etcd listens */
        char etcd_version[64];
        char taken_at[32];
};

/* The streaming transfer: decoder, file, progress. */
struct transfer {
        struct etcd_snap *snap;
        struct atomic_file file;
        long long last_print_ms;
        int tty;
};

static void progress(struct transfer *t, int done)
{
        long long now = pharos_now_ms();
        if (!done && now - t->last_print_ms < 1000)
                return;
        t->last_print_ms = now;
        unsigned long long got = etcd_snap_received(t->snap), total = etcd_snap_total(t->snap);
        fprintf(stderr, "%sreceived %llu of %llu bytes (%llu%%)%s", t->tty ? "\r" : "", got, total,
                total ? got * 100 / total : 0ULL, t->tty && !done ? "" : "\n");
        fflush(stderr);
}

static int to_file(void *ud, const unsigned char *data, size_t len, struct pharos_error *err)
{
        struct transfer *t = ud;
        return atomic_file_write(&t->file, data, len, err);
}

static int on_body(void *ud, const char *data, size_t len, struct pharos_error *err)
{
        struct transfer *t = ud;
        if (run_interrupted())
                return perr_set(err, PERR_FAIL, "%s", run_interrupt_reason());
        int rc = etcd_snap_feed(t->snap, data, len, err);
        if (rc == 0)
                progress(t, 0);
        return rc;
}

/* data["key"] of the stored state, which keys with dots in them. */
static const char *state_value(yajl_val cm, const char *key)
{
        const char *path[] = {"data", key, NULL};
        yajl_val v = yajl_tree_get(cm, path, yajl_t_string);
        return v ? YAJL_GET_STRING(v) : NULL;
}

/* The cluster's name and Kubernetes version as the stored state has them (what
 * the last `pharos up` applied), else as cluster.yml says. */
static void read_origin(struct cluster_api *api, struct origin *o)
{
        const struct cluster_config *cfg = api->cfg;
        snprintf(o->cluster, sizeof(o->cluster), "%s", api->run.cluster_name);
        snprintf(o->version, sizeof(o->version), "%s", cfg->doc->kubernetes.version);
        o->version_from = "cluster.yml";
        struct kube_client *kc = NULL;
        struct pharos_error err = {0};
        struct kube_response resp = {0};
        if (run_kube(&api->run, &kc, &err) < 0 ||
            kube_request(kc, "GET", STATE_PATH, NULL, NULL, &resp, &err) < 0 ||
            resp.status != 200) {
                fprintf(stderr,
                        "the cluster state could not be read (%s): the name and version "
                        "recorded are cluster.yml's\n",
                        err.msg[0] ? err.msg : "no kube-system/pharos-config");
                kube_response_free(&resp);
                return;
        }
        yajl_val cm = json_parse(resp.body, NULL, 0);
        const char *name = cm ? state_value(cm, STATE_CLUSTER_NAME) : NULL;
        const char *version = cm ? state_value(cm, STATE_KUBE_VERSION) : NULL;
        if (name && !cfg->name)
                snprintf(o->cluster, sizeof(o->cluster), "%s", name);
        if (version) {
                snprintf(o->version, sizeof(o->version), "%s", version);
                o->version_from = "cluster state";
        }
        yajl_tree_free(cm);
        kube_response_free(&resp);
}

/* The first master, in cluster.yml's order, whose etcd answers healthy: its index. */
static long pick_member(struct cluster_api *api, struct origin *o, struct pharos_error *err)
{
        struct run *r = &api->run;
        char why[800] = "";
        for (size_t i = 0; i < r->n_hosts; i++) {
                struct run_host *h = &r->hosts[i];
                if (strcmp(h->cfg->role, "master") != 0 || !h->tp)
                        continue;
                struct run_tunnel tunnel;
                struct kube_client *kc = NULL;
                struct pharos_error e = {0};
                int rc = etcd_client_open(r, i, 0, &tunnel, &kc, &e);
                if (rc == 0)
                        rc = etcd_health(kc, h->cfg->address, &e);
                if (rc == 0) {
                        struct kube_response resp = {0};
                        yajl_val v = NULL;
                        if (kube_request(kc, "GET", "/version", NULL, NULL, &resp, &e) == 0 &&
                            resp.status == 200 && (v = json_parse(resp.body, NULL, 0)) &&
                            json_get_str(v, "etcdserver"))
                                snprintf(o->etcd_version, sizeof(o->etcd_version), "%s",
                                         json_get_str(v, "etcdserver"));
                        yajl_tree_free(v);
                        kube_response_free(&resp);
                }
                kube_client_free(kc);
                if (rc == 0) {
                        fprintf(stderr, "%s: etcd member healthy (etcd %s)\n", h->cfg->address,
                                o->etcd_version[0] ? o->etcd_version : "of unknown version");
                        o->member = h->cfg->address;
                        o->member_address = etcd_member_address(h);
                        return (long)i;
                }
                fprintf(stderr, "%s\n", e.msg);
                size_t used = strlen(why);
                snprintf(why + used, sizeof(why) - used, "%s%.200s", used ? "; " : "", e.msg);
        }
        return perr_set(err, PERR_FAIL, "no master's etcd member answers healthy%s%s%s",
                        why[0] ? " (" : "", why, why[0] ? ")" : "");
}

static void gen_str(yajl_gen g, const char *key, const char *value)
{
        yajl_gen_string(g, (const unsigned char *)key, strlen(key));
        if (value)
                yajl_gen_string(g, (const unsigned char *)value, strlen(value));
        else
                yajl_gen_null(g);
}

static void gen_num(yajl_gen g, const char *key, unsigned long long n)
{
        char text[32];
        snprintf(text, sizeof(text), "%llu", n);
        yajl_gen_string(g, (const unsigned char *)key, strlen(key));
        yajl_gen_number(g, text, strlen(text));
}

/* The description written beside the snapshot (the README lists its keys). */
static int write_description(struct atomic_file *f, const char *snapshot, const struct origin *o,
                             const struct etcd_snap_result *res, struct pharos_error *err)
{
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return perr_set(err, PERR_NOMEM, "out of memory");
        yajl_gen_config(g, yajl_gen_beautify, 1);
        yajl_gen_map_open(g);
        const char *base = strrchr(snapshot, '/');
        gen_str(g, "file", base ? base + 1 : snapshot);
        gen_num(g, "size", res->file_bytes);
        gen_str(g, "sha256", res->file_sha256);
        gen_num(g, "db_size", res->db_bytes);
        gen_str(g, "db_sha256", res->db_sha256);
        gen_str(g, "cluster_name", o->cluster);
        gen_str(g, "kubernetes_version", o->version);
        gen_str(g, "kubernetes_version_from", o->version_from);
        gen_str(g, "etcd_member", o->member);
        gen_str(g, "etcd_member_address", o->member_address);
        gen_str(g, "etcd_version", o->etcd_version[0] ? o->etcd_version : NULL);
        gen_str(g, "taken_at", o->taken_at);
        gen_str(g, "pharos_version", PHAROS_VERSION);
        yajl_gen_map_close(g);
        const unsigned char *buf = NULL;
        size_t len = 0;
        yajl_gen_get_buf(g, &buf, &len);
        int rc = atomic_file_write(f, buf, len, err);
        yajl_gen_free(g);
        return rc;
}

/* <cluster>-etcd-<UTC time>.db, the name reduced to characters safe in a file name. */
static void default_name(const struct origin *o, char *buf, size_t size)
{
        char name[96];
        snprintf(name, sizeof(name), "%s", o->cluster[0] ? o->cluster : "pharos");
        for (char *p = name; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                            *p))
                        *p = '_';
        char stamp[32];
        snprintf(stamp, sizeof(stamp), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", o->taken_at, o->taken_at + 5,
                 o->taken_at + 8, o->taken_at + 11, o->taken_at + 14, o->taken_at + 17);
        snprintf(buf, size, "%s-etcd-%s.db", name[0] == '.' ? "pharos" : name, stamp);
}

/* Streams the snapshot from master `member` into t->file and checks it whole. */
static int receive(struct run *r, size_t member, struct transfer *t, struct etcd_snap_result *res,
                   struct pharos_error *err)
{
        struct run_tunnel tunnel;
        struct kube_client *kc = NULL;
        int rc = etcd_client_open(r, member, SNAPSHOT_TIMEOUT_MS, &tunnel, &kc, err);
        if (rc < 0)
                return rc;
        t->snap = etcd_snap_new(to_file, t);
        if (!t->snap) {
                kube_client_free(kc);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        struct kube_response resp = {0};
        rc = kube_request_stream(kc, "POST", "/v3/maintenance/snapshot", "{}", on_body, t, &resp,
                                 err);
        kube_client_free(kc);
        if (rc == PERR_TRANSIENT) {
                /* The connection broke off: say how far it got, as a cut stream. */
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                if (etcd_snap_total(t->snap))
                        rc = perr_set(err, PERR_FAIL,
                                      "snapshot stream broke off after %llu of %llu bytes: %.600s",
                                      (unsigned long long)etcd_snap_received(t->snap),
                                      (unsigned long long)etcd_snap_total(t->snap), why);
                else
                        rc = perr_set(err, PERR_FAIL,
                                      "snapshot stream broke off before its first block: %.600s",
                                      why);
        } else if (rc == 0 && resp.status != 200) {
                rc = perr_set(err, PERR_FAIL, "etcd refused the snapshot (HTTP %ld): %.300s",
                              resp.status, resp.body);
        }
        kube_response_free(&resp);
        if (rc == 0)
                rc = etcd_snap_finish(t->snap, res, err);
        if (rc == 0)
                progress(t, 1);
        else if (t->tty)
                fputc('\n', stderr);
        return rc;
}

static int save(struct cluster_api *api, const struct etcd_backup_opts *opts, struct origin *o,
                size_t member, struct pharos_error *err)
{
        char path[PATH_MAX - 8], meta_path[PATH_MAX];
        if (opts->output)
                snprintf(path, sizeof(path), "%s", opts->output);
        else
                default_name(o, path, sizeof(path));
        snprintf(meta_path, sizeof(meta_path), "%s.json", path);
        int rc = atomic_file_check(path, opts->force, err);
        if (rc == 0)
                rc = atomic_file_check(meta_path, opts->force, err);
        struct transfer t = {.tty = isatty(2), .last_print_ms = pharos_now_ms()};
        struct atomic_file meta = {.fd = -1};
        t.file.fd = -1;
        if (rc == 0)
                rc = atomic_file_open(&t.file, path, err);
        struct etcd_snap_result res = {0};
        if (rc == 0) {
                fprintf(stderr, "taking a snapshot from %s's etcd into %s\n", o->member, path);
                rc = receive(&api->run, member, &t, &res, err);
        }
        if (rc == 0)
                rc = atomic_file_open(&meta, meta_path, err);
        if (rc == 0)
                rc = write_description(&meta, path, o, &res, err);
        /* The snapshot first, its description after: a description never stands
         * beside a file it does not describe. */
        if (rc == 0)
                rc = atomic_file_commit(&t.file, opts->force, err);
        if (rc == 0 && (rc = atomic_file_commit(&meta, opts->force, err)) < 0)
                unlink(path);
        atomic_file_discard(&t.file);
        atomic_file_discard(&meta);
        etcd_snap_free(t.snap);
        if (rc == 0)
                printf("saved %s (%llu bytes, sha256 %s) from the etcd member on %s; "
                       "described in %s\n",
                       path, (unsigned long long)res.file_bytes, res.file_sha256, o->member,
                       meta_path);
        return rc;
}

int etcd_backup(struct cli_ctx *ctx, const struct etcd_backup_opts *opts, struct pharos_error *err)
{
        /* An explicit file that is there is refused before any host is reached. */
        if (opts->output) {
                char meta_path[PATH_MAX];
                snprintf(meta_path, sizeof(meta_path), "%s.json", opts->output);
                int rc = atomic_file_check(opts->output, opts->force, err);
                if (rc == 0)
                        rc = atomic_file_check(meta_path, opts->force, err);
                if (rc < 0)
                        return rc;
        }
        struct cluster_api api;
        int rc = cluster_config_open(ctx, opts->config, &opts->tp, &api, err);
        if (rc == 0 && api.cfg->doc->etcd)
                rc = perr_set(err, PERR_USAGE,
                              "%s: etcd is external (etcd.endpoints): pharos backs up the stacked "
                              "etcd of the masters only; take the snapshot on an etcd host "
                              "with `etcdctl snapshot save`",
                              opts->config);
        struct origin o = {.version_from = "cluster.yml"};
        if (rc == 0) {
                char unreachable[600];
                cluster_masters_connect(&api, unreachable, sizeof(unreachable));
                if (unreachable[0])
                        fprintf(stderr, "not reached: %s\n", unreachable);
                time_t now = time(NULL);
                struct tm tm;
                gmtime_r(&now, &tm);
                strftime(o.taken_at, sizeof(o.taken_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
                read_origin(&api, &o);
        }
        long member = rc == 0 ? pick_member(&api, &o, err) : rc;
        if (member >= 0 && run_interrupted())
                member = perr_set(err, PERR_FAIL, "%s", run_interrupt_reason());
        if (member >= 0)
                rc = save(&api, opts, &o, (size_t)member, err);
        else
                rc = (int)member;
        cluster_api_close(&api);
        return rc;
}
