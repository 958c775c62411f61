/* What the transport's files share: the struct behind struct transport. */
#ifndef PHAROS_CORE_SSH_TRANSPORT_IMPL_H
#define PHAROS_CORE_SSH_TRANSPORT_IMPL_H

#include "ssh/ssh_conn.h"
#include "ssh/transport.h"

struct transport {
        struct tp_target target; /* strings borrowed from the caller */
        struct tp_opts opts;
        char name[256];
        int is_root;   /* commands already run as root: no sudo needed */
        int connected; /* conn is open (SSH hosts only) */
        struct ssh_conn conn;
        unsigned long round_trips; /* commands sent (tp_round_trips) */
};

/* Runs an already wrapped command line (shown: the caller's command, for
 * messages; sudo_wrapped: whether pharos added sudo). As tp_exec. */
int tp_run_line(struct transport *t, const char *cmdline, const char *shown, int sudo_wrapped,
                const struct tp_cmd *cmd, struct tp_result *res, struct pharos_error *err);

/* The text tp_script feeds on stdin: env's assignments, then the script
 * (malloc'd, *len bytes, NUL-terminated). <0 with err set on a bad name. */
int tp_script_payload(struct transport *t, const char *script, const struct tp_env *env,
                      size_t n_env, char **out, size_t *len, struct pharos_error *err);

/* Writes s as one single-quoted shell word at p (room: 4 * strlen(s) + 2);
 * returns the end. */
char *tp_put_quoted(char *p, const char *s);

#endif
