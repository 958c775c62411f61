#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ssh/known_hosts.h"
#include "ssh/ssh_auth.h"
#include "ssh/ssh_bastion.h"
#include "ssh/ssh_conn.h"
#include "ssh/ssh_hostkey.h"
#include "ssh/ssh_socket.h"
#include "util/clock.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
        libssh2_init(0);
}

int sshc_is_broken(int rc)
{
        return rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_RECV ||
               rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_NONE ||
               rc == LIBSSH2_ERROR_SOCKET_TIMEOUT || rc == LIBSSH2_ERROR_TIMEOUT ||
               rc == LIBSSH2_ERROR_BAD_SOCKET;
}

int sshc_wait(struct ssh_conn *c, int timeout_ms)
{
        int dir = libssh2_session_block_directions(c->s);
        short ev = 0;
        if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
                ev |= POLLIN;
        if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
                ev |= POLLOUT;
        if (!ev)
                ev = POLLIN;
        return sock_wait(c->sock, ev, timeout_ms);
}

static const char *session_error(LIBSSH2_SESSION *s)
{
        char *msg = NULL;
        libssh2_session_last_error(s, &msg, NULL, 0);
        return msg && *msg ? msg : "unknown error";
}

static int open_stream(struct ssh_conn *c, const struct tp_target *t, int port, int timeout_ms,
                       const struct tp_opts *o, struct pharos_error *err)
{
        if (t->proxy_command)
                return sock_proxy_command(t->proxy_command, t->address, port, c->user,
                                          &c->proxy_pid, err);
        if (t->bastion)
                return bastion_tunnel(t->bastion, o, t->address, port, err);
        return sock_tcp_connect(t->address, port, timeout_ms, err);
}

/* Sets a method preference keeping only what this libssh2 supports: some
 * versions mishandle (overlapping memcpy) names they have to drop. */
static void set_pref(LIBSSH2_SESSION *s, int method, const char *wanted)
{
        const char **algs = NULL;
        int n = libssh2_session_supported_algs(s, method, &algs);
        char list[1024] = "";
        size_t used = 0;
        for (const char *p = wanted; *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                for (int i = 0; i < n; i++) {
                        if (strlen(algs[i]) == len && strncmp(algs[i], p, len) == 0 &&
                            used + len + 2 < sizeof(list)) {
                                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%.*s",
                                                         used ? "," : "", (int)len, p);
                                break;
                        }
                }
                p += len + (e ? 1 : 0);
        }
        if (n > 0)
                libssh2_free(s, algs);
        if (used)
                libssh2_session_method_pref(s, method, list);
}

static int left_ms(long long deadline)
{
        long long left = deadline - pharos_now_ms();
        return left > 0 ? (int)left : 0;
}

int sshc_connect(struct ssh_conn *c, const struct tp_target *t, const struct tp_opts *o,
                 struct pharos_error *err)
{
        pthread_once(&lib_once, lib_init);
        int port = t->port > 0 ? t->port : 22;
        int timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
        char kh_buf[4096];
        const char *kh = o->known_hosts ? o->known_hosts : kh_default_path(kh_buf, sizeof(kh_buf));
        memset(c, 0, sizeof(*c));
        c->sock = -1;
        snprintf(c->user, sizeof(c->user), "%s", t->user ? t->user : "root");
        c->keepalive_s = o->keepalive_s > 0 ? o->keepalive_s : 30;

        /* One budget for TCP, handshake and authentication together: a host
         * that answers each stage slowly is still given up on in time. */
        long long deadline = pharos_now_ms() + timeout_ms;
        c->sock = open_stream(c, t, port, timeout_ms, o, err);
        if (c->sock < 0) {
                int code = c->sock;
                c->sock = -1;
                sshc_close(c);
                return code;
        }
        c->s = libssh2_session_init();
        if (!c->s) {
                sshc_close(c);
                return perr_set(err, PERR_NOMEM, "%s: cannot create an SSH session", t->address);
        }
        char hk[512];
        hostkey_prefs(kh, t->address, port, hk, sizeof(hk));
        set_pref(c->s, LIBSSH2_METHOD_KEX, SSH_KEX_PREFS);
        set_pref(c->s, LIBSSH2_METHOD_HOSTKEY, hk);
        libssh2_session_set_blocking(c->s, 1);
        int left = left_ms(deadline); /* 0 would mean no timeout to libssh2 */
        libssh2_session_set_timeout(c->s, left);
        int rc = left > 0 ? libssh2_session_handshake(c->s, c->sock) : LIBSSH2_ERROR_TIMEOUT;
        if (rc != 0) {
                /* A reset or stall during key exchange: sshd restarting or overloaded. */
                perr_set(err, PERR_TRANSIENT, "%s: SSH handshake failed: %s", t->address,
                         rc == LIBSSH2_ERROR_TIMEOUT ? "timed out" : session_error(c->s));
                sshc_close(c);
                return PERR_TRANSIENT;
        }
        if (hostkey_verify(c->s, kh, t->address, port, o->trust_hosts, err) < 0) {
                sshc_close(c);
                return PERR_FAIL;
        }
        left = left_ms(deadline);
        if (left <= 0) {
                sshc_close(c);
                return perr_set(err, PERR_FAIL, "%s: connecting timed out after %d ms", t->address,
                                timeout_ms);
        }
        libssh2_session_set_timeout(c->s, left);
        if (ssh_auth(c->s, t->address, c->user, t->key_path, err) < 0) {
                sshc_close(c);
                return PERR_FAIL;
        }
        libssh2_session_set_timeout(c->s, 0);
        libssh2_keepalive_config(c->s, 0, (unsigned)c->keepalive_s);
        return 0;
}

void sshc_close(struct ssh_conn *c)
{
        if (c->s) {
                libssh2_session_set_blocking(c->s, 1);
                libssh2_session_set_timeout(c->s, 2000);
                libssh2_session_disconnect(c->s, "bye");
                libssh2_session_free(c->s);
                c->s = NULL;
        }
        if (c->sock >= 0)
                close(c->sock);
        c->sock = -1;
        sock_proxy_reap(c->proxy_pid);
        c->proxy_pid = 0;
}
