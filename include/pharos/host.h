/*
 * Services the pharos core offers to plugins, and the structs plugins use to
 * register steps and commands.
 *
 * struct pharos_host is append-only: new services are added at the end and
 * PHAROS_ABI_MINOR is bumped. A plugin built against a newer header can test
 * whether the running core has a member with PHAROS_HOST_HAS().
 */
#ifndef PHAROS_HOST_H
#define PHAROS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <pharos/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handle the core gives each plugin's init(); identifies the caller. */
struct pharos_plugin;
/* Opaque per-run context handed to a step's applies()/run(). */
struct pharos_step_ctx;

/* Log levels for pharos_host.log. */
enum pharos_log_level {
        PHAROS_LOG_ERROR = 0,
        PHAROS_LOG_WARN,
        PHAROS_LOG_INFO,
        PHAROS_LOG_DEBUG,
};

/* Step flags. */
enum pharos_step_flags {
        /* Run on the selected hosts one at a time, in cluster.yml order; after a
         * host fails, the step starts on no further host. */
        PHAROS_STEP_SERIAL = 1u << 0,
        /* Run once for the cluster rather than once per host. */
        PHAROS_STEP_ONCE = 1u << 1,
};

/*
 * A step: one unit of work in a phase of a sequence. Registered from init()
 * with host->register_step, which copies the struct; the strings and arrays it
 * points to must stay valid while the plugin is loaded (static storage).
 *
 * Ordering: inside a phase the core sorts steps topologically by `after` and
 * `before`, breaking ties by step id (byte order), so the result does not
 * depend on how or in which order plugins were loaded. A reference prefixed
 * with '?' ("?addon-cert-manager.apply") is optional: ignored when no such
 * step is registered. Any other unknown reference is an error.
 *
 * Steps of the "validate" phase must only read: they run under --plan too.
 * After that phase every host must have been claimed by a step of an OS
 * plugin (one whose applies() said yes), or the run stops there.
 */
struct pharos_step {
        uint32_t struct_size;      /* sizeof(struct pharos_step) */
        const char *id;            /* unique, "<plugin>.<step>" by convention */
        const char *phase;         /* one of the core's phase names (pharos plugins steps) */
        const char *const *after;  /* NULL-terminated ids this step runs after, or NULL */
        const char *const *before; /* NULL-terminated ids this step runs before, or NULL */
        uint32_t flags;            /* enum pharos_step_flags */
        const char *description;   /* one line shown by --plan and in progress output */
        /* Returns 1 if the step has work on ctx's host, 0 if not, <0 on error. NULL: always. */
        int (*applies)(struct pharos_step_ctx *ctx, void *state);
        /*
         * Does the work. Returns 0, or <0 after reporting through host->set_error.
         * A failure is retried on that host (with backoff, within the run's
         * per-host retry budget; applies() is asked again first) when the last
         * step service the step called failed in a way that may pass: the
         * connection was refused or lost, the API answered 429/5xx or not at
         * all, or a command exited PHAROS_EXIT_TRANSIENT. Others fail at once.
         */
        int (*run)(struct pharos_step_ctx *ctx, void *state);
        /*
         * ABI 1.5. With PHAROS_STEP_SERIAL: how many hosts the step may work on at
         * once, taken in cluster.yml order (an upgrade's max_unavailable). Asked once
         * per run, before the step's first host; NULL, or 0: one at a time.
         */
        unsigned (*serial_width)(void *state);
        /*
         * ABI 1.6. Optional: makes, ahead of the phases, the reads applies() is going
         * to make on ctx's host, so that the core asks the host every step's in one
         * round trip instead of one each. Called once per host the step may run on
         * (the first master for a PHAROS_STEP_ONCE step) after the facts are known;
         * it must only read. In it, step_exec and step_script with PHAROS_EXEC_SUDO,
         * and step_read_file, are recorded and not run: they return PHAROS_DEFERRED
         * with an empty result (status 0, no output, an empty file). Every other
         * service fails. Afterwards, a call with the same arguments (command or
         * script, variables, flags' SUDO; path) gets the recorded call's answer
         * without a round trip, until any step's run() starts; from then on calls
         * go to the host again. So a no-change run asks each host once, and a call
         * prefetch did not make, or made differently, only costs its own round
         * trip. NULL: none.
         */
        void (*prefetch)(struct pharos_step_ctx *ctx, void *state);
};

/* What step_exec, step_script and step_read_file return inside a step's
 * prefetch(): the call was recorded, and its result is empty. */
#define PHAROS_DEFERRED 1

#define PHAROS_STEP_SIZE_1_0 (offsetof(struct pharos_step, run) + sizeof(void *))

/* Types of a plugin command's parameters, and the C type the function receives. */
enum pharos_param_type {
        PHAROS_PARAM_STRING = 1, /* const char * (NULL when optional and absent without default) */
        PHAROS_PARAM_INT,        /* int64_t */
        PHAROS_PARAM_BOOL,       /* int, 0 or 1 */
        PHAROS_PARAM_DOUBLE,     /* double */
};

enum pharos_param_flags {
        /* Given as --name VALUE (bool: --name / --no-name) instead of by position. */
        PHAROS_PARAM_OPTION = 1u << 0,
        /* May be omitted; then default_value (if any) or the type's zero value is passed. */
        PHAROS_PARAM_OPTIONAL = 1u << 1,
};

/* One declared parameter of a plugin command. */
struct pharos_param {
        const char *name;          /* [a-z0-9-]+; the option name or the positional's label */
        uint32_t type;             /* enum pharos_param_type */
        uint32_t flags;            /* enum pharos_param_flags */
        const char *default_value; /* textual default parsed like a command-line value, or NULL */
        const char *help;          /* one line for the command's --help */
};

/*
 * A command added to the pharos CLI. `fn` is called through libffi as
 *   int fn(void *state, P1 p1, P2 p2, ...)
 * with one argument per entry of `params`, in order, of the C type its
 * pharos_param_type names. Its return value is the process exit code.
 */
struct pharos_command {
        uint32_t struct_size;              /* sizeof(struct pharos_command) */
        const char *name;                  /* words separated by one space: "hello greet" */
        const char *summary;               /* one line for `pharos help` */
        const struct pharos_param *params; /* array of n_params entries (static storage) */
        uint32_t n_params;
        void (*fn)(void); /* cast of the function described above */
};

#define PHAROS_COMMAND_SIZE_1_0 (offsetof(struct pharos_command, fn) + sizeof(void (*)(void)))

/* Flags of host->step_exec and host->step_script. */
enum pharos_exec_flags {
        PHAROS_EXEC_SUDO = 1u << 0,   /* run as root (sudo -n unless the user is root) */
        PHAROS_EXEC_CHECK = 1u << 1,  /* a non-zero exit fails the step, quoting stderr's tail */
        PHAROS_EXEC_SECRET = 1u << 2, /* never show the command text nor its output (a secret) */
        PHAROS_EXEC_QUIET = 1u << 3,  /* never log the output, even at -v (it may hold a secret) */
};

/* Exit status (sysexits' EX_TEMPFAIL) by which a host command says its failure
 * is transient, e.g. a service it waits for is not up yet: the step is retried. */
#define PHAROS_EXIT_TRANSIENT 75

/* Result of a command run by a step. Buffers are owned by the core and stay
 * valid until the step's next call into the core or its return. */
struct pharos_exec_result {
        int status;      /* exit status; 128 + N when killed by signal N */
        const char *out; /* stdout, NUL-terminated */
        size_t out_len;
        const char *err; /* stderr, NUL-terminated */
        size_t err_len;
};

/* A variable set for a script (host->step_script). */
struct pharos_env {
        const char *name;
        const char *value;
};

/*
 * An HTTPS request made from a host of the cluster (host->https_request): the
 * connection is an SSH tunnel opened on `via`, so services that listen only
 * inside the cluster (etcd's client port) are reachable; TLS verifies the
 * server against ca_file and authenticates with cert_file/key_file, all read
 * (with sudo) from `via`. Strings are borrowed for the call only.
 */
struct pharos_https_request {
        uint32_t struct_size;  /* sizeof(struct pharos_https_request) */
        const char *via;       /* address of the cluster.yml host to leave from; NULL: the step's */
        const char *address;   /* where to connect from there; also the name TLS checks */
        uint32_t port;         /* e.g. 2379 */
        const char *ca_file;   /* path on `via`: CA certificate(s) of the server, PEM */
        const char *cert_file; /* path on `via`: client certificate, PEM; NULL: none */
        const char *key_file;  /* path on `via`: its private key (never logged) */
        const char *method;    /* "GET", "POST" ... */
        const char *path;      /* "/v3/cluster/member/list" */
        const char *body;      /* JSON request body, or NULL */
        uint32_t timeout_ms;   /* the whole request; 0: 10 s */
};

/*
 * The host-services table. Owned by the core; valid for the whole run.
 * `self` arguments are the handle the plugin's init() received.
 */
struct pharos_host {
        uint32_t struct_size;       /* sizeof(struct pharos_host) of the running core */
        uint32_t abi_major;         /* the core's PHAROS_ABI_MAJOR */
        uint32_t abi_minor;         /* the core's PHAROS_ABI_MINOR */
        const char *pharos_version; /* the core's version string */

        /* printf-style log line, prefixed with the plugin's name. */
        void (*log)(struct pharos_plugin *self, int level, const char *fmt, ...)
                __attribute__((format(printf, 3, 4)));
        /* Records why the plugin's last call or init failed (copied). */
        void (*set_error)(struct pharos_plugin *self, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));
        /* Registers a step (the struct is copied; its strings must stay valid). Returns 0 or <0. */
        int (*register_step)(struct pharos_plugin *self, const struct pharos_step *step);
        /* Registers a CLI command (copied; strings and params must stay valid). Returns 0 or <0. */
        int (*register_command)(struct pharos_plugin *self, const struct pharos_command *cmd);

        /*
         * Configuration access (see <pharos/config.h>). The root of the
         * plugin's own validated section, or NULL when it is absent or no
         * cluster.yml has been loaded in this run.
         */
        const struct pharos_config_node *(*config_section)(struct pharos_plugin *self);
        /* enum pharos_config_node_kind of n. */
        int (*config_kind)(const struct pharos_config_node *n);
        /* The value of key in map n, or NULL. */
        const struct pharos_config_node *(*config_get)(const struct pharos_config_node *n,
                                                       const char *key);
        /* Scalar text (owned by the core), or NULL for a container or NULL node. */
        const char *(*config_string)(const struct pharos_config_node *n);
        /* Scalar conversions: 0 and *out set, or -1 when n is not such a value. */
        int (*config_int)(const struct pharos_config_node *n, int64_t *out);
        int (*config_bool)(const struct pharos_config_node *n, int *out);
        int (*config_double)(const struct pharos_config_node *n, double *out);
        /* Number of items of a list or pairs of a map; 0 for anything else. */
        size_t (*config_len)(const struct pharos_config_node *n);
        /* Item i of a list, or value i of a map (document order); NULL out of range. */
        const struct pharos_config_node *(*config_at)(const struct pharos_config_node *n, size_t i);
        /* Key i of a map (owned by the core), or NULL. */
        const char *(*config_key_at)(const struct pharos_config_node *n, size_t i);
        /*
         * The whole validated cluster.yml with every default (hosts,
         * network.pod_network_cidr ...), or NULL when none is loaded.
         */
        const struct pharos_config_node *(*config_root)(struct pharos_plugin *self);

        /*
         * Step services: only valid with the ctx a step's applies()/run()
         * received. A step runs on one host (or, with PHAROS_STEP_ONCE, on
         * the first master); errors name the phase, host and step.
         */
        /* A fact about the step's host: "address", "role", "hostname",
         * "os.id", "os.id_like", "os.version_id", "arch",
         * "cgroup.fs" (the type of /sys/fs/cgroup as `stat -f -c %T` names it:
         * "cgroup2fs" on a cgroup v2 host, "tmpfs" on cgroup v1), "cap.bounding" (the login's
         * capability bounding set, hex as /proc/self/status's CapBnd: what even root can hold
         * there; a container host may lack some), "user", "index" (position in cluster.yml),
         * "sequence" ("up", "worker-up", "reset"), "prune" ("1" with `pharos up --prune`: delete
         * what cluster.yml dropped), "selected" (the cluster.yml indexes a `pharos reset -a/-r/-l`
         * works on, comma-separated as "1,3"; NULL: every host — validation sees every host, later
         * phases only the selected ones); in `pharos worker up` also "worker_up.join_command" (a
         * secret: the token) and "worker_up.api_endpoint" (HOST:PORT of the first master that
         * answered). Core-owned string, or NULL if unknown. */
        const char *(*step_fact)(struct pharos_step_ctx *ctx, const char *name);
        /* The step's host entry of cluster.yml (see config.h). */
        const struct pharos_config_node *(*step_host)(struct pharos_step_ctx *ctx);
        /* Runs a command with the host user's shell. Returns 0 when it ran (status in
         * res, which may be NULL), <0 when it could not run or PHAROS_EXEC_CHECK failed;
         * the step's error is then set. */
        int (*step_exec)(struct pharos_step_ctx *ctx, const char *cmd, uint32_t flags,
                         struct pharos_exec_result *res);
        /* Feeds script to `sh -s` under `env -i`, with PATH and env[0..n_env) only. The
         * variables travel on stdin ahead of the script, never on a command line (so a
         * secret may be one), whatever their size. */
        int (*step_script)(struct pharos_step_ctx *ctx, const char *script,
                           const struct pharos_env *env, size_t n_env, uint32_t flags,
                           struct pharos_exec_result *res);
        /* Writes a file atomically with mode and owner ("user[:group]" or NULL). */
        int (*step_upload)(struct pharos_step_ctx *ctx, const char *path, const void *data,
                           size_t len, uint32_t mode, const char *owner);
        /* Reads a file into *data (core-owned, as a result buffer). <0 if unreadable.
         * The content is never logged (keys and kubeconfigs are read this way). */
        int (*step_read_file)(struct pharos_step_ctx *ctx, const char *path, const char **data,
                              size_t *len);
        /* Records that the step changed something (shown in progress and summary). */
        void (*step_changed)(struct pharos_step_ctx *ctx, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));
        /* Sets the step's failure message; return <0 from run() after it. */
        void (*step_fail)(struct pharos_step_ctx *ctx, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));
        /* Why applies() said the step has work (printed by `pharos up --plan`). */
        void (*step_reason)(struct pharos_step_ctx *ctx, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));

        /*
         * Kubernetes API, reached through an SSH tunnel to a master that has
         * a control plane. Calls fail (<0, step error set) until one has.
         */
        /* Applies a YAML stream (many documents) as stack `stack`: missing objects are
         * created, changed ones patched, objects dropped from the stack deleted. Marks
         * the step changed when anything was written. */
        int (*kube_apply_stack)(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                                size_t len);
        /* Deletes every object of stack `stack` (nothing when it does not exist). */
        int (*kube_delete_stack)(struct pharos_step_ctx *ctx, const char *stack);
        /* One request: METHOD PATH with an optional JSON body (merge-patch for PATCH).
         * *status gets the HTTP status, *response the body (core-owned, as results). */
        int (*kube_request)(struct pharos_step_ctx *ctx, const char *method, const char *path,
                            const char *body, long *status, const char **response);

        /* ABI 1.1 */
        /*
         * The loaded cluster.yml's path as given to pharos ("-" for stdin), or
         * NULL when none is loaded. Paths a plugin reads from its section
         * that are relative are meant from this file's directory.
         */
        const char *(*config_file)(struct pharos_plugin *self);

        /* ABI 1.2 */

        /* Sends req (see struct pharos_https_request). Returns 0 when a response came:
         * *status the HTTP status, *response the body (core-owned, as results); <0 with
         * the step's error set when none did (no tunnel, unreadable certificates, TLS). */
        int (*https_request)(struct pharos_step_ctx *ctx, const struct pharos_https_request *req,
                             long *status, const char **response);
        /* Like step_fail, but the step refuses what cluster.yml or the command asks for:
         * the run stops with exit status 2. For steps that changed nothing (validate). */
        void (*step_refuse)(struct pharos_step_ctx *ctx, const char *fmt, ...)
                __attribute__((format(printf, 2, 3)));

        /* ABI 1.3 */

        /* 1 when kube_apply_stack with the same arguments would write anything, 0 when
         * the cluster has the stack as given, <0 with the step's error set when the API
         * can't tell. Reads only: for applies(), so that `pharos up --plan` and a real
         * run agree on a stack step that has nothing to do. */
        int (*kube_stack_differs)(struct pharos_step_ctx *ctx, const char *stack, const char *yaml,
                                  size_t len);

        /* ABI 1.4 */

        /* An OS plugin offers to install Kubernetes packages on the hosts its steps claim
         * (an applies() of its that said yes): install(ctx, state, packages, version) puts
         * the NULL-terminated packages ("kubelet", "kubeadm", "kubectl") at version
         * ("1.37.2") on ctx's host, held there as its own kube-packages step holds them,
         * and returns 0, or <0 with the step failed. state is the plugin's init() state.
         * Once per plugin; a second call replaces the first. */
        int (*register_kube_packages)(struct pharos_plugin *self,
                                      int (*install)(struct pharos_step_ctx *ctx, void *state,
                                                     const char *const *packages,
                                                     const char *version));
        /* Asks the OS plugin that claimed the step's host to install packages at version
         * (see register_kube_packages): for steps of other plugins that move one package
         * at a time, as an upgrade does. <0 with the step failed when no OS plugin offers
         * it or the install failed. */
        int (*step_kube_packages)(struct pharos_step_ctx *ctx, const char *const *packages,
                                  const char *version);
        /* Drains the Node `node` as `kubectl drain --ignore-daemonsets
         * --delete-emptydir-data --timeout` does: cordoned, its pods evicted (waiting while
         * a PodDisruptionBudget holds them) and gone within timeout_s seconds (0: 300).
         * Refuses, evicting nothing, when a pod no controller manages would go. A Node
         * that does not exist is nothing to drain (0). Progress goes to the run's events.
         * Returns 0, or <0 with the step failed; a failed drain leaves the Node cordoned. */
        int (*kube_drain)(struct pharos_step_ctx *ctx, const char *node, uint32_t timeout_s);
        /* Makes the Node schedulable again (`kubectl uncordon`); no such Node is 0. */
        int (*kube_uncordon)(struct pharos_step_ctx *ctx, const char *node);
};

/* True when the running core's host table has `member` (test before calling newer services). */
#define PHAROS_HOST_HAS(host, member)                                                              \
        ((host)->struct_size >= offsetof(struct pharos_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif

#endif
