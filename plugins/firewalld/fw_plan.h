/* What firewalld should allow on a host, worked out from cluster.yml (pure). */
#ifndef PHAROS_FW_PLAN_H
#define PHAROS_FW_PLAN_H

#include <stddef.h>

/* One network.firewalld.open_ports entry. */
struct fw_port {
        const char *port;     /* "N" or "N-M" */
        const char *protocol; /* tcp or udp */
        const char *const *roles;
        size_t n_roles; /* "master", "worker" or "*" */
};

/*
 * Appends "PORT/PROTO" words (space separated, in order, no duplicates) of
 * the ports open on a host with `role` to out. Returns 0, or -1 when out is
 * too small.
 */
int fw_ports_for_role(const struct fw_port *ports, size_t n, const char *role, char *out,
                      size_t cap);

/*
 * Adds word to the space-separated list in out unless already there.
 * Returns 0, or -1 when out is too small.
 */
int fw_add_word(char *out, size_t cap, const char *word);

/* 1 when s is safe as one firewall-cmd argument word (no blanks or shell characters). */
int fw_word_ok(const char *s);

#endif
