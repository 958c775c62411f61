/*
 * Jump hosts: one SSH session per bastion, shared by every host behind it,
 * each host's connection a direct-tcpip channel on that session. libssh2
 * needs a socket for the inner session, so each channel is pumped to one end
 * of a socketpair by the bastion's single pump thread.
 */
#ifndef PHAROS_CORE_SSH_BASTION_H
#define PHAROS_CORE_SSH_BASTION_H

#include "ssh/transport.h"

/* Returns a socket connected to host:port through the bastion (connecting
 * to the bastion on first use), or <0 with err set. */
int bastion_tunnel(const struct tp_target *bastion, const struct tp_opts *o, const char *host,
                   int port, struct pharos_error *err);

/* Closes every bastion session and stops the pump threads. */
void bastion_cleanup(void);

#endif
