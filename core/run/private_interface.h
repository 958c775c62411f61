/*
 * hosts[].private_interface, learnt with the facts: the interface's first
 * global IPv4 address becomes the host's private address
 * (config/private_address.h).
 */
#ifndef PHAROS_CORE_RUN_PRIVATE_INTERFACE_H
#define PHAROS_CORE_RUN_PRIVATE_INTERFACE_H

#include <stddef.h>

#include "run/run.h"

/* The first IPv4 address in the output of `ip -o -4 addr show`, into out (n bytes).
 * Returns 0, or -1 when it names none. */
int run_parse_ipv4(const char *ip_output, char *out, size_t n);

/* Asks host h for its private_interface's address and records it; 0 when h has no
 * private_interface. A missing interface, or one without an IPv4 address, is an
 * error naming the host and the interface. */
int run_private_interface(struct run *r, struct run_host *h, struct pharos_error *err);

#endif
