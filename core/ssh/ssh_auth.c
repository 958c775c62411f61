#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ssh/ssh_auth.h"

/* One passphrase per process: asked once even when many hosts connect at once. */
static pthread_mutex_t pass_lock = PTHREAD_MUTEX_INITIALIZER;
static char pass_key[4096];
static char *pass_value;
static char *prompt_tty(const char *key_path);
static char *(*pass_prompt)(const char *key_path) = prompt_tty;

int ssh_key_is_encrypted(const char *key_path)
{
        FILE *f = fopen(key_path, "r");
        if (!f)
                return 0;
        char line[1024];
        int openssh = 0, encrypted = 0;
        char b64[64] = "";
        size_t b64n = 0;
        while (fgets(line, sizeof(line), f)) {
                if (strstr(line, "BEGIN OPENSSH PRIVATE KEY")) {
                        openssh = 1;
                        continue;
                }
                if (strstr(line, "ENCRYPTED")) {
                        encrypted = 1;
                        break;
                }
                if (openssh && line[0] != '-') {
                        /* the cipher name sits in the first bytes of the decoded body */
                        size_t n = strcspn(line, "\r\n");
                        size_t take = n < sizeof(b64) - 1 - b64n ? n : sizeof(b64) - 1 - b64n;
                        memcpy(b64 + b64n, line, take);
                        b64n += take;
                        if (b64n >= 48)
                                break;
                }
        }
        fclose(f);
        if (!openssh || encrypted)
                return encrypted;
        b64n -= b64n % 4;
        unsigned char raw[48];
        if (b64n < 40 || EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64n) < 30)
                return 0;
        /* "openssh-key-v1\0", then uint32 length and the cipher name */
        static const char magic[] = "openssh-key-v1";
        if (memcmp(raw, magic, sizeof(magic)) != 0)
                return 0;
        const unsigned char *p = raw + sizeof(magic);
        unsigned len = (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
        return !(len == 4 && memcmp(p + 4, "none", 4) == 0);
}

static char *prompt_tty(const char *key_path)
{
        int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        struct termios old, quiet;
        int have_term = tcgetattr(fd, &old) == 0;
        if (!have_term) {
                close(fd);
                return NULL;
        }
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSANOW, &quiet);
        char msg[4200];
        int n = snprintf(msg, sizeof(msg), "Enter passphrase for key '%s': ", key_path);
        ssize_t w = write(fd, msg, (size_t)n);
        (void)w; /* without the prompt the user still can type */
        char buf[1024];
        size_t len = 0;
        char c;
        while (len + 1 < sizeof(buf) && read(fd, &c, 1) == 1 && c != '\n')
                buf[len++] = c;
        buf[len] = '\0';
        tcsetattr(fd, TCSANOW, &old);
        close(fd);
        char *p = strdup(buf);
        OPENSSL_cleanse(buf, sizeof(buf));
        return p;
}

void ssh_auth_set_prompt(char *(*prompt)(const char *key_path))
{
        pthread_mutex_lock(&pass_lock);
        pass_prompt = prompt ? prompt : prompt_tty;
        pthread_mutex_unlock(&pass_lock);
}

int ssh_key_passphrase(const char *host, const char *key_path, char *buf, size_t cap,
                       struct pharos_error *err)
{
        const char *env = getenv("PHAROS_SSH_KEY_PASSPHRASE");
        if (env) {
                snprintf(buf, cap, "%s", env);
                return 0;
        }
        /* Copied under the lock: another thread asking for another key frees the
         * remembered one. */
        pthread_mutex_lock(&pass_lock);
        if (!pass_value || strcmp(pass_key, key_path) != 0) {
                if (pass_value) {
                        OPENSSL_cleanse(pass_value, strlen(pass_value));
                        free(pass_value);
                }
                pass_value = pass_prompt(key_path);
                snprintf(pass_key, sizeof(pass_key), "%s", key_path);
        }
        int ok = pass_value != NULL;
        if (ok)
                snprintf(buf, cap, "%s", pass_value);
        pthread_mutex_unlock(&pass_lock);
        if (!ok)
                return perr_set(err, PERR_FAIL,
                                "%s: key %s is passphrase-protected: set PHAROS_SSH_KEY_PASSPHRASE "
                                "or run on a terminal",
                                host, key_path);
        return 0;
}

static int try_agent(LIBSSH2_SESSION *s, const char *user, char *why, size_t cap)
{
        LIBSSH2_AGENT *agent = libssh2_agent_init(s);
        if (!agent) {
                snprintf(why, cap, "ssh-agent: cannot initialise");
                return -1;
        }
        int rc = -1;
        if (!getenv("SSH_AUTH_SOCK")) {
                snprintf(why, cap, "ssh-agent: not running (SSH_AUTH_SOCK unset)");
        } else if (libssh2_agent_connect(agent) != 0) {
                snprintf(why, cap, "ssh-agent: cannot connect");
        } else if (libssh2_agent_list_identities(agent) != 0) {
                snprintf(why, cap, "ssh-agent: cannot list identities");
                libssh2_agent_disconnect(agent);
        } else {
                struct libssh2_agent_publickey *id = NULL, *prev = NULL;
                int tried = 0;
                while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
                        tried++;
                        if (libssh2_agent_userauth(agent, user, id) == 0) {
                                rc = 0;
                                break;
                        }
                        prev = id;
                }
                if (rc < 0)
                        snprintf(why, cap, "ssh-agent: %d key%s refused", tried,
                                 tried == 1 ? "" : "s");
                libssh2_agent_disconnect(agent);
        }
        libssh2_agent_free(agent);
        return rc;
}

int ssh_auth(LIBSSH2_SESSION *s, const char *host, const char *user, const char *key_path,
             struct pharos_error *err)
{
        char key_why[512] = "", agent_why[256] = "";
        if (key_path && access(key_path, R_OK) == 0) {
                char pass[1024] = "";
                int enc = ssh_key_is_encrypted(key_path);
                if (enc && ssh_key_passphrase(host, key_path, pass, sizeof(pass), err) < 0)
                        return PERR_FAIL;
                int rc = libssh2_userauth_publickey_fromfile_ex(s, user, (unsigned)strlen(user),
                                                                NULL, key_path, enc ? pass : NULL);
                OPENSSL_cleanse(pass, sizeof(pass));
                if (rc == 0)
                        return 0;
                if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
                    rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)
                        return perr_set(err, PERR_FAIL, "%s: authentication as %s %s", host, user,
                                        rc == LIBSSH2_ERROR_TIMEOUT ? "timed out"
                                                                    : "failed: connection lost");
                if (rc == LIBSSH2_ERROR_FILE)
                        snprintf(key_why, sizeof(key_why), "key %s: %s", key_path,
                                 enc ? "wrong passphrase" : "unreadable or unsupported format");
                else
                        snprintf(key_why, sizeof(key_why), "key %s refused", key_path);
        } else if (key_path) {
                snprintf(key_why, sizeof(key_why), "key %s: %s", key_path, strerror(errno));
        }
        if (try_agent(s, user, agent_why, sizeof(agent_why)) == 0)
                return 0;
        return perr_set(err, PERR_FAIL, "%s: authentication as %s failed (%s%s%s)", host, user,
                        key_why, key_why[0] ? "; " : "", agent_why);
}
