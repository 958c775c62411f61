/* One authenticated libssh2 session to one host, over TCP, a proxy command
 * or a bastion tunnel. */
#ifndef PHAROS_CORE_SSH_CONN_H
#define PHAROS_CORE_SSH_CONN_H

#include <libssh2.h>
#include <sys/types.h>

#include "ssh/transport.h"

struct ssh_conn {
        LIBSSH2_SESSION *s;
        int sock;
        pid_t proxy_pid; /* proxy command child, 0 if none */
        char user[128];
        int keepalive_s;
};

/* The key exchange methods offered, cheapest first (see DESIGN.md's costs). */
#define SSH_KEX_PREFS                                                                              \
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"                       \
        "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"              \
        "diffie-hellman-group16-sha512,diffie-hellman-group14-sha256"

/* Connects, verifies the host key and authenticates; leaves the session in
 * blocking mode. Returns 0 or <0 with err naming the host. */
int sshc_connect(struct ssh_conn *c, const struct tp_target *t, const struct tp_opts *o,
                 struct pharos_error *err);
void sshc_close(struct ssh_conn *c);

/* Waits for the socket in the direction(s) libssh2 is blocked on. */
int sshc_wait(struct ssh_conn *c, int timeout_ms);

/* True when a libssh2 error code means the session itself is gone. */
int sshc_is_broken(int rc);

#endif
