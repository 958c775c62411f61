/*
 * The last line of defence for secrets in output: every log line, event and
 * error message passes through redact() before it is shown. The first line is
 * that secrets are never logged at all (quiet commands, file reads never
 * logged); this masks what slips through anyway, such as a command's stderr
 * quoted in an error: private keys in PEM, kubeadm bootstrap tokens, the
 * password of a URL's user info, and the values of keys and flags that name a
 * secret (token, certificate key, client key data, secret, password).
 */
#ifndef PHAROS_CORE_REDACT_H
#define PHAROS_CORE_REDACT_H

#include <stddef.h>

/* The text that stands in for a masked secret. */
#define REDACTED "<redacted>"

/* Copies the NUL-terminated in to out (capacity cap > 0, always
 * NUL-terminated, cut at cap - 1 bytes) with secrets masked. Returns the
 * length written. in and out must not overlap. */
size_t redact_copy(const char *in, char *out, size_t cap);

/* Masks secrets in the NUL-terminated s (capacity cap) in place. */
void redact_str(char *s, size_t cap);

#endif
