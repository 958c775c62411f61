#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kube/relay.h"

/* How long the listener waits for curl's connect(). */
#define RELAY_ACCEPT_MS 10000

struct relay {
        int listener;
        int tunnel;
        struct sockaddr_in client; /* the only address a connection is accepted from */
};

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Copies both ways until one side ends; HTTP needs nothing half-closed. */
static void pump(int a, int b)
{
        char buf[16384];
        struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
        for (;;) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                for (int i = 0; i < 2; i++) {
                        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        ssize_t r = recv(fds[i].fd, buf, sizeof(buf), 0);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r <= 0 || write_all(fds[1 - i].fd, buf, (size_t)r) < 0)
                                return;
                }
        }
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The connection from r->client, or -1 when none came in time; others are closed. */
static int accept_ours(struct relay *r)
{
        long long deadline = now_ms() + RELAY_ACCEPT_MS;
        for (long long left; (left = deadline - now_ms()) > 0;) {
                struct pollfd p = {.fd = r->listener, .events = POLLIN};
                if (poll(&p, 1, (int)left) != 1)
                        continue;
                struct sockaddr_in peer = {0};
                socklen_t len = sizeof(peer);
                int c = accept4(r->listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                if (len == sizeof(peer) && peer.sin_family == AF_INET &&
                    peer.sin_port == r->client.sin_port &&
                    peer.sin_addr.s_addr == r->client.sin_addr.s_addr)
                        return c;
                close(c);
        }
        return -1;
}

static void *relay_main(void *arg)
{
        struct relay *r = arg;
        int client = accept_ours(r);
        close(r->listener);
        if (client >= 0) {
                pump(client, r->tunnel);
                close(client);
        }
        close(r->tunnel);
        free(r);
        return NULL;
}

/* A TCP socket on 127.0.0.1 port 0 (the kernel picks a free one); its address in *addr. */
static int bound_loopback(struct sockaddr_in *addr)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        socklen_t len = sizeof(*addr);
        memset(addr, 0, sizeof(*addr));
        addr->sin_family = AF_INET;
        addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
                        getsockname(fd, (struct sockaddr *)addr, &len) < 0)) {
                int saved = errno;
                close(fd);
                errno = saved;
                return -1;
        }
        return fd;
}

int relay_start(int tunnel_fd, struct sockaddr_in *addr)
{
        struct relay *r = calloc(1, sizeof(*r));
        int l = bound_loopback(addr);
        int c = r ? bound_loopback(&r->client) : -1;
        if (!r || l < 0 || c < 0 || listen(l, 4) < 0)
                goto fail;
        r->listener = l;
        r->tunnel = tunnel_fd;
        pthread_attr_t attr;
        pthread_t t;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, relay_main, r);
        pthread_attr_destroy(&attr);
        if (rc == 0)
                return c;
        errno = rc;
fail:;
        int saved = errno;
        if (l >= 0)
                close(l);
        if (c >= 0)
                close(c);
        close(tunnel_fd);
        free(r);
        errno = saved ? saved : ENOMEM;
        return -1;
}
