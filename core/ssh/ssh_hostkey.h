/* Host key verification with OpenSSH's accept-new policy. */
#ifndef PHAROS_CORE_SSH_HOSTKEY_H
#define PHAROS_CORE_SSH_HOSTKEY_H

#include <libssh2.h>

#include "ssh/transport.h"

/* The host key algorithms to offer, types already recorded for the host first. */
void hostkey_prefs(const char *kh_path, const char *host, int port, char *buf, size_t cap);

/* After the handshake: an unknown key is recorded, a known one must match; a
 * changed key is refused with both fingerprints, or replaced when trust_hosts. */
int hostkey_verify(LIBSSH2_SESSION *s, const char *kh_path, const char *host, int port,
                   int trust_hosts, struct pharos_error *err);

#endif
