#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kube/relay.h"

/* How long the listener waits for curl's connect(). */
#define RELAY_ACCEPT_MS 10000

struct relay {
        int listener;
        int tunnel;
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

static void *relay_main(void *arg)
{
        struct relay *r = arg;
        struct pollfd p = {.fd = r->listener, .events = POLLIN};
        int client = -1;
        if (poll(&p, 1, RELAY_ACCEPT_MS) == 1)
                client = accept(r->listener, NULL, NULL);
        close(r->listener);
        if (client >= 0) {
                pump(client, r->tunnel);
                close(client);
        }
        close(r->tunnel);
        free(r);
        return NULL;
}

int relay_start(int tunnel_fd, struct sockaddr_in *addr)
{
        struct relay *r = malloc(sizeof(*r));
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        socklen_t len = sizeof(*addr);
        memset(addr, 0, sizeof(*addr));
        addr->sin_family = AF_INET;
        addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (!r || l < 0 || bind(l, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
            listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)addr, &len) < 0)
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
                return 0;
        errno = rc;
fail:;
        int saved = errno;
        if (l >= 0)
                close(l);
        close(tunnel_fd);
        free(r);
        errno = saved;
        return -1;
}
