/*
 * known_hosts in OpenSSH's format: plain and hashed (|1|) host patterns,
 * "[host]:port" for other ports, comma lists, wildcards and negation.
 * @revoked lines refuse their key; @cert-authority lines are ignored (libssh2
 * can't verify host certificates).
 *
 * The policy (accept-new) lives in the caller; this file only reads, checks,
 * appends and replaces. Writers in one process are serialised here, and
 * writers across processes by flock() on the file.
 */
#ifndef PHAROS_CORE_SSH_KNOWN_HOSTS_H
#define PHAROS_CORE_SSH_KNOWN_HOSTS_H

#include <stddef.h>

#include "util/error.h"

enum kh_status {
        KH_MATCH = 0,      /* a line for the host has exactly this key */
        KH_UNKNOWN = 1,    /* no line for the host with a key of this type */
        KH_CHANGED = 2,    /* a line for the host has another key of this type */
        KH_REVOKED = 3,    /* an @revoked line for the host has exactly this key */
        KH_OTHER_TYPE = 4, /* no line with this type, but the host is recorded
                            * with a key of another type: OpenSSH's changed key */
};

/* "SHA256:" + unpadded base64 of the key blob's SHA-256, as ssh-keygen -l prints. */
#define KH_FP_LEN 64
void kh_fingerprint(const unsigned char *blob, size_t len, char out[KH_FP_LEN]);

/* Copies the key type a wire-format blob names in its first field into
 * type. Returns 0, or -1 for a malformed blob or a name longer than cap. */
int kh_key_type(const unsigned char *blob, size_t len, char *type, size_t cap);

/* What kh_check found on a KH_CHANGED or KH_OTHER_TYPE line (line, type and
 * fingerprint) or an @revoked one (line). */
struct kh_found {
        int line;                    /* 1-based line number in the file */
        char type[64];               /* of the recorded key ("" for @revoked) */
        char fingerprint[KH_FP_LEN]; /* of the recorded key */
};

/*
 * Checks the key (an SSH wire-format blob, whose first field names its type)
 * of host:port against the file. A missing file is an empty one. Returns an
 * enum kh_status, or <0 with err set when the file can't be read.
 */
int kh_check(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
             struct kh_found *found, struct pharos_error *err);

/* Appends a line for host:port with the key. Creates the file (0600) and its
 * directory (0700) if needed. Returns 0 or <0 with err set. */
int kh_add(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
           struct pharos_error *err);

/* Removes every line naming host:port (plain or hashed), then appends the
 * key; the file is rewritten through a temporary file and rename(). */
int kh_replace(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
               struct pharos_error *err);

/* Writes into buf the comma-separated key types recorded for host:port, in
 * file order without repeats ("" when none), so the key exchange can prefer
 * a type the host is already known by. */
void kh_known_types(const char *path, const char *host, int port, char *buf, size_t cap);

/* The file used: $PHAROS_KNOWN_HOSTS, else ~/.ssh/known_hosts written into
 * buf (the caller's: hosts connect in parallel, each asking). */
const char *kh_default_path(char *buf, size_t size);

#endif
