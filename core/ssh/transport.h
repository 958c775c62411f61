/*
 * Running commands on a host: over SSH (libssh2) or, for the machine pharos
 * runs on, locally through fork/exec. Both behind one API.
 *
 * A transport is one open connection to one host; every command, script and
 * file transfer on that host goes through it (one SSH session, a channel per
 * command). A transport is not shared between threads.
 */
#ifndef PHAROS_CORE_SSH_TRANSPORT_H
#define PHAROS_CORE_SSH_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Where and how to reach a host. Strings are borrowed, not copied. */
struct tp_target {
        const char *address;
        int port;                        /* 0: 22 */
        const char *user;                /* NULL: "root" */
        const char *key_path;            /* NULL: no key file, agent only */
        const char *proxy_command;       /* NULL or an OpenSSH-style ProxyCommand (%h %p %r) */
        const struct tp_target *bastion; /* NULL or the jump host (no bastion of its own) */
        int local;                       /* run on this machine through fork/exec */
};

/* Connection policy shared by all hosts of a run. */
struct tp_opts {
        int connect_timeout_ms;  /* TCP connect + handshake + auth; 0: 10 s */
        int command_timeout_ms;  /* default per command; 0: none */
        int keepalive_s;         /* keepalive interval; 0: 30 s */
        int trust_hosts;         /* replace changed known_hosts entries instead of refusing */
        const char *known_hosts; /* NULL: kh_default_path() */
};

struct transport;

/* Opens a connection (connects, verifies the host key, authenticates).
 * Returns 0 and *out, or <0 with err naming the host. Free with tp_close. */
int tp_open(const struct tp_target *target, const struct tp_opts *opts, struct transport **out,
            struct pharos_error *err);
void tp_close(struct transport *t);

/* The name used in messages and output prefixes (the address). */
const char *tp_name(const struct transport *t);

/* Commands sent so far: each command, script, upload and read is one round
 * trip to the host (the connection itself is not counted). */
unsigned long tp_round_trips(const struct transport *t);

/* Receives output as it arrives: stream 1 = stdout, 2 = stderr. */
typedef void (*tp_sink)(void *ud, int stream, const char *buf, size_t n);

struct tp_cmd {
        const char *cmd; /* a command line for the remote user's shell */
        int sudo;        /* run as root: wrapped in `sudo -n` unless the user is root */
        const void *in;  /* bytes fed on stdin, then EOF; NULL: empty stdin */
        size_t in_len;
        int timeout_ms; /* 0: the transport's default */
        tp_sink sink;   /* NULL: captured if asked, and at debug level logged line by
                           line with the host as prefix */
        void *ud;
        int capture; /* collect stdout and stderr into the result */
        int quiet;   /* never log the output: it may hold a secret (a key, a token) */
        int secret;  /* quiet, and messages never quote the command text */
};

/* What a finished command left. out/err are malloc'd when captured (and
 * NUL-terminated for convenience); free with tp_result_free. */
struct tp_result {
        int status; /* exit status; 128 + signal number when killed by a signal */
        char *out;
        size_t out_len;
        char *err;
        size_t err_len;
};
void tp_result_free(struct tp_result *r);
/* dst = a copy of src's status and bytes (out/err NUL-terminated, malloc'd;
 * a NULL buffer is copied as empty). Returns 0, or -1 out of memory with dst empty. */
int tp_result_copy(const struct tp_result *src, struct tp_result *dst);

/*
 * Runs a command and waits for it. Returns 0 when it ran (whatever its exit
 * status: see res->status), <0 with err set when it could not run or did not
 * finish (connection lost, timeout). With sudo, a sudo that wants a password
 * is reported as an error naming the host and the command.
 * A session found broken before the command starts is reconnected once.
 */
int tp_exec(struct transport *t, const struct tp_cmd *cmd, struct tp_result *res,
            struct pharos_error *err);

/* A declared environment variable for tp_script. */
struct tp_env {
        const char *name;
        const char *value;
};

/* Feeds `script` to `sh -s` on stdin under `env -i`, with only PATH and the
 * given variables set. The variables travel on stdin ahead of the script,
 * never on a command line (where /proc and sudo's log would show them), and
 * have no size limit. Output and status as tp_exec. */
int tp_script(struct transport *t, const char *script, const struct tp_env *env, size_t n_env,
              int sudo, const struct tp_cmd *io, struct tp_result *res, struct pharos_error *err);

/* Writes a file atomically (a temporary file in the same directory, then
 * rename), with the given mode and owner ("user" or "user:group", NULL: leave).
 * Through sudo unless the user is root. Returns 0 or <0 with err set. */
int tp_upload(struct transport *t, const char *path, const void *data, size_t len, mode_t mode,
              const char *owner, struct pharos_error *err);

/* Reads a whole file (through sudo unless the user is root) into *data
 * (malloc'd, NUL-terminated; caller frees). The content is never logged: the
 * files read are keys and kubeconfigs. Returns 0 or <0 with err set. */
int tp_read_file(struct transport *t, const char *path, char **data, size_t *len,
                 struct pharos_error *err);

/* What tp_batch runs: a command (as tp_exec with sudo), a script (as
 * tp_script with sudo) or a file read (as tp_read_file). Borrowed. */
enum tp_batch_kind { TP_BATCH_EXEC, TP_BATCH_SCRIPT, TP_BATCH_READ };
struct tp_batch_req {
        enum tp_batch_kind kind;
        const char *text; /* the command, the script, or the path */
        const struct tp_env *env;
        size_t n_env; /* scripts only */
};

/*
 * Runs reqs[0..n) as root one after another in one round trip, each with the
 * stdin, environment and PATH it would have alone, and fills res[i] with what
 * it left: status, stdout and stderr, as tp_exec would have (a read: the
 * command that tp_read_file runs). A request the batch did not reach has
 * status -1. Output is never logged (reads carry keys). Returns 0 when the
 * batch ran, <0 with err set when it did not or its output was unreadable.
 */
int tp_batch(struct transport *t, const struct tp_batch_req *reqs, size_t n, struct tp_result *res,
             struct pharos_error *err);

/* Runs an interactive shell (or cmd when not NULL) with the local terminal:
 * a PTY when stdin is a terminal. Returns the remote exit status, or <0. */
int tp_interactive(struct transport *t, const char *cmd, struct pharos_error *err);

/* True when the address names this machine (localhost, 127.0.0.1, ::1). */
int tp_address_is_local(const char *address);

/* Releases what the transports of this process share (bastion tunnels). */
void tp_global_cleanup(void);

#endif
