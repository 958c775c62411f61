#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core_scripts.h"
#include "run/interrupt.h"
#include "run/kube_access.h"
#include "run/lock.h"
#include "run/lock_impl.h"
#include "ssh/target_cfg.h"
#include "util/log.h"

#define POLL_S 2.0

int run_lock_parse_timeout(const char *text, double *out)
{
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end || v < 0 || v > 86400)
                return -1;
        *out = (double)v;
        return 0;
}

/* Keeps what goes to the lock file and the Lease annotation on one plain line. */
static void plain(char *s)
{
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr(" .,:_@/+-", *s)))
                        *s = '?';
}

static void identity(struct run_lock *l)
{
        char host[128] = "";
        if (gethostname(host, sizeof(host) - 1) != 0)
                snprintf(host, sizeof(host), "unknown");
        const struct passwd *pw = getpwuid(geteuid());
        char started[40];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
        unsigned char rnd[4] = {0};
        FILE *f = fopen("/dev/urandom", "r");
        if (f) {
                if (fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
                        memset(rnd, 0, sizeof(rnd));
                fclose(f);
        }
        snprintf(l->token, sizeof(l->token), "%.80s:%ld:%02x%02x%02x%02x", host, (long)getpid(),
                 rnd[0], rnd[1], rnd[2], rnd[3]);
        snprintf(l->holder, sizeof(l->holder), "host %.100s, pid %ld, user %.64s, started %s", host,
                 (long)getpid(), pw ? pw->pw_name : "?", started);
        plain(l->token);
        plain(l->holder);
}

/* Runs lock_host.sh; returns its exit status (<0: it could not run) and its output. */
static int host_script(struct run_lock *l, const char *action, char *out, size_t size,
                       struct pharos_error *err)
{
        char ttl[16];
        snprintf(ttl, sizeof(ttl), "%d", RUN_LOCK_TTL_S);
        const struct tp_env env[] = {{"LOCK_ACTION", action},
                                     {"LOCK_TOKEN", l->token},
                                     {"LOCK_TTL", ttl},
                                     {"LOCK_HOLDER", l->holder},
                                     {"LOCK_API_FILE", KUBE_ADMIN_CONF},
                                     {"LOCK_FACTS", run_facts_command()}};
        struct tp_cmd io = {.capture = 1};
        struct tp_result res = {0};
        int rc = tp_script(l->tp, script_lock_host_sh, env, sizeof(env) / sizeof(env[0]), 1, &io,
                           &res, err);
        if (rc == 0) {
                rc = res.status;
                snprintf(out, size, "%s", res.out ? res.out : "");
                if (rc != 0 && rc != 3 && rc != 4)
                        perr_set(err, PERR_FAIL, "%s: the cluster lock script exited %d: %.200s",
                                 tp_name(l->tp), rc, res.err ? res.err : "");
        }
        tp_result_free(&res);
        return rc;
}

/* The holder line of the script's "held"/"lost" answer. */
static const char *holder_of(const char *out)
{
        const char *nl = strchr(out, '\n');
        return nl && nl[1] ? nl + 1 : "an unknown run";
}

static int host_take(struct run_lock *l, struct pharos_error *err)
{
        const char *addr = l->r->hosts[l->master].cfg->address;
        double t0 = run_elapsed(l->r);
        int announced = 0;
        for (;;) {
                char out[1024];
                int st = host_script(l, "acquire", out, sizeof(out), err);
                if (st == 0) {
                        l->api_hint = strncmp(out, "api\n", 4) == 0 ? 1 : 0;
                        /* The facts came with the lock: run_facts asks no more. */
                        const char *facts = strstr(out, "facts\n");
                        struct run_host *h = &l->r->hosts[l->master];
                        if (facts && (facts == out || facts[-1] == '\n') && !h->early_facts)
                                h->early_facts = strdup(facts + 6);
                        return 0;
                }
                if (st != 3)
                        return st < 0 ? st : PERR_FAIL;
                out[strcspn(out, "\r")] = '\0';
                for (size_t n = strlen(out); n > 0 && out[n - 1] == '\n'; n--)
                        out[n - 1] = '\0';
                long left = strtol(out + 5, NULL, 10);
                double now = run_elapsed(l->r);
                if (now - t0 >= l->timeout_s)
                        return perr_set(err, PERR_FAIL,
                                        "the cluster is locked by another pharos run (%s; lock "
                                        "on %s, expires in %ld s unless renewed); gave up after "
                                        "waiting %.0f s (--lock-timeout)",
                                        holder_of(out), addr, left, now - t0);
                if (!announced) {
                        announced = 1;
                        run_event(l->r, "lock", addr, "host-lock", "waiting", now, holder_of(out));
                }
                if (run_sleep(POLL_S))
                        return perr_set(err, PERR_FAIL, "%s while waiting for the cluster lock",
                                        run_interrupt_reason());
        }
}

/* True when kubeadm left admin.conf on the first master: its API exists. */
static int api_exists(struct run_lock *l)
{
        struct tp_cmd c = {.cmd = "test -f " KUBE_ADMIN_CONF, .sudo = 1};
        struct tp_result res = {0};
        struct pharos_error e = {0};
        int found = tp_exec(l->tp, &c, &res, &e) == 0 && res.status == 0;
        tp_result_free(&res);
        return found;
}

/* Takes the Lease once the API exists (phase_hook): the first phase starts
 * before anything changes, after the facts and the prefetched reads. */
static int follow_api(struct run *r, const char *phase, struct pharos_error *err)
{
        struct run_lock *l = r->lock;
        if (!l)
                return 0;
        pthread_mutex_lock(&l->mu);
        int rc = 0;
        int hint = l->api_hint;
        /* The acquire's answer is as old as the acquire: later phases ask again,
         * but only once a step has run since the last "no" (only a step makes
         * an API). */
        l->api_hint = -1;
        unsigned long gen = __atomic_load_n(&r->pf_gen, __ATOMIC_SEQ_CST);
        if (hint < 0 && l->api_absent_gen == gen + 1)
                hint = 0;
        /* Another run holds the cluster now: no further phase of this one starts. */
        if (l->lost[0])
                rc = perr_set(err, PERR_FAIL, "the cluster lock was lost (%s); stopping before %s",
                              l->lost, phase ? phase : "the run");
        else if (!l->lease_held && !(hint >= 0 ? hint : api_exists(l))) {
                l->api_absent_gen = gen + 1;
        } else if (!l->lease_held) {
                rc = lease_take(l, err);
                /* An API that exists but does not answer yet is the control
                 * plane coming up or down; the host lock still holds. */
                if (rc == PERR_TRANSIENT) {
                        log_debug("cluster lock: no Lease yet: %s", err->msg);
                        lease_release(l);
                        rc = 0;
                }
        }
        pthread_mutex_unlock(&l->mu);
        return rc;
}

static void *renew_loop(void *arg)
{
        struct run_lock *l = arg;
        pthread_mutex_lock(&l->mu);
        while (!l->stopping) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += RUN_LOCK_TTL_S / 3;
                while (!l->stopping &&
                       pthread_cond_timedwait(&l->wake, &l->mu, &until) != ETIMEDOUT)
                        ;
                if (l->stopping)
                        break;
                struct pharos_error err = {0};
                char out[1024];
                int st = host_script(l, "renew", out, sizeof(out), &err);
                if (st == 3 || st == 4) {
                        snprintf(l->lost, sizeof(l->lost), "taken by %.200s", holder_of(out));
                        log_error("renewing the cluster lock on %s: %s", tp_name(l->tp), l->lost);
                } else if (st != 0) {
                        log_msg(PHAROS_LOG_WARN, tp_name(l->tp), "renewing the cluster lock: %s",
                                err.msg);
                }
                /* An API that went away (reset wipes it) is no other holder. */
                int lr = l->lease_held ? lease_renew(l, &err) : 0;
                if (lr == PERR_FAIL)
                        snprintf(l->lost, sizeof(l->lost), "%.300s", err.msg);
                if (lr < 0)
                        log_msg(lr == PERR_TRANSIENT ? PHAROS_LOG_DEBUG : PHAROS_LOG_ERROR,
                                tp_name(l->tp), "%s", err.msg);
        }
        pthread_mutex_unlock(&l->mu);
        return NULL;
}

static void lock_free(struct run_lock *l)
{
        if (l->tp) {
                l->r->hosts[l->master].lock_round_trips += tp_round_trips(l->tp);
                tp_close(l->tp);
        }
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->wake);
        free(l);
}

int run_lock_take(struct run *r, double timeout_s, struct pharos_error *err)
{
        size_t master = r->n_hosts;
        for (size_t i = 0; i < r->n_hosts && master == r->n_hosts; i++)
                if (!strcmp(r->hosts[i].cfg->role, "master"))
                        master = i;
        if (master == r->n_hosts)
                return perr_set(err, PERR_FAIL,
                                "no master in cluster.yml to hold the cluster lock");
        struct run_lock *l = calloc(1, sizeof(*l));
        if (!l)
                return perr_set(err, PERR_NOMEM, "out of memory");
        l->r = r;
        l->master = master;
        pthread_mutex_init(&l->mu, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_cond_init(&l->wake, &ca);
        pthread_condattr_destroy(&ca);
        identity(l);
        l->timeout_s = timeout_s;
        l->api_hint = -1;
        /* A connection of its own: a transport is not shared between threads. */
        struct tp_target t, bastion;
        tp_target_from_host(r->hosts[master].cfg, &t, &bastion);
        int rc = tp_open(&t, &r->opts.tp, &l->tp, err);
        if (rc == 0)
                rc = host_take(l, err);
        if (rc < 0) {
                lock_free(l);
                return rc;
        }
        r->lock = l;
        r->phase_hook = follow_api;
        /* Renewing first: waiting for the Lease may outlast the host lock's TTL. */
        if (pthread_create(&l->renewer, NULL, renew_loop, l) == 0)
                l->renewing = 1;
        else
                rc = perr_set(err, PERR_FAIL, "cannot start the cluster lock's renewal");
        if (rc < 0)
                run_lock_release(r);
        return rc;
}

void run_lock_release(struct run *r)
{
        struct run_lock *l = r->lock;
        if (!l)
                return;
        pthread_mutex_lock(&l->mu);
        l->stopping = 1;
        pthread_cond_signal(&l->wake);
        pthread_mutex_unlock(&l->mu);
        if (l->renewing)
                pthread_join(l->renewer, NULL);
        lease_release(l);
        char out[1024];
        struct pharos_error err = {0};
        if (host_script(l, "release", out, sizeof(out), &err) != 0)
                log_msg(PHAROS_LOG_WARN, tp_name(l->tp),
                        "releasing the cluster lock: %s (it expires in %d s)", err.msg,
                        RUN_LOCK_TTL_S);
        r->lock = NULL;
        r->phase_hook = NULL;
        lock_free(l);
}
