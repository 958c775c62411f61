/* The Lease half of the cluster lock (run/lock.h): kube-system/pharos-lock. */
#define _GNU_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "kube/json.h"
#include "kube/kubeconfig.h"
#include "run/interrupt.h"
#include "run/kube_access.h"
#include "run/lock.h"
#include "run/lock_impl.h"
#include "util/log.h"

#define LEASE_NAME        "pharos-lock"
#define LEASE_COLLECTION  "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
#define LEASE_PATH        LEASE_COLLECTION "/" LEASE_NAME
#define HOLDER_ANNOTATION "pharos.kontena.io/lock-holder"
#define POLL_S            2.0

void lock_micro_time(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        char secs[32];
        strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%06ldZ", secs, ts.tv_nsec / 1000);
}

/* Seconds since the epoch of a MicroTime/RFC 3339 UTC time, or 0. */
static time_t parse_time(const char *s)
{
        struct tm tm = {0};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return timegm(&tm);
}

/* A client to master i's API with the admin credentials the lock keeps. */
static int connect_master(struct run_lock *l, size_t i, struct pharos_error *err)
{
        kube_client_free(l->kube);
        l->kube = NULL;
        const char *addr = l->r->hosts[i].cfg->address;
        char server[300];
        run_https_url(addr, KUBE_API_PORT, server, sizeof(server));
        run_tunnel_init(l->r, i, addr, KUBE_API_PORT, &l->tunnel);
        struct kube_conn conn = {.server = server,
                                 .open_socket = run_tunnel_open,
                                 .socket_ud = &l->tunnel,
                                 .ca_pem = l->admin.ca_pem,
                                 .cert_pem = l->admin.cert_pem,
                                 .key_pem = l->admin.key_pem,
                                 .timeout_ms = 10000};
        l->api_master = i;
        return kube_client_new(&conn, &l->kube, err);
}

/*
 * The lock's own API client over its own tunnel: the run's client is shared by
 * the steps under r->kube_mu, and a renewal must not wait behind a long step.
 * admin.conf is read through the run's connections, so only from the main
 * thread between steps (run_lock_take, the phase hook).
 */
static int lease_client(struct run_lock *l, struct pharos_error *err)
{
        if (l->kube)
                return 0;
        if (!l->have_admin) {
                int rc = PERR_FAIL;
                for (size_t i = 0; i < l->r->n_hosts && rc < 0; i++) {
                        struct run_host *h = &l->r->hosts[i];
                        if (h->tp && !strcmp(h->cfg->role, "master"))
                                rc = run_admin_conf(h, &l->admin, err);
                }
                if (rc < 0)
                        return rc;
                l->have_admin = 1;
        }
        return connect_master(l, l->master, err);
}

/* After a request got no answer: the next master of cluster.yml (every
 * admin.conf is signed by the same CA), so a master that went away (reset)
 * does not keep the Lease from being renewed or released. */
static int next_master(struct run_lock *l)
{
        size_t n = l->r->n_hosts;
        for (size_t k = 1; k < n; k++) {
                size_t i = (l->api_master + k) % n;
                struct pharos_error e = {0};
                if (!strcmp(l->r->hosts[i].cfg->role, "master") && connect_master(l, i, &e) == 0)
                        return 1;
        }
        return 0;
}

static void gen_str(yajl_gen g, const char *k, const char *v)
{
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void gen_int(yajl_gen g, const char *k, long long v)
{
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        yajl_gen_integer(g, v);
}

/* Sends the Lease: held by this run (holding) or by nobody, with rv as the
 * precondition (NULL: create). Returns the HTTP status (0: no answer) and
 * keeps the new resourceVersion. */
static long send_lease(struct run_lock *l, int holding, const char *rv, struct pharos_error *err)
{
        char now[40];
        lock_micro_time(now, sizeof(now));
        yajl_gen g = yajl_gen_alloc(NULL);
        if (!g)
                return 0;
        yajl_gen_map_open(g);
        gen_str(g, "apiVersion", "coordination.k8s.io/v1");
        gen_str(g, "kind", "Lease");
        yajl_gen_string(g, (const unsigned char *)"metadata", 8);
        yajl_gen_map_open(g);
        gen_str(g, "name", LEASE_NAME);
        gen_str(g, "namespace", "kube-system");
        if (rv)
                gen_str(g, "resourceVersion", rv);
        if (holding) {
                yajl_gen_string(g, (const unsigned char *)"annotations", 11);
                yajl_gen_map_open(g);
                gen_str(g, HOLDER_ANNOTATION, l->holder);
                yajl_gen_map_close(g);
        }
        yajl_gen_map_close(g);
        yajl_gen_string(g, (const unsigned char *)"spec", 4);
        yajl_gen_map_open(g);
        if (holding) {
                gen_str(g, "holderIdentity", l->token);
                gen_str(g, "acquireTime", l->acquired_at);
                gen_str(g, "renewTime", now);
        }
        gen_int(g, "leaseDurationSeconds", RUN_LOCK_TTL_S);
        gen_int(g, "leaseTransitions", l->transitions);
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(g, &buf, &len);
        struct kube_response resp = {0};
        long status = 0;
        int sent = kube_request(l->kube, rv ? "PUT" : "POST", rv ? LEASE_PATH : LEASE_COLLECTION,
                                NULL, (const char *)buf, &resp, err) == 0;
        for (size_t tries = 1; !sent && tries < l->r->n_hosts && next_master(l); tries++)
                sent = kube_request(l->kube, rv ? "PUT" : "POST",
                                    rv ? LEASE_PATH : LEASE_COLLECTION, NULL, (const char *)buf,
                                    &resp, err) == 0;
        if (sent) {
                status = resp.status;
                char msg[128];
                yajl_val obj = status == 200 || status == 201
                                       ? json_parse(resp.body, msg, sizeof(msg))
                                       : NULL;
                const char *nrv = json_get_str(obj, "metadata.resourceVersion");
                if (nrv)
                        snprintf(l->lease_rv, sizeof(l->lease_rv), "%s", nrv);
                yajl_tree_free(obj);
        }
        kube_response_free(&resp);
        yajl_gen_free(g);
        return status;
}

/* What the stored Lease says. */
struct lease_seen {
        long status; /* of the GET: 200, 404 ... (0: no answer) */
        char rv[64];
        char holder_id[128];
        char holder[256];
        long duration;
        time_t renewed;
        long transitions;
};

static void get_lease(struct run_lock *l, struct lease_seen *s, struct pharos_error *err)
{
        memset(s, 0, sizeof(*s));
        struct kube_response resp = {0};
        int sent = kube_request(l->kube, "GET", LEASE_PATH, NULL, NULL, &resp, err) == 0;
        for (size_t tries = 1; !sent && tries < l->r->n_hosts && next_master(l); tries++)
                sent = kube_request(l->kube, "GET", LEASE_PATH, NULL, NULL, &resp, err) == 0;
        if (sent)
                s->status = resp.status;
        char msg[128];
        yajl_val obj = s->status == 200 ? json_parse(resp.body, msg, sizeof(msg)) : NULL;
        const char *v;
        if ((v = json_get_str(obj, "metadata.resourceVersion")))
                snprintf(s->rv, sizeof(s->rv), "%s", v);
        if ((v = json_get_str(obj, "spec.holderIdentity")))
                snprintf(s->holder_id, sizeof(s->holder_id), "%s", v);
        yajl_val ann = json_get(obj, "metadata.annotations");
        for (size_t i = 0; YAJL_IS_OBJECT(ann) && i < ann->u.object.len; i++)
                if (!strcmp(ann->u.object.keys[i], HOLDER_ANNOTATION) &&
                    YAJL_IS_STRING(ann->u.object.values[i]))
                        snprintf(s->holder, sizeof(s->holder), "%s",
                                 ann->u.object.values[i]->u.string);
        yajl_val n = json_get(obj, "spec.leaseDurationSeconds");
        s->duration = YAJL_IS_INTEGER(n) ? (long)YAJL_GET_INTEGER(n) : 0;
        n = json_get(obj, "spec.leaseTransitions");
        s->transitions = YAJL_IS_INTEGER(n) ? (long)YAJL_GET_INTEGER(n) : 0;
        s->renewed = parse_time(json_get_str(obj, "spec.renewTime"));
        yajl_tree_free(obj);
        kube_response_free(&resp);
}

int lease_take(struct run_lock *l, struct pharos_error *err)
{
        if (lease_client(l, err) < 0)
                return PERR_TRANSIENT;
        /* Like client-go's leader election, expiry is also judged by what this
         * run saw: a Lease whose resourceVersion stood still for its whole
         * duration is not being renewed, whatever the clocks say. */
        char seen_rv[64] = "";
        double t0 = run_elapsed(l->r), seen_at = 0;
        int announced = 0;
        const char *addr = l->r->hosts[l->master].cfg->address;
        for (;;) {
                struct lease_seen s;
                get_lease(l, &s, err);
                if (s.status != 200 && s.status != 404)
                        return perr_set(err, PERR_TRANSIENT, "%s: reading the Lease %s: %s", addr,
                                        LEASE_PATH, s.status ? "unexpected HTTP status" : err->msg);
                double now = run_elapsed(l->r);
                if (strcmp(seen_rv, s.rv) != 0) {
                        snprintf(seen_rv, sizeof(seen_rv), "%s", s.rv);
                        seen_at = now;
                }
                long dur = s.duration > 0 ? s.duration : RUN_LOCK_TTL_S;
                int free_now =
                        s.status == 404 || !s.holder_id[0] || !strcmp(s.holder_id, l->token) ||
                        (s.renewed && time(NULL) > s.renewed + dur) || now - seen_at > (double)dur;
                if (free_now) {
                        int ours = s.status == 200 && !strcmp(s.holder_id, l->token);
                        l->transitions = s.transitions + (s.status == 200 && !ours);
                        if (!ours)
                                lock_micro_time(l->acquired_at, sizeof(l->acquired_at));
                        long st = send_lease(l, 1, s.status == 200 ? s.rv : NULL, err);
                        if (st == 200 || st == 201) {
                                l->lease_held = 1;
                                /* Another run held it: the hosts may have changed
                                 * since this run read them. */
                                if (announced || (s.status == 200 && s.holder_id[0] && !ours))
                                        run_pf_stale(l->r, NULL);
                                return 0;
                        }
                        /* 409: another run wrote first (created it or took it over). */
                        if (st != 409)
                                return perr_set(err, PERR_FAIL, "%s: taking the Lease %s: HTTP %ld",
                                                addr, LEASE_PATH, st);
                        continue;
                }
                if (now - t0 >= l->timeout_s)
                        return perr_set(err, PERR_FAIL,
                                        "the cluster is locked by another pharos run (%s; Lease "
                                        "kube-system/" LEASE_NAME ", expires %ld s after its last "
                                        "renewal); gave up after waiting %.0f s (--lock-timeout)",
                                        s.holder[0] ? s.holder : s.holder_id, dur, now - t0);
                if (!announced) {
                        announced = 1;
                        run_event(l->r, "lock", addr, "lease", "waiting", now,
                                  s.holder[0] ? s.holder : s.holder_id);
                }
                /* The host lock goes on being renewed meanwhile. */
                pthread_mutex_unlock(&l->mu);
                int stop = run_sleep(POLL_S);
                pthread_mutex_lock(&l->mu);
                if (stop)
                        return perr_set(err, PERR_FAIL, "%s while waiting for the cluster lock",
                                        run_interrupt_reason());
        }
}

int lease_renew(struct run_lock *l, struct pharos_error *err)
{
        long st = send_lease(l, 1, l->lease_rv, err);
        if (st == 200)
                return 0;
        /* A conflict with ourselves (an answer lost on the way) is settled by
         * reading back who holds it. */
        struct lease_seen s;
        get_lease(l, &s, err);
        if (s.status == 200 && !strcmp(s.holder_id, l->token)) {
                snprintf(l->lease_rv, sizeof(l->lease_rv), "%s", s.rv);
                st = send_lease(l, 1, l->lease_rv, err);
                if (st == 200)
                        return 0;
        }
        if (s.status == 200 && strcmp(s.holder_id, l->token) != 0)
                return perr_set(err, PERR_FAIL, "the cluster lock (Lease) was taken by %s",
                                s.holder[0] ? s.holder : s.holder_id);
        return perr_set(err, PERR_TRANSIENT, "renewing the cluster lock: HTTP %ld", st);
}

void lease_release(struct run_lock *l)
{
        if (l->lease_held) {
                struct pharos_error err = {0};
                long st = send_lease(l, 0, l->lease_rv, &err);
                if (st != 200)
                        log_debug("releasing the Lease " LEASE_PATH ": HTTP %ld %s", st, err.msg);
                l->lease_held = 0;
        }
        kube_client_free(l->kube);
        l->kube = NULL;
        if (l->have_admin)
                kubeconfig_free(&l->admin);
        l->have_admin = 0;
}
