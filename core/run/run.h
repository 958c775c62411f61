/*
 * One run of a sequence (up, worker-up, reset) over the hosts of a cluster:
 * connections, facts, and the ordered steps of the loaded plugins executed
 * phase by phase, each step on its hosts in parallel (bounded), with a
 * barrier after every step so later steps see the earlier ones done.
 */
#ifndef PHAROS_CORE_RUN_H
#define PHAROS_CORE_RUN_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "kube/client.h"
#include "plugin/registry.h"
#include "run/prefetch.h"
#include "run/tunnel.h"
#include "ssh/transport.h"
#include "util/error.h"

/* Facts the core gathers on every host before the first phase. */
enum run_fact {
        FACT_HOSTNAME,
        FACT_OS_ID,
        FACT_OS_ID_LIKE,
        FACT_OS_VERSION_ID,
        FACT_ARCH,
        FACT_CGROUP_FS,
        FACT_CAP_BOUNDING,
        FACT_COUNT,
};

struct run_host {
        const struct cfg_host *cfg; /* borrowed from the run's config */
        size_t index;               /* position in cluster.yml */
        char index_text[24];        /* the same, as the "index" fact */
        struct transport *tp;       /* open connection, NULL before connect */
        char *facts[FACT_COUNT];    /* malloc'd, NULL when unknown */
        unsigned changes;           /* steps that changed this host */
        int selected;               /* steps run on it (every host unless the command selected) */
        int os_claimed;             /* a step of an OS plugin applied to the host */
        struct pharos_plugin *os;   /* that OS plugin (the registry's), NULL until one did */
        double retry_spent;         /* seconds of its retry budget used (run/retry.h) */
        struct pf_cache pf;         /* the steps' prefetched reads (run/prefetch.h) */
        unsigned long pf_gen;       /* moves on (atomically) when a run() may have changed it */
        unsigned long lock_round_trips; /* the cluster lock's, on a connection of its own */
        char *early_facts; /* run_facts_command()'s output, sent with the lock; NULL: none */
};

struct run_lock;

struct run_opts {
        unsigned concurrency; /* hosts worked on at once; 0 = 30 */
        int plan;             /* only ask applies() and print what would run */
        int json;             /* progress as one JSON object per line */
        double retry_budget;  /* seconds of retrying per host; 0 = 600, <0 = no retries */
        int prune;            /* delete what cluster.yml dropped (the "prune" fact) */
        struct tp_opts tp;    /* connection policy */
};

struct run {
        const struct cluster_config *cfg;
        struct registry *reg;
        struct run_host *hosts;
        size_t n_hosts;
        struct run_opts opts;
        struct timespec started;
        char cluster_name[96];   /* cluster.yml's name, the stored one, or generated */
        pthread_mutex_t out_mu;  /* whole progress lines, never interleaved */
        unsigned long changes;   /* total over all steps and hosts */
        unsigned long would_run; /* --plan: steps that have work */
        const char *sequence;    /* the sequence running (the steps' "sequence" fact) */
        /* hosts[].private_interface is not looked up with the facts: reset uses no
         * private address, and a host that lost the interface must still be reset. */
        int skip_private_interface;
        char *selection; /* "0,2": the selected hosts' indexes; NULL: every host */
        /* Called once the validate phase passed, before anything changes
         * (pharos up checks the stored cluster state there). NULL: nothing. */
        int (*after_validate)(struct run *r, struct pharos_error *err);
        /* Called when a phase is about to start its first step (the cluster
         * lock follows the API there, run/lock.h). NULL: nothing. */
        int (*phase_hook)(struct run *r, const char *phase, struct pharos_error *err);
        struct run_lock *lock; /* the cluster lock the run holds, NULL: none */
        /* The stored state as state_check read it (run/state.h): the write
         * at the end is refused if someone else changed it meanwhile. */
        int state_read;    /* state_check looked at the API */
        char state_rv[64]; /* its resourceVersion then, "" when there was none */
        /* Kubernetes API access (run/kube_access.h), created on first use. */
        pthread_mutex_t kube_mu;
        struct kube_client *kube;
        size_t kube_master;            /* index of the master the client talks to */
        struct run_tunnel kube_tunnel; /* to that master's API port */
        /* Facts of the whole run beyond the hosts' own (worker up's join data),
         * borrowed from the caller; they may hold secrets and are never printed. */
        const struct tp_env *params;
        size_t n_params;
        /* Moves on (atomically) whenever a step's run() starts (the hosts'
         * own pf_gen say which hosts it may have changed). */
        unsigned long pf_gen;
};

/* Prepares a run over every host of cfg. */
int run_init(struct run *r, const struct cluster_config *cfg, struct registry *reg,
             const struct run_opts *opts, struct pharos_error *err);
void run_free(struct run *r);

/* Restricts the steps to the hosts idx[0..n) (pharos reset -a/-r/-l). */
int run_select(struct run *r, const size_t *idx, size_t n, struct pharos_error *err);

/* Connects to every host in parallel; err summarises the hosts that failed. */
int run_connect(struct run *r, struct pharos_error *err);

/* The command run_facts runs on each host (the cluster lock's acquire runs
 * it too, and hands its output over in run_host.early_facts). */
const char *run_facts_command(void);

/* Gathers the core facts (os-release, hostname, arch) and checks sudo. */
int run_facts(struct run *r, struct pharos_error *err);

/* Before connecting: fails when no loaded plugin has a step for sequence
 * `name` (a missing plugin directory), and warns when a joining sequence has
 * OS plugins but no control-plane plugin. */
int run_sequence_ready(const struct registry *reg, const char *name, struct pharos_error *err);

/* Runs the phases of sequence `name` (seq/phases.c) with the registered steps. */
int run_sequence(struct run *r, const char *name, struct pharos_error *err);

/* Emits one progress event (text or JSON line). host/step/error may be NULL. */
void run_event(struct run *r, const char *phase, const char *host, const char *step,
               const char *status, double seconds, const char *detail);

/* Emits phase's start event. With PHAROS_STOP_AT (comma-separated phases)
 * naming the phase, the process then stops itself (SIGSTOP) until continued
 * (SIGCONT): a point fixed in the run, not in time, where fault tests act and
 * an operator can look. */
void run_phase_start(struct run *r, const char *phase);

/* The answers prefetched so far on h are stale (run/prefetch.h): a step's
 * run() is starting on h, or with h NULL on the cluster (a ONCE step, or
 * another run may have changed the hosts meanwhile): every host's are. */
void run_pf_stale(struct run *r, struct run_host *h);

/* tp_exec of cmd with sudo on h, and tp_read_file of path: answered from the
 * host's prefetched answers when they hold a fresh one (run/prefetch.h). */
int run_pf_exec(struct run_host *h, const char *cmd, struct tp_result *res,
                struct pharos_error *err);
int run_pf_read(struct run_host *h, const char *path, char **data, size_t *len,
                struct pharos_error *err);

/* Seconds since the run started. */
double run_elapsed(const struct run *r);

/* Name of fact f for step_fact(). */
const char *run_fact_name(enum run_fact f);

#endif
