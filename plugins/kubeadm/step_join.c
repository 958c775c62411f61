/* kubeadm init on the first master, then the joins of the other hosts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kadm.h"

/* The join configuration holds the token: it goes over stdin into a root-only
 * file and is removed by the command that uses it. */
#define KADM_JOIN_FILE KADM_DIR "/join.yaml"
/* kubeadm.yaml with the certificate key, for kubeadm_keyed(). */
#define KADM_KEYED_FILE KADM_DIR "/kubeadm-keyed.yaml"

static void set_status(struct kadm_state *st, long idx, enum kadm_host_status s)
{
        pthread_mutex_lock(&st->mu);
        if (st->status && idx >= 0 && (size_t)idx < st->n_status)
                st->status[idx] = s;
        pthread_mutex_unlock(&st->mu);
}

/* Hosts of `role` (other than the first master) the facts phase found outside the cluster. */
static size_t to_join(struct kadm_state *st, const char *role)
{
        const struct pharos_config_node *hosts = kadm_hosts(st);
        long first = kadm_first_master(st);
        size_t n = 0;
        pthread_mutex_lock(&st->mu);
        for (size_t i = 0; i < st->host->config_len(hosts); i++) {
                const char *r = st->host->config_string(
                        st->host->config_get(st->host->config_at(hosts, i), "role"));
                if ((long)i == first || !r || strcmp(r, role) != 0)
                        continue;
                if (!st->status || i >= st->n_status || st->status[i] != KADM_JOINED)
                        n++;
        }
        pthread_mutex_unlock(&st->mu);
        return n;
}

/* Waits until the API on the step's host answers /readyz; with etcd, also its etcd member. */
static int wait_healthy(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *address,
                        int etcd)
{
        char *qa = kadm_shq(address);
        if (!qa) {
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        char cmd[1400];
        snprintf(cmd, sizeof(cmd),
                 "a=%s; case $a in *:*) a=\"[$a]\";; esac; pki=/etc/kubernetes/pki/etcd; "
                 "i=0; while [ $i -lt 180 ]; do i=$((i+1)); "
                 "if curl -fsSk --max-time 5 \"https://$a:%d/readyz\" >/dev/null 2>&1 %s; "
                 "then exit 0; fi; sleep 1; done; "
                 "echo \"API%s on $a not healthy after 180s\" >&2; exit 1",
                 qa, KADM_API_PORT,
                 etcd ? "&& curl -fsS --max-time 5 --cacert \"$pki/ca.crt\" "
                        "--cert \"$pki/healthcheck-client.crt\" --key "
                        "\"$pki/healthcheck-client.key\" "
                        "\"https://$a:2379/health\" 2>/dev/null | grep -q '\"health\":\"true\"'"
                      : "",
                 etcd ? " or etcd" : "");
        free(qa);
        return st->host->step_exec(ctx, cmd, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
}

/* An interrupted init or join leaves certificates, manifests or a bootstrap
 * kubeconfig that fail kubeadm's preflight: a host that is not in the cluster
 * (no kubelet.conf / admin.conf) is reset first so the next run repairs it. */
static int reset_leftovers(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        struct pharos_exec_result res;
        if (st->host->step_exec(ctx,
                                "for f in /etc/kubernetes/pki/ca.crt "
                                "/etc/kubernetes/bootstrap-kubelet.conf "
                                "/etc/kubernetes/manifests/etcd.yaml " KADM_APISERVER_MANIFEST
                                "; do "
                                "if [ -e \"$f\" ]; then kubeadm reset --force >/dev/null "
                                "&& echo reset; exit; fi; done",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, &res) < 0)
                return -1;
        if (strstr(res.out, "reset"))
                st->host->step_changed(ctx, "reset what an interrupted kubeadm run left");
        return 0;
}

static int init_applies(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        int has = kadm_control_plane_exists(st, ctx);
        if (has < 0)
                return -1;
        if (!has)
                st->host->step_reason(ctx, "no " KADM_ADMIN_CONF " or no etcd data: the control "
                                           "plane is not set up");
        return !has;
}

/*
 * Runs `kubeadm ARGS --config FILE` where FILE is the step host's kubeadm.yaml with
 * certificateKey set: kubeadm refuses --certificate-key next to --config, and a key
 * on a command line shows in /proc and in sudo's log. The copy is root-only and
 * removed by the command that reads it. The proxy variables (control_plane.use_proxy)
 * are script variables: a proxy URL may carry a password.
 */
static int kubeadm_keyed(struct kadm_state *st, struct pharos_step_ctx *ctx, const char *key,
                         int with_proxy, const char *args)
{
        struct kadm_input in;
        if (kadm_input_for(st, ctx, &in) < 0)
                return -1;
        struct kbuf b = {0};
        kadm_render_kubeadm(&in, key, &b);
        kadm_input_free(&in);
        int rc = b.oom ? -1 : 0;
        if (rc < 0)
                st->host->step_fail(ctx, "out of memory");
        if (rc == 0)
                rc = st->host->step_upload(ctx, KADM_KEYED_FILE, b.p, b.len, 0600, NULL);
        if (b.p)
                memset(b.p, 0, b.len);
        kb_free(&b);
        if (rc < 0)
                return -1;
        struct kbuf script = {0};
        kb_printf(&script,
                  "rc=0; kubeadm %s --config " KADM_KEYED_FILE " || rc=$?; rm -f " KADM_KEYED_FILE
                  "; exit $rc\n",
                  args);
        if (script.oom) {
                kb_free(&script);
                st->host->step_fail(ctx, "out of memory");
                return -1;
        }
        struct pharos_env env[KADM_PROXY_VARS];
        size_t n_env = with_proxy ? kadm_proxy_env(st, ctx, env) : 0;
        /* The output holds the bootstrap token (kubeadm prints the join command). */
        rc = st->host->step_script(ctx, script.p, env, n_env,
                                   PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, NULL);
        kb_free(&script);
        return rc;
}

static int init_run(struct pharos_step_ctx *ctx, void *state)
{
        struct kadm_state *st = state;
        char key[80];
        if (kadm_random_hex(32, key, sizeof(key)) < 0) {
                st->host->step_fail(ctx, "cannot read random bytes for the certificate key");
                return -1;
        }
        int rc = reset_leftovers(st, ctx);
        if (rc == 0)
                rc = kadm_kubelet_proxy(st, ctx);
        if (rc == 0)
                rc = kubeadm_keyed(st, ctx, key, 1,
                                   "init --upload-certs --skip-token-print "
                                   "--skip-certificate-key-print");
        if (rc < 0) {
                memset(key, 0, sizeof(key));
                return -1;
        }
        /* The uploaded certificates stay for two hours: joins in this run reuse the key. */
        pthread_mutex_lock(&st->mu);
        snprintf(st->join.cert_key, sizeof(st->join.cert_key), "%s", key);
        pthread_mutex_unlock(&st->mu);
        memset(key, 0, sizeof(key));
        st->host->step_changed(ctx, "kubeadm init");
        set_status(st, kadm_host_index(st, ctx), KADM_JOINED);
        return wait_healthy(st, ctx, kadm_peer_address(st->host, st->host->step_host(ctx)),
                            !kadm_etcd_external(st));
}

/* prefetch(): init_applies() only reads; what it asks the host is recorded. */
static void init_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)init_applies(ctx, state);
}

const struct pharos_step kadm_step_init = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.init",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.config", NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "kubeadm init on the first master",
        .applies = init_applies,
        .prefetch = init_prefetch,
        .run = init_run,
};

int kadm_parse_join(const char *text, struct kadm_join *j)
{
        const char *p = strstr(text, "kubeadm join ");
        if (!p)
                return -1;
        char ep[256], tok[64], hash[128];
        if (sscanf(p, "kubeadm join %255s --token %63s --discovery-token-ca-cert-hash %127s", ep,
                   tok, hash) != 3)
                return -1;
        snprintf(j->endpoint, sizeof(j->endpoint), "%s", ep);
        snprintf(j->token, sizeof(j->token), "%s", tok);
        snprintf(j->ca_hash, sizeof(j->ca_hash), "%s", hash);
        memset(tok, 0, sizeof(tok));
        return 0;
}

/* Makes the join data on the first master: one token per run, certificates
 * uploaded again (with a new key) unless kubeadm init did it in this run. */
static int make_join(struct kadm_state *st, struct pharos_step_ctx *ctx, int control_plane)
{
        pthread_mutex_lock(&st->mu);
        int have = st->have_join, have_key = st->join.cert_key[0] != '\0';
        pthread_mutex_unlock(&st->mu);
        const uint32_t secret =
                PHAROS_EXEC_SUDO | PHAROS_EXEC_SECRET | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET;
        if (!have) {
                struct pharos_exec_result res;
                if (st->host->step_exec(ctx, "kubeadm token create --print-join-command --ttl 1h",
                                        secret, &res) < 0)
                        return -1;
                struct kadm_join j = {0};
                if (kadm_parse_join(res.out, &j) < 0) {
                        st->host->step_fail(ctx, "kubeadm token create printed no join command");
                        return -1;
                }
                pthread_mutex_lock(&st->mu);
                snprintf(st->join.endpoint, sizeof(st->join.endpoint), "%s", j.endpoint);
                snprintf(st->join.token, sizeof(st->join.token), "%s", j.token);
                snprintf(st->join.ca_hash, sizeof(st->join.ca_hash), "%s", j.ca_hash);
                st->have_join = 1;
                pthread_mutex_unlock(&st->mu);
                memset(&j, 0, sizeof(j));
                st->host->step_changed(ctx, "created a bootstrap token");
        }
        if (control_plane && !have_key) {
                char key[80];
                if (kadm_random_hex(32, key, sizeof(key)) < 0) {
                        st->host->step_fail(ctx,
                                            "cannot read random bytes for the certificate key");
                        return -1;
                }
                int rc = kubeadm_keyed(st, ctx, key, 0,
                                       "init phase upload-certs --upload-certs "
                                       "--skip-certificate-key-print");
                if (rc < 0) {
                        memset(key, 0, sizeof(key));
                        return -1;
                }
                pthread_mutex_lock(&st->mu);
                snprintf(st->join.cert_key, sizeof(st->join.cert_key), "%s", key);
                pthread_mutex_unlock(&st->mu);
                memset(key, 0, sizeof(key));
                st->host->step_changed(ctx, "uploaded the control-plane certificates");
        }
        return 0;
}

static int token_applies(struct pharos_step_ctx *ctx, struct kadm_state *st, const char *role)
{
        size_t n = to_join(st, role);
        if (n)
                st->host->step_reason(ctx, "%zu %s%s to join", n, role, n == 1 ? "" : "s");
        return n > 0;
}

static int cp_token_applies(struct pharos_step_ctx *ctx, void *state)
{
        return token_applies(ctx, state, "master");
}

static int cp_token_run(struct pharos_step_ctx *ctx, void *state)
{
        return make_join(state, ctx, 1);
}

const struct pharos_step kadm_step_cp_token = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.join-token",
        .phase = "control-plane",
        /* kubeadm prints the join command with admin.conf's server, and joining
         * masters discover the API from cluster-info: both name the endpoint. */
        .after = (const char *const[]){"kubeadm.init", "kubeadm.endpoint", "kubeadm.endpoint-info",
                                       NULL},
        .flags = PHAROS_STEP_ONCE,
        .description = "make a bootstrap token and upload the certificates for joining masters",
        .applies = cp_token_applies,
        .run = cp_token_run,
};

static int worker_token_applies(struct pharos_step_ctx *ctx, void *state)
{
        return token_applies(ctx, state, "worker");
}

static int worker_token_run(struct pharos_step_ctx *ctx, void *state)
{
        return make_join(state, ctx, 0);
}

const struct pharos_step kadm_step_worker_token = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.worker-token",
        .phase = "join",
        .description = "make a bootstrap token for joining workers",
        .flags = PHAROS_STEP_ONCE,
        .applies = worker_token_applies,
        .run = worker_token_run,
};

/*
 * A control-plane join that failed for good in its etcd phase (etcd refused
 * the member add) leaves the control plane's manifests and admin.conf, and
 * with kubeadm before 1.33, whose kubelet-start phase waits for the kubelet's
 * TLS bootstrap before the etcd phase runs, kubelet.conf and a Node as well.
 * Such a master runs no control plane yet looks joined to a check of
 * kubelet.conf alone. The API server's manifest tells it from a worker's
 * kubelet.conf. Asked in one command: a joined master pays one round trip on
 * every run. 1 when the step's master is such a host, 0 if not, <0 failed.
 */
static int half_joined(struct kadm_state *st, struct pharos_step_ctx *ctx)
{
        struct pharos_exec_result res;
        /* An external etcd has no member on the master: admin.conf alone tells. */
        if (st->host->step_exec(ctx,
                                kadm_etcd_external(st) ? "test -e " KADM_APISERVER_MANIFEST
                                                         " && ! test -e " KADM_ADMIN_CONF
                                                       : "test -e " KADM_APISERVER_MANIFEST
                                                         " && ! { test -e " KADM_ADMIN_CONF
                                                         " && test -e " KADM_ETCD_MEMBER_DIR "; }",
                                PHAROS_EXEC_SUDO | PHAROS_EXEC_QUIET, &res) < 0)
                return -1;
        if (res.status > 1) {
                st->host->step_fail(ctx, "checking for a half-finished join exited %d: %s",
                                    res.status, res.err);
                return -1;
        }
        return res.status == 0;
}

static int join_applies(struct pharos_step_ctx *ctx, struct kadm_state *st, int master)
{
        /* pharos worker up brings its own join command (step_worker_up.c). */
        if (kadm_is_master(st, ctx) != master || kadm_worker_up(st, ctx))
                return 0;
        if (master && kadm_host_index(st, ctx) == kadm_first_master(st))
                return 0;
        if (master && kadm_rejoining(st, ctx)) {
                st->host->step_reason(ctx, "its etcd member is gone: reset, then joined again");
                return 1;
        }
        int has = kadm_exists(st, ctx, KADM_KUBELET_CONF);
        if (has < 0)
                return -1;
        if (!has) {
                st->host->step_reason(ctx, "no " KADM_KUBELET_CONF ": not in the cluster yet");
                return 1;
        }
        int half = master ? half_joined(st, ctx) : 0;
        if (half > 0)
                st->host->step_reason(ctx, "a control-plane join did not finish: reset, then "
                                           "joined again");
        return half;
}

int kadm_join_host(struct kadm_state *st, struct pharos_step_ctx *ctx, struct kadm_join *jd,
                   int master)
{
        struct kadm_join j = *jd;
        memset(jd, 0, sizeof(*jd));
        struct kadm_input in;
        if (reset_leftovers(st, ctx) < 0 || kadm_input_for(st, ctx, &in) < 0) {
                memset(&j, 0, sizeof(j));
                return -1;
        }
        struct kbuf b = {0};
        kadm_render_join(&in, j.endpoint, j.token, j.ca_hash, master ? j.cert_key : NULL, &b);
        char address[256];
        snprintf(address, sizeof(address), "%s", in.advertise_address);
        kadm_input_free(&in);
        memset(&j, 0, sizeof(j));
        int rc = b.oom ? -1 : 0;
        if (rc < 0)
                st->host->step_fail(ctx, "out of memory");
        if (rc == 0)
                rc = st->host->step_exec(ctx, "mkdir -p -m 0700 " KADM_DIR,
                                         PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK, NULL);
        if (rc == 0)
                rc = st->host->step_upload(ctx, KADM_JOIN_FILE, b.p, b.len, 0600, NULL);
        if (b.p)
                memset(b.p, 0, b.len);
        kb_free(&b);
        if (rc == 0)
                rc = kadm_kubelet_proxy(st, ctx);
        /* A proxy URL may carry a password: the proxy variables are script variables. */
        struct pharos_env env[KADM_PROXY_VARS];
        size_t n_env = rc == 0 ? kadm_proxy_env(st, ctx, env) : 0;
        /* etcd refuses a member add or a learner's promotion while the cluster
         * settles (a member that connected too recently, a leader election, a
         * learner not yet in sync); kubeadm retries for its EtcdAPICall
         * timeout, then prints the last etcd error. Such a join may pass when
         * tried again, but what it left (kubelet.conf, a learner member, the
         * etcd manifest) would make the retry skip or fail the host: `kubeadm
         * reset` takes it away, and exit 75 (PHAROS_EXIT_TRANSIENT) asks the
         * core for the retry. Other errors, a kubelet that does not start or
         * an endpoint that refuses connections, fail at once. */
        if (rc == 0)
                rc = st->host->step_script(
                        ctx,
                        "rc=0; out=$(kubeadm join --config " KADM_JOIN_FILE
                        " 2>&1) || rc=$?; rm -f " KADM_JOIN_FILE "\n"
                        "[ \"$rc\" = 0 ] && exit 0\n"
                        "printf '%s\\n' \"$out\" >&2\n"
                        "case $out in\n"
                        "*'etcdserver: unhealthy cluster'* | *'etcdserver: leader changed'* | "
                        "*'etcdserver: request timed out'* | "
                        "*'etcdserver: can only promote a learner member which is in sync with "
                        "leader'*) ;;\n"
                        "*) exit \"$rc\" ;;\n"
                        "esac\n"
                        "kubeadm reset --force >/dev/null 2>&1 || true\n"
                        "printf '%s (not ready yet: reset for another try)\\n' "
                        "\"$(printf '%s\\n' \"$out\" | grep -m 1 'error execution phase')\" >&2\n"
                        "exit 75\n",
                        env, n_env, PHAROS_EXEC_SUDO | PHAROS_EXEC_CHECK | PHAROS_EXEC_QUIET, NULL);
        if (rc < 0)
                return -1;
        st->host->step_changed(ctx, "joined the cluster%s",
                               master ? " as a control-plane node" : "");
        set_status(st, kadm_host_index(st, ctx), KADM_JOINED);
        /* The next master only joins once this one's etcd member and API are healthy. */
        return master ? wait_healthy(st, ctx, address, !kadm_etcd_external(st)) : 0;
}

static int join_run(struct pharos_step_ctx *ctx, struct kadm_state *st, int master)
{
        struct kadm_join j;
        pthread_mutex_lock(&st->mu);
        j = st->join;
        int have = st->have_join && (!master || j.cert_key[0]);
        pthread_mutex_unlock(&st->mu);
        if (!have) {
                memset(&j, 0, sizeof(j));
                st->host->step_fail(ctx, "no join data from the first master (%s did not run)",
                                    master ? "kubeadm.join-token" : "kubeadm.worker-token");
                return -1;
        }
        int rejoin = master && kadm_rejoining(st, ctx);
        int half = master && !rejoin ? half_joined(st, ctx) : 0;
        int rc = half < 0 ? -1 : 0;
        if (rc == 0 && (rejoin || half))
                rc = kadm_rejoin_reset(st, ctx,
                                       rejoin ? "its etcd member was gone"
                                              : "its control-plane join had not finished");
        if (rc < 0) {
                memset(&j, 0, sizeof(j));
                return -1;
        }
        return kadm_join_host(st, ctx, &j, master);
}

static int join_masters_applies(struct pharos_step_ctx *ctx, void *state)
{
        return join_applies(ctx, state, 1);
}

static int join_masters_run(struct pharos_step_ctx *ctx, void *state)
{
        return join_run(ctx, state, 1);
}

/* prefetch(): join_masters_applies() only reads; what it asks the host is recorded. */
static void join_masters_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)join_masters_applies(ctx, state);
}

const struct pharos_step kadm_step_join_masters = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.join-masters",
        .phase = "control-plane",
        .after = (const char *const[]){"kubeadm.join-token", NULL},
        .flags = PHAROS_STEP_SERIAL,
        .description = "join further masters to the control plane, one at a time",
        .applies = join_masters_applies,
        .prefetch = join_masters_prefetch,
        .run = join_masters_run,
};

static int join_workers_applies(struct pharos_step_ctx *ctx, void *state)
{
        return join_applies(ctx, state, 0);
}

static int join_workers_run(struct pharos_step_ctx *ctx, void *state)
{
        return join_run(ctx, state, 0);
}

/* prefetch(): join_workers_applies() only reads; what it asks the host is recorded. */
static void join_workers_prefetch(struct pharos_step_ctx *ctx, void *state)
{
        (void)join_workers_applies(ctx, state);
}

const struct pharos_step kadm_step_join_workers = {
        .struct_size = sizeof(struct pharos_step),
        .id = "kubeadm.join-workers",
        .phase = "join",
        .after = (const char *const[]){"kubeadm.worker-token", NULL},
        .description = "join workers with a bootstrap token",
        .applies = join_workers_applies,
        .prefetch = join_workers_prefetch,
        .run = join_workers_run,
};
