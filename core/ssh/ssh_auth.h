/* User authentication: the configured key file, then ssh-agent. */
#ifndef PHAROS_CORE_SSH_AUTH_H
#define PHAROS_CORE_SSH_AUTH_H

#include <libssh2.h>

#include "util/error.h"

/* Authenticates `user` on the session (blocking mode). host names the host in
 * messages. key_path may be NULL or name a missing file: then only the agent
 * is tried. An encrypted key's passphrase comes from PHAROS_SSH_KEY_PASSPHRASE
 * or, once per key and process, from a prompt on the terminal. */
int ssh_auth(LIBSSH2_SESSION *s, const char *host, const char *user, const char *key_path,
             struct pharos_error *err);

/* Copies key_path's passphrase into buf (the caller cleanses it after use):
 * PHAROS_SSH_KEY_PASSPHRASE, else asked on the terminal once per key and
 * process. 0, or PERR_FAIL with err set when there is none. Thread-safe. */
int ssh_key_passphrase(const char *host, const char *key_path, char *buf, size_t cap,
                       struct pharos_error *err);

/* Replaces the terminal prompt (tests); it returns a malloc'd passphrase or NULL.
 * NULL restores the terminal prompt. */
void ssh_auth_set_prompt(char *(*prompt)(const char *key_path));

/* True when the private key file is passphrase-protected (OpenSSH or PEM format). */
int ssh_key_is_encrypted(const char *key_path);

#endif
