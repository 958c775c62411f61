/* Log lines written by many threads at once, as hosts connect in parallel. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

#define THREADS 8
#define LINES   50

static void *writer(void *arg)
{
        int id = (int)(intptr_t)arg;
        for (int i = 0; i < LINES; i++)
                log_msg(PHAROS_LOG_WARN, "host", "thread %d line %d", id, i);
        return NULL;
}

/* The first lines of a run come from the connecting threads together: each
 * line arrives whole, and a log that is not a terminal gets no colour codes
 * (the terminal check runs once; under ThreadSanitizer, racing threads
 * writing its answer fail this test). */
static void concurrent_first_lines(void **s)
{
        (void)s;
        char path[] = "/tmp/pharos-test-log-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i), 0);
        for (int i = 0; i < THREADS; i++)
                pthread_join(t[i], NULL);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);

        FILE *f = fdopen(fd, "r");
        assert_non_null(f);
        rewind(f);
        char line[256];
        int seen[THREADS] = {0}, total = 0;
        while (fgets(line, sizeof(line), f)) {
                int id, n;
                char end;
                assert_null(strchr(line, '\033'));
                assert_int_equal(sscanf(line, "warning: [host] thread %d line %d%c", &id, &n, &end),
                                 3);
                assert_int_equal(end, '\n');
                assert_true(id >= 0 && id < THREADS);
                assert_int_equal(n, seen[id]++);
                total++;
        }
        fclose(f);
        unlink(path);
        assert_int_equal(total, THREADS * LINES);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(concurrent_first_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
