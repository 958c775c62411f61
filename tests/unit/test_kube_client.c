/* Kubernetes API clients made by many threads at once, as steps on several
 * hosts make theirs (https_request): under ThreadSanitizer, a libcurl
 * set-up that every thread checks and marks unguarded fails this test. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(concurrent_clients),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
