/*
 * The cluster CA pinned by a kubeadm join command: every
 * --discovery-token-ca-cert-hash, "sha256:" and the hex SHA-256 of the CA
 * certificate's DER SubjectPublicKeyInfo, as kubeadm's pubkeypin computes it.
 * `pharos worker up` trusts a master's TLS only through a CA with a pinned key.
 */
#ifndef PHAROS_CORE_CLI_CA_PIN_H
#define PHAROS_CORE_CLI_CA_PIN_H

#include <stddef.h>

#include "util/error.h"

#define CA_PIN_MAX 8
#define CA_PIN_LEN 72 /* "sha256:" + 64 hex digits + NUL */

/* The pins of one join command, lowercase. */
struct ca_pins {
        char pin[CA_PIN_MAX][CA_PIN_LEN];
        size_t n;
};

/* Collects the pins of join (a `kubeadm join ...` line). PERR_USAGE naming the value when
 * one is not sha256:HEX64 or there are none. */
int ca_pins_parse(const char *join, struct ca_pins *p, struct pharos_error *err);

/*
 * Of the certificates of a PEM bundle, those whose key is pinned, as PEM:
 * malloc'd, the caller frees. NULL when none is, with `seen` set to the pins
 * of the certificates found, comma-separated ("" when none parsed).
 */
char *ca_pins_select(const char *pem, size_t len, const struct ca_pins *p, char *seen, size_t cap);

#endif
