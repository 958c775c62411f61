/*
 * A loopback TCP relay in front of a tunnel socket, for libcurl.
 *
 * libcurl 7.88 (Debian 12) calls connect() on the socket its open-socket
 * callback returns even when the sockopt callback answers
 * CURL_SOCKOPT_ALREADY_CONNECTED, and connect() on a tunnel's AF_UNIX
 * socketpair fails with EINVAL. So curl is given a plain TCP socket and the
 * address of a one-shot loopback listener instead; the relay accepts curl's
 * connection and copies bytes between it and the tunnel until either closes.
 *
 * Any local process may connect to a loopback port, so the relay makes the
 * socket curl connects from itself, bound to a loopback port of its own
 * (without SO_REUSEADDR, so no other socket can take that port), and accepts
 * only the connection coming from that address: whoever connects first gets
 * nothing, the API's credentials and answers reach pharos alone.
 */
#ifndef PHAROS_CORE_KUBE_RELAY_H
#define PHAROS_CORE_KUBE_RELAY_H

#include <netinet/in.h>

/* Takes tunnel_fd (closed by the relay, also on failure); *addr gets the
 * listener's address. Returns the socket curl must connect to *addr (the
 * caller owns it), or -1 with errno set. */
int relay_start(int tunnel_fd, struct sockaddr_in *addr);

#endif
