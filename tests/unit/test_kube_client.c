/* Kubernetes API clients made by many threads at once, as steps on several
 * hosts make theirs (https_request): under ThreadSanitizer, a libcurl
 * set-up that every thread checks and marks unguarded fails this test.
 * And a 403 is an answer only from an API server that is ready. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/client.h"

#define THREADS 8

static void *make_client(void *arg)
{
        (void)arg;
        const struct kube_conn conn = {
                .server = "https://10.0.0.1:6443",
                .ca_pem = "ca",
                .cert_pem = "cert",
                .key_pem = "key",
        };
        struct kube_client *kc = NULL;
        struct pharos_error err = {0};
        intptr_t rc = kube_client_new(&conn, &kc, &err);
        kube_client_free(kc);
        return (void *)rc;
}

static void concurrent_clients(void **s)
{
        (void)s;
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, make_client, NULL), 0);
        for (int i = 0; i < THREADS; i++) {
                void *rc;
                pthread_join(t[i], &rc);
                assert_int_equal((intptr_t)rc, 0);
        }
}

/* A plain-HTTP API server on loopback: every path answers `status`, /readyz
 * answers `readyz`; one request per connection. */
struct fake_api {
        int fd;
        int status, readyz;
};

static void *serve(void *arg)
{
        struct fake_api *f = arg;
        for (;;) {
                int c = accept(f->fd, NULL, NULL);
                if (c < 0)
                        return NULL;
                char req[2048] = "";
                ssize_t n = read(c, req, sizeof(req) - 1);
                int code = n > 0 && strstr(req, "GET /readyz ") ? f->readyz : f->status;
                char out[256];
                int len = snprintf(out, sizeof(out),
                                   "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n"
                                   "\r\n{}",
                                   code);
                ssize_t w = write(c, out, (size_t)len);
                (void)w; /* a client gone early is the client's business */
                close(c);
        }
}

static int request_status(int status, int readyz, long *got, char *msg, size_t msg_len)
{
        struct fake_api f = {.status = status, .readyz = readyz};
        f.fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        assert_int_equal(bind(f.fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(f.fd, 4), 0);
        assert_int_equal(getsockname(f.fd, (struct sockaddr *)&a, &alen), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, serve, &f), 0);
        char server[64];
        snprintf(server, sizeof(server), "http://127.0.0.1:%u", ntohs(a.sin_port));
        const struct kube_conn conn = {
                .server = server, .ca_pem = "ca", .cert_pem = "cert", .key_pem = "key"};
        struct kube_client *kc = NULL;
        struct pharos_error err = {0};
        assert_int_equal(kube_client_new(&conn, &kc, &err), 0);
        struct kube_response resp = {0};
        int rc = kube_request(kc, "GET", "/api/v1/nodes/n1", NULL, NULL, &resp, &err);
        *got = resp.status;
        snprintf(msg, msg_len, "%s", err.msg);
        kube_response_free(&resp);
        kube_client_free(kc);
        shutdown(f.fd, SHUT_RDWR);
        close(f.fd);
        pthread_join(t, NULL);
        return rc;
}

static void refusal_from_unready_server_is_transient(void **s)
{
        (void)s;
        long status = 0;
        char msg[sizeof(((struct pharos_error *)0)->msg)];
        /* Ready: the 403 is the answer. */
        assert_int_equal(request_status(403, 200, &status, msg, sizeof(msg)), 0);
        assert_int_equal(status, 403);
        /* Not ready (a fresh API server refusing /readyz too): no answer yet. */
        assert_int_equal(request_status(403, 403, &status, msg, sizeof(msg)), PERR_TRANSIENT);
        assert_non_null(
                strstr(msg, "HTTP 403 from an API server that is not ready (/readyz: HTTP 403)"));
        assert_int_equal(request_status(401, 500, &status, msg, sizeof(msg)), PERR_TRANSIENT);
        /* Other statuses are left to the caller. */
        assert_int_equal(request_status(404, 500, &status, msg, sizeof(msg)), 0);
        assert_int_equal(status, 404);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(concurrent_clients),
                cmocka_unit_test(refusal_from_unready_server_is_transient),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
