#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssh/ssh_bastion.h"
#include "ssh/ssh_conn.h"

#define TUN_BUF 16384

struct tun {
        LIBSSH2_CHANNEL *ch;
        int fd; /* our end of the socketpair */
        char up[TUN_BUF];
        size_t up_n;
        char down[TUN_BUF];
        size_t down_off, down_n;
        int local_eof, eof_sent, remote_eof, shut, done;
        struct tun *next;
};

struct hub {
        char key[640];
        struct ssh_conn conn;
        pthread_t thr;
        pthread_mutex_t mu;
        int wake[2];
        int stop, broken;
        struct tun *tuns;
        struct hub *next;
};

static pthread_mutex_t hubs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hub *hubs;

/* Moves what can be moved without blocking. Returns 1 if anything moved. */
static int service(struct hub *h, struct tun *t)
{
        int moved = 0;
        if (!t->local_eof && t->up_n < TUN_BUF) {
                ssize_t n = read(t->fd, t->up + t->up_n, TUN_BUF - t->up_n);
                if (n > 0) {
                        t->up_n += (size_t)n;
                        moved = 1;
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        t->local_eof = 1;
                }
        }
        if (t->up_n > 0) {
                ssize_t w = libssh2_channel_write(t->ch, t->up, t->up_n);
                if (w > 0) {
                        memmove(t->up, t->up + w, t->up_n - (size_t)w);
                        t->up_n -= (size_t)w;
                        moved = 1;
                } else if (w != LIBSSH2_ERROR_EAGAIN) {
                        h->broken |= sshc_is_broken((int)w);
                        t->done = 1;
                }
        }
        if (t->local_eof && t->up_n == 0 && !t->eof_sent) {
                int r = libssh2_channel_send_eof(t->ch);
                if (r == 0)
                        t->eof_sent = 1;
                else if (r != LIBSSH2_ERROR_EAGAIN)
                        t->done = 1;
        }
        if (t->down_off == t->down_n && !t->remote_eof) {
                t->down_off = t->down_n = 0;
                ssize_t r = libssh2_channel_read(t->ch, t->down, TUN_BUF);
                if (r > 0) {
                        t->down_n = (size_t)r;
                        moved = 1;
                } else if (r == 0 || r == LIBSSH2_ERROR_EAGAIN) {
                        if (libssh2_channel_eof(t->ch))
                                t->remote_eof = 1;
                } else {
                        h->broken |= sshc_is_broken((int)r);
                        t->done = 1;
                }
        }
        if (t->down_n > t->down_off) {
                ssize_t w =
                        send(t->fd, t->down + t->down_off, t->down_n - t->down_off, MSG_NOSIGNAL);
                if (w > 0) {
                        t->down_off += (size_t)w;
                        moved = 1;
                } else if (errno != EAGAIN && errno != EINTR) {
                        t->done = 1;
                }
        }
        if (t->remote_eof && t->down_off == t->down_n && !t->shut) {
                shutdown(t->fd, SHUT_WR);
                t->shut = 1;
        }
        if (t->local_eof && t->remote_eof && t->down_off == t->down_n)
                t->done = 1;
        return moved;
}

/* Frees finished tunnels whose channel libssh2 lets go of. */
static void reap(struct tun **pp)
{
        while (*pp) {
                struct tun *t = *pp;
                if (t->done && libssh2_channel_free(t->ch) != LIBSSH2_ERROR_EAGAIN) {
                        close(t->fd);
                        *pp = t->next;
                        free(t);
                        continue;
                }
                pp = &t->next;
        }
}

static void wake(struct hub *h)
{
        ssize_t r = write(h->wake[1], "x", 1);
        (void)r; /* a full pipe already means "wake up" */
}

static void *pump(void *arg)
{
        struct hub *h = arg;
        for (;;) {
                pthread_mutex_lock(&h->mu);
                if (h->stop) {
                        pthread_mutex_unlock(&h->mu);
                        break;
                }
                int moved;
                do {
                        moved = 0;
                        for (struct tun *t = h->tuns; t; t = t->next)
                                if (!t->done)
                                        moved |= service(h, t);
                } while (moved);
                reap(&h->tuns);
                int next_ka = 0;
                libssh2_keepalive_send(h->conn.s, &next_ka);
                size_t n = 2;
                for (struct tun *t = h->tuns; t; t = t->next)
                        n++;
                struct pollfd *p = calloc(n, sizeof(*p));
                if (p) {
                        p[0] = (struct pollfd){.fd = h->wake[0], .events = POLLIN};
                        p[1] = (struct pollfd){.fd = h->conn.sock, .events = POLLIN};
                        if (libssh2_session_block_directions(h->conn.s) &
                            LIBSSH2_SESSION_BLOCK_OUTBOUND)
                                p[1].events |= POLLOUT;
                        size_t i = 2;
                        for (struct tun *t = h->tuns; t; t = t->next, i++) {
                                p[i].fd = t->fd;
                                p[i].events =
                                        (short)((!t->local_eof && t->up_n < TUN_BUF ? POLLIN : 0) |
                                                (t->down_n > t->down_off ? POLLOUT : 0));
                        }
                }
                pthread_mutex_unlock(&h->mu);
                if (p)
                        poll(p, n, 1000);
                else
                        usleep(10000);
                free(p);
                char drain[64];
                while (read(h->wake[0], drain, sizeof(drain)) > 0)
                        ;
        }
        return NULL;
}

static void hub_free(struct hub *h)
{
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_mutex_unlock(&h->mu);
        wake(h);
        pthread_join(h->thr, NULL);
        for (struct tun *t = h->tuns, *next; t; t = next) {
                next = t->next;
                close(t->fd);
                free(t);
        }
        sshc_close(&h->conn);
        close(h->wake[0]);
        close(h->wake[1]);
        pthread_mutex_destroy(&h->mu);
        free(h);
}

/* The hub for a bastion, connected on first use. Called with hubs_mu held. */
static struct hub *hub_get(const struct tp_target *b, const struct tp_opts *o,
                           struct pharos_error *err)
{
        char key[640];
        snprintf(key, sizeof(key), "%s@%s:%d|%s", b->user ? b->user : "root", b->address,
                 b->port > 0 ? b->port : 22, b->proxy_command ? b->proxy_command : "");
        for (struct hub **pp = &hubs; *pp; pp = &(*pp)->next) {
                if (strcmp((*pp)->key, key) != 0)
                        continue;
                /* the pump thread sets broken under the hub's lock */
                pthread_mutex_lock(&(*pp)->mu);
                int broken = (*pp)->broken;
                pthread_mutex_unlock(&(*pp)->mu);
                if (!broken)
                        return *pp;
                struct hub *dead = *pp;
                *pp = dead->next;
                hub_free(dead);
                break;
        }
        struct hub *h = calloc(1, sizeof(*h));
        if (!h) {
                perr_set(err, PERR_NOMEM, "out of memory");
                return NULL;
        }
        snprintf(h->key, sizeof(h->key), "%s", key);
        struct tp_target direct = *b;
        direct.bastion = NULL;
        if (sshc_connect(&h->conn, &direct, o, err) < 0) {
                char inner[sizeof(err->msg)];
                snprintf(inner, sizeof(inner), "%s", err->msg);
                perr_set(err, PERR_FAIL, "bastion %s", inner);
                free(h);
                return NULL;
        }
        libssh2_session_set_blocking(h->conn.s, 0);
        if (pipe2(h->wake, O_CLOEXEC | O_NONBLOCK) < 0 || pthread_mutex_init(&h->mu, NULL) != 0 ||
            pthread_create(&h->thr, NULL, pump, h) != 0) {
                perr_set(err, PERR_FAIL, "bastion %s: cannot start its tunnel thread", b->address);
                sshc_close(&h->conn);
                free(h);
                return NULL;
        }
        h->next = hubs;
        hubs = h;
        return h;
}

static LIBSSH2_CHANNEL *open_channel(struct hub *h, const char *host, int port, int timeout_ms)
{
        libssh2_session_set_blocking(h->conn.s, 1);
        libssh2_session_set_timeout(h->conn.s, timeout_ms);
        LIBSSH2_CHANNEL *ch =
                libssh2_channel_direct_tcpip_ex(h->conn.s, host, port, "127.0.0.1", 0);
        if (!ch)
                h->broken |= sshc_is_broken(libssh2_session_last_errno(h->conn.s));
        libssh2_session_set_timeout(h->conn.s, 0);
        libssh2_session_set_blocking(h->conn.s, 0);
        return ch;
}

/*
 * hubs_mu is held from finding the hub to handing its tunnel to the pump: a
 * hub is freed only under hubs_mu (replaced when broken, or at cleanup), so
 * this thread never touches a hub another thread is freeing.
 */
int bastion_tunnel(const struct tp_target *bastion, const struct tp_opts *o, const char *host,
                   int port, struct pharos_error *err)
{
        int timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
        LIBSSH2_CHANNEL *ch = NULL;
        struct hub *h = NULL;
        pthread_mutex_lock(&hubs_mu);
        /* A bastion session found broken is replaced once. */
        for (int attempt = 0; attempt < 2; attempt++) {
                h = hub_get(bastion, o, err);
                if (!h) {
                        pthread_mutex_unlock(&hubs_mu);
                        return PERR_FAIL;
                }
                pthread_mutex_lock(&h->mu);
                ch = open_channel(h, host, port, timeout_ms);
                if (ch)
                        break;
                if (!h->broken || attempt == 1) {
                        char *msg = NULL;
                        libssh2_session_last_error(h->conn.s, &msg, NULL, 0);
                        perr_set(err, PERR_FAIL,
                                 "%s: bastion %s cannot open a tunnel to port %d: %s", host,
                                 bastion->address, port, msg && *msg ? msg : "refused");
                        pthread_mutex_unlock(&h->mu);
                        pthread_mutex_unlock(&hubs_mu);
                        return PERR_FAIL;
                }
                pthread_mutex_unlock(&h->mu);
        }
        int sv[2];
        struct tun *t = calloc(1, sizeof(*t));
        if (!t || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                int e = t ? errno : ENOMEM;
                free(t);
                libssh2_channel_free(ch);
                pthread_mutex_unlock(&h->mu);
                pthread_mutex_unlock(&hubs_mu);
                return perr_set(err, PERR_FAIL, "%s: socketpair: %s", host, strerror(e));
        }
        fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
        t->ch = ch;
        t->fd = sv[1];
        t->next = h->tuns;
        h->tuns = t;
        pthread_mutex_unlock(&h->mu);
        wake(h);
        pthread_mutex_unlock(&hubs_mu);
        return sv[0];
}

void bastion_cleanup(void)
{
        pthread_mutex_lock(&hubs_mu);
        while (hubs) {
                struct hub *h = hubs;
                hubs = h->next;
                hub_free(h);
        }
        pthread_mutex_unlock(&hubs_mu);
}
