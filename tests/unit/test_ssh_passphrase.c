/* The key passphrase shared by the connecting threads: each gets its own key's
 * passphrase, whole, while other threads ask for other keys (which frees the
 * remembered one). Run under ThreadSanitizer too (the tsan preset). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ssh/ssh_auth.h"

#define ROUNDS 3000

static char *fake_prompt(const char *key_path)
{
        char buf[256];
        snprintf(buf, sizeof(buf), "passphrase of %s, long enough to be overwritten", key_path);
        return strdup(buf);
}

static char *no_terminal(const char *key_path)
{
        (void)key_path;
        return NULL;
}

struct asker {
        const char *key;
        int wrong;
};

static void *ask(void *arg)
{
        struct asker *a = arg;
        char want[256];
        snprintf(want, sizeof(want), "passphrase of %s, long enough to be overwritten", a->key);
        for (int i = 0; i < ROUNDS; i++) {
                char buf[1024];
                struct pharos_error err = {0};
                if (ssh_key_passphrase("h", a->key, buf, sizeof(buf), &err) < 0 ||
                    strcmp(buf, want) != 0)
                        a->wrong++;
        }
        return NULL;
}

static void threads_asking_for_different_keys(void **s)
{
        (void)s;
        unsetenv("PHAROS_SSH_KEY_PASSPHRASE");
        ssh_auth_set_prompt(fake_prompt);
        struct asker askers[4] = {{"/k/a", 0}, {"/k/b", 0}, {"/k/a", 0}, {"/k/c", 0}};
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, ask, &askers[i]), 0);
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(askers[i].wrong, 0);
        }
        ssh_auth_set_prompt(NULL);
}

static void environment_then_prompt(void **s)
{
        (void)s;
        char buf[64];
        struct pharos_error err = {0};
        setenv("PHAROS_SSH_KEY_PASSPHRASE", "from env", 1);
        assert_int_equal(ssh_key_passphrase("h", "/k/x", buf, sizeof(buf), &err), 0);
        assert_string_equal(buf, "from env");
        unsetenv("PHAROS_SSH_KEY_PASSPHRASE");
        ssh_auth_set_prompt(no_terminal);
        assert_int_equal(ssh_key_passphrase("h", "/k/y", buf, sizeof(buf), &err), PERR_FAIL);
        assert_string_equal(err.msg, "h: key /k/y is passphrase-protected: set "
                                     "PHAROS_SSH_KEY_PASSPHRASE or run on a terminal");
        ssh_auth_set_prompt(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(threads_asking_for_different_keys),
                cmocka_unit_test(environment_then_prompt),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
