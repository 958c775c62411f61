#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "exec/executor.h"
#include "run/facts_check.h"
#include "run/kube_access.h"
#include "run/private_interface.h"
#include "run/retry.h"
#include "run/run.h"
#include "ssh/target_cfg.h"
#include "util/log.h"
#include "util/redact.h"

static const char *const fact_names[FACT_COUNT] = {
        "hostname", "os.id", "os.id_like", "os.version_id", "arch", "cgroup.fs", "cap.bounding"};

const char *run_fact_name(enum run_fact f)
{
        return fact_names[f];
}

double run_elapsed(const struct run *r)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - r->started.tv_sec) +
               (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
}

int run_init(struct run *r, const struct cluster_config *cfg, struct registry *reg,
             const struct run_opts *opts, struct pharos_error *err)
{
        memset(r, 0, sizeof(*r));
        r->cfg = cfg;
        r->reg = reg;
        r->opts = *opts;
        r->n_hosts = cfg->n_hosts;
        r->hosts = calloc(cfg->n_hosts ? cfg->n_hosts : 1, sizeof(*r->hosts));
        if (!r->hosts)
                return perr_set(err, PERR_NOMEM, "out of memory");
        for (size_t i = 0; i < cfg->n_hosts; i++) {
                r->hosts[i].cfg = &cfg->hosts[i];
                r->hosts[i].index = i;
                snprintf(r->hosts[i].index_text, sizeof(r->hosts[i].index_text), "%zu", i);
                r->hosts[i].selected = 1;
        }
        if (cfg->name)
                snprintf(r->cluster_name, sizeof(r->cluster_name), "%s", cfg->name);
        pthread_mutex_init(&r->out_mu, NULL);
        pthread_mutex_init(&r->kube_mu, NULL);
        clock_gettime(CLOCK_MONOTONIC, &r->started);
        return 0;
}

void run_free(struct run *r)
{
        for (size_t i = 0; i < r->n_hosts; i++) {
                if (r->hosts[i].tp) {
                        /* What the run cost each host: bench/up.sh reads it. */
                        log_msg(PHAROS_LOG_DEBUG, r->hosts[i].cfg->address,
                                "%lu round trips (%lu of them the cluster lock's)",
                                tp_round_trips(r->hosts[i].tp) + r->hosts[i].lock_round_trips,
                                r->hosts[i].lock_round_trips);
                        tp_close(r->hosts[i].tp);
                }
                for (int f = 0; f < FACT_COUNT; f++)
                        free(r->hosts[i].facts[f]);
                free(r->hosts[i].early_facts);
                pf_free(&r->hosts[i].pf);
        }
        run_kube_close(r);
        free(r->hosts);
        free(r->selection);
        pthread_mutex_destroy(&r->out_mu);
        pthread_mutex_destroy(&r->kube_mu);
        tp_global_cleanup();
        memset(r, 0, sizeof(*r));
}

int run_select(struct run *r, const size_t *idx, size_t n, struct pharos_error *err)
{
        free(r->selection);
        r->selection = calloc(1, n * 24 + 1);
        if (!r->selection)
                return perr_set(err, PERR_NOMEM, "out of memory");
        for (size_t i = 0; i < r->n_hosts; i++)
                r->hosts[i].selected = 0;
        size_t off = 0;
        for (size_t k = 0; k < n; k++) {
                r->hosts[idx[k]].selected = 1;
                off += (size_t)sprintf(r->selection + off, "%s%zu", k ? "," : "", idx[k]);
        }
        return 0;
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        if (v)
                yajl_gen_string(g, (const unsigned char *)v, strlen(v));
        else
                yajl_gen_null(g);
}

void run_event(struct run *r, const char *phase, const char *host, const char *step,
               const char *status, double seconds, const char *detail)
{
        /* Details quote hosts' output and errors: what looks like a secret is masked. */
        char masked[2048];
        if (detail) {
                redact_copy(detail, masked, sizeof(masked));
                detail = masked;
        }
        pthread_mutex_lock(&r->out_mu);
        if (r->opts.json) {
                yajl_gen g = yajl_gen_alloc(NULL);
                if (g) {
                        yajl_gen_map_open(g);
                        gen_kv(g, "phase", phase);
                        gen_kv(g, "host", host);
                        gen_kv(g, "step", step);
                        gen_kv(g, "status", status);
                        yajl_gen_string(g, (const unsigned char *)"duration", 8);
                        yajl_gen_double(g, seconds);
                        gen_kv(g, !strcmp(status, "failed") ? "error" : "detail", detail);
                        yajl_gen_map_close(g);
                        const unsigned char *buf;
                        size_t len;
                        yajl_gen_get_buf(g, &buf, &len);
                        printf("%.*s\n", (int)len, (const char *)buf);
                        yajl_gen_free(g);
                }
        } else if (!host && !step) {
                printf("==> %s%s%s (%.1fs)\n", phase, detail ? ": " : "", detail ? detail : "",
                       seconds);
        } else {
                printf("    %-16s %-36s %-8s %5.1fs%s%s\n", host ? host : "cluster",
                       step ? step : "", status, seconds, detail ? "  " : "", detail ? detail : "");
        }
        fflush(stdout);
        pthread_mutex_unlock(&r->out_mu);
}

/* Is phase one of list's comma-separated names? */
static int listed(const char *list, const char *phase)
{
        size_t n = strlen(phase);
        for (const char *p = list; *p;) {
                size_t len = strcspn(p, ",");
                if (len == n && strncmp(p, phase, n) == 0)
                        return 1;
                p += len + (p[len] == ',');
        }
        return 0;
}

void run_phase_start(struct run *r, const char *phase)
{
        run_event(r, phase, NULL, NULL, "start", run_elapsed(r), NULL);
        const char *at = getenv("PHAROS_STOP_AT");
        if (at && listed(at, phase)) {
                log_info("PHAROS_STOP_AT: stopped at the start of %s (pid %ld); kill -CONT "
                         "continues",
                         phase, (long)getpid());
                raise(SIGSTOP);
        }
}

/* A failure before the sequence names its phase, host and step as a step's
 * does (run/sequence.c), so the operator reads the same shape wherever a run
 * stopped. */
static void name_step(struct pharos_error *err, const char *phase, const char *host,
                      const char *step)
{
        struct pharos_error named;
        perr_set(&named, err->code, "phase %s, host %s, step %s: %s", phase, host, step, err->msg);
        *err = named;
}

static int connect_job(void *ud, size_t i, struct pharos_error *err)
{
        struct run *r = ud;
        struct run_host *h = &r->hosts[i];
        struct tp_target t, bastion;
        tp_target_from_host(h->cfg, &t, &bastion);
        double t0 = run_elapsed(r), ta = t0;
        char gave_up[160] = "";
        int rc;
        for (unsigned attempt = 1;; attempt++) {
                rc = tp_open(&t, &r->opts.tp, &h->tp, err);
                if (rc != PERR_TRANSIENT ||
                    !run_retry(r, h, "connect", "ssh", attempt, run_elapsed(r) - ta, err->msg,
                               gave_up, sizeof(gave_up)))
                        break;
                ta = run_elapsed(r);
        }
        if (rc < 0 && gave_up[0]) {
                size_t used = strlen(err->msg);
                snprintf(err->msg + used, sizeof(err->msg) - used, " (%s)", gave_up);
        }
        run_event(r, "connect", h->cfg->address, "ssh", rc < 0 ? "failed" : "ok",
                  run_elapsed(r) - t0, rc < 0 ? err->msg : NULL);
        if (rc < 0)
                name_step(err, "connect", h->cfg->address, "ssh");
        return rc;
}

/* Runs job on every host, turning failures into one summary error. */
static int all_hosts(struct run *r, xr_job job, const char *what, struct pharos_error *err)
{
        struct xr_report rep;
        if (xr_run(r->n_hosts, r->opts.concurrency, job, r, &rep) == 0)
                return 0;
        char summary[900];
        xr_summary(&rep, summary, sizeof(summary));
        return perr_set(err, PERR_FAIL, "%s %s", what, summary);
}

int run_connect(struct run *r, struct pharos_error *err)
{
        run_phase_start(r, "connect");
        return all_hosts(r, connect_job, "connect", err);
}

/* One round trip gathers every fact and checks sudo, so that a sudo asking
 * for a password fails here, before any change, with a clear error. The
 * cgroup file system is what the kubelet asks to tell cgroup v2 (cgroup2fs)
 * from v1. */
static const char facts_cmd[] =
        "hostname; uname -m; . /etc/os-release 2>/dev/null; "
        "printf '%s\\n%s\\n%s\\n' \"${ID:-}\" \"${ID_LIKE:-}\" \"${VERSION_ID:-}\"; "
        "stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo; "
        "sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status; "
        "if [ \"$(id -u)\" = 0 ] || sudo -n true </dev/null >/dev/null 2>&1; "
        "then echo sudo; else echo no-sudo; fi";

const char *run_facts_command(void)
{
        return facts_cmd;
}

static int facts_job(void *ud, size_t i, struct pharos_error *err)
{
        struct run *r = ud;
        struct run_host *h = &r->hosts[i];
        struct tp_cmd cmd = {.cmd = facts_cmd, .capture = 1};
        struct tp_result res = {0};
        char gave_up[160];
        int rc = 0;
        /* The lock's acquire ran the command as root through sudo: the same
         * facts, and sudo proven to work. */
        int early = h->early_facts != NULL;
        if (early) {
                res.out = h->early_facts;
                h->early_facts = NULL;
        }
        for (unsigned attempt = 1; !early; attempt++) {
                double ta = run_elapsed(r);
                rc = tp_exec(h->tp, &cmd, &res, err);
                if (rc != PERR_TRANSIENT ||
                    !run_retry(r, h, "facts", "gather", attempt, run_elapsed(r) - ta, err->msg,
                               gave_up, sizeof(gave_up)))
                        break;
        }
        if (rc == 0 && res.status != 0)
                rc = perr_set(err, PERR_FAIL, "%s: gathering facts exited %d: %.200s",
                              h->cfg->address, res.status, res.err ? res.err : "");
        if (rc == 0) {
                /* Lines: hostname, arch, ID, ID_LIKE, VERSION_ID, cgroup file system,
                 * capability bounding set, then whether sudo works without a password. */
                static const enum run_fact order[] = {
                        FACT_HOSTNAME,      FACT_ARCH,      FACT_OS_ID,       FACT_OS_ID_LIKE,
                        FACT_OS_VERSION_ID, FACT_CGROUP_FS, FACT_CAP_BOUNDING};
                char *rest = res.out;
                for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
                        const char *line = rest ? strsep(&rest, "\n") : "";
                        h->facts[order[k]] = strdup(line);
                }
                const char *sudo = rest ? strsep(&rest, "\n") : "";
                char why[300];
                if (run_facts_check(h->facts, why, sizeof(why)) < 0)
                        rc = perr_set(err, PERR_FAIL, "%s: facts: %s", h->cfg->address, why);
                else if (strcmp(sudo, "sudo") != 0)
                        rc = perr_set(err, PERR_FAIL,
                                      "%s: `sudo -n true` failed for %s: pharos needs "
                                      "passwordless sudo",
                                      h->cfg->address, h->cfg->user ? h->cfg->user : "root");
        }
        tp_result_free(&res);
        if (rc == 0)
                rc = run_private_interface(r, h, err);
        run_event(r, "facts", h->cfg->address, "gather", rc < 0 ? "failed" : "ok", 0,
                  rc < 0 ? err->msg : h->facts[FACT_OS_ID]);
        if (rc < 0)
                name_step(err, "facts", h->cfg->address, "gather");
        return rc;
}

int run_facts(struct run *r, struct pharos_error *err)
{
        return all_hosts(r, facts_job, "gathering facts", err);
}
