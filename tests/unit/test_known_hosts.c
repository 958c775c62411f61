/* known_hosts parsing, matching and updating, against files written here. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ssh/known_hosts.h"

/* An ssh-ed25519 wire blob whose 32 key bytes are all `fill`. */
static void blob(unsigned char out[51], unsigned char fill)
{
        memcpy(out, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
        memset(out + 19, fill, 32);
}

/* base64 of blob(7) and blob(9), and an ssh-keygen -H line for 10.1.2.3 with blob(7). */
#define KEY7            "AAAAC3NzaC1lZDI1NTE5AAAAIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH"
#define KEY9            "AAAAC3NzaC1lZDI1NTE5AAAAIAkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ"
#define HASHED_10_1_2_3 "|1|jPxGOvMhvfPA1/m7TPiaAnsunM4=|5voiLWQeykQ28x9X1QAZEKmTYg0="
#define FP7             "SHA256:gNSIRW+2Iyiuvsdp/bgjy38bvWHw6wQm3tuoXrl3WjQ"

static char dir[64];
static char path[128];

static int setup(void **s)
{
        (void)s;
        snprintf(dir, sizeof(dir), "/tmp/pharos-kh-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof(path), "%s/sub/known_hosts", dir);
        return 0;
}

static int teardown(void **s)
{
        (void)s;
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd);
}

static void write_file(const char *text)
{
        char sub[100];
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        mkdir(sub, 0700);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static char *read_all(void)
{
        static char buf[4096];
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static int check(const char *host, int port, unsigned char fill, struct kh_found *found)
{
        unsigned char b[51];
        struct pharos_error err = {0};
        blob(b, fill);
        return kh_check(path, host, port, b, sizeof(b), found, &err);
}

static void fingerprint_as_ssh_keygen(void **s)
{
        (void)s;
        unsigned char b[51];
        char fp[KH_FP_LEN];
        blob(b, 7);
        kh_fingerprint(b, sizeof(b), fp);
        assert_string_equal(fp, FP7);
}

static void missing_file_is_unknown(void **s)
{
        (void)s;
        assert_int_equal(check("10.0.0.1", 22, 7, NULL), KH_UNKNOWN);
}

static void patterns(void **s)
{
        (void)s;
        write_file("# comment\n"
                   "\n"
                   "@cert-authority * " KEY9 "\n" HASHED_10_1_2_3 " ssh-ed25519 " KEY7 "\n"
                   "[10.0.0.5]:2222 ssh-ed25519 " KEY7 "\n"
                   "web*.example.com,!web3.example.com ssh-ed25519 " KEY7 " comment here\n"
                   "10.0.0.6 ecdsa-sha2-nistp256 " KEY9 "\n");
        assert_int_equal(check("10.1.2.3", 22, 7, NULL), KH_MATCH);
        assert_int_equal(check("10.0.0.5", 2222, 7, NULL), KH_MATCH);
        /* the same address on port 22 is another name */
        assert_int_equal(check("10.0.0.5", 22, 7, NULL), KH_UNKNOWN);
        assert_int_equal(check("WEB1.example.com", 22, 7, NULL), KH_MATCH);
        assert_int_equal(check("web3.example.com", 22, 7, NULL), KH_UNKNOWN);
        /* a host known only by another type: not new, a changed key (as OpenSSH) */
        assert_int_equal(check("10.0.0.6", 22, 7, NULL), KH_OTHER_TYPE);
        struct kh_found found = {0};
        assert_int_equal(check("10.1.2.3", 22, 9, &found), KH_CHANGED);
        assert_int_equal(found.line, 4);
        assert_string_equal(found.fingerprint, FP7);
}

static void add_then_match(void **s)
{
        (void)s;
        unsigned char b[51];
        struct pharos_error err = {0};
        blob(b, 9);
        /* creates the directory and file */
        assert_int_equal(kh_add(path, "10.0.0.7", 22, b, sizeof(b), &err), 0);
        assert_int_equal(kh_add(path, "10.0.0.8", 2200, b, sizeof(b), &err), 0);
        assert_string_equal(read_all(), "10.0.0.7 ssh-ed25519 " KEY9 "\n"
                                        "[10.0.0.8]:2200 ssh-ed25519 " KEY9 "\n");
        assert_int_equal(check("10.0.0.7", 22, 9, NULL), KH_MATCH);
        assert_int_equal(check("10.0.0.8", 2200, 9, NULL), KH_MATCH);
        assert_int_equal(check("10.0.0.7", 22, 7, NULL), KH_CHANGED);
}

static void add_after_unterminated_line(void **s)
{
        (void)s;
        unsigned char b[51];
        struct pharos_error err = {0};
        write_file("10.0.0.1 ssh-ed25519 " KEY7);
        blob(b, 9);
        assert_int_equal(kh_add(path, "10.0.0.2", 22, b, sizeof(b), &err), 0);
        assert_string_equal(read_all(), "10.0.0.1 ssh-ed25519 " KEY7 "\n"
                                        "10.0.0.2 ssh-ed25519 " KEY9 "\n");
}

static void replace_drops_every_line_of_the_host(void **s)
{
        (void)s;
        unsigned char b[51];
        struct pharos_error err = {0};
        write_file("# keep me\n" HASHED_10_1_2_3 " ssh-ed25519 " KEY7 "\n"
                   "10.0.0.1 ssh-ed25519 " KEY7 "\n"
                   "10.1.2.3 ecdsa-sha2-nistp256 " KEY9 "\n");
        blob(b, 9);
        assert_int_equal(kh_replace(path, "10.1.2.3", 22, b, sizeof(b), &err), 0);
        assert_string_equal(read_all(), "# keep me\n"
                                        "10.0.0.1 ssh-ed25519 " KEY7 "\n"
                                        "10.1.2.3 ssh-ed25519 " KEY9 "\n");
        assert_int_equal(check("10.1.2.3", 22, 9, NULL), KH_MATCH);
}

static void revoked_key_refused(void **s)
{
        (void)s;
        unsigned char b[51];
        struct pharos_error err = {0};
        struct kh_found found = {0};
        /* accepted on line 1, revoked for every host on line 3: revoked wins */
        write_file("10.0.0.1 ssh-ed25519 " KEY7 "\n"
                   "@cert-authority * ssh-ed25519 " KEY9 "\n"
                   "@revoked * ssh-ed25519 " KEY7 "\n");
        assert_int_equal(check("10.0.0.1", 22, 7, &found), KH_REVOKED);
        assert_int_equal(found.line, 3);
        assert_int_equal(check("10.0.0.2", 22, 7, NULL), KH_REVOKED);
        /* a CA line vouches for nothing: libssh2 can't check host certificates */
        assert_int_equal(check("10.0.0.2", 22, 9, NULL), KH_UNKNOWN);
        /* replacing a host's key keeps the marker lines */
        blob(b, 9);
        assert_int_equal(kh_replace(path, "10.0.0.1", 22, b, sizeof(b), &err), 0);
        assert_string_equal(read_all(), "@cert-authority * ssh-ed25519 " KEY9 "\n"
                                        "@revoked * ssh-ed25519 " KEY7 "\n"
                                        "10.0.0.1 ssh-ed25519 " KEY9 "\n");
        assert_int_equal(check("10.0.0.1", 22, 9, NULL), KH_MATCH);
        /* a revoked line is no known type to prefer */
        char types[64];
        write_file("@revoked 10.0.0.3 ssh-ed25519 " KEY7 "\n");
        kh_known_types(path, "10.0.0.3", 22, types, sizeof(types));
        assert_string_equal(types, "");
}

static void other_type_is_a_changed_key(void **s)
{
        (void)s;
        struct kh_found found = {0};
        /* recorded as ECDSA only, presenting ed25519: a changed host key */
        write_file("10.0.0.2 ssh-ed25519 " KEY9 "\n"
                   "10.0.0.1 ecdsa-sha2-nistp256 " KEY7 "\n");
        assert_int_equal(check("10.0.0.1", 22, 7, &found), KH_OTHER_TYPE);
        assert_int_equal(found.line, 2);
        assert_string_equal(found.type, "ecdsa-sha2-nistp256");
        /* a line of the presented type decides, whatever other types say */
        write_file("10.0.0.1 ecdsa-sha2-nistp256 " KEY9 "\n"
                   "10.0.0.1 ssh-ed25519 " KEY7 "\n");
        assert_int_equal(check("10.0.0.1", 22, 7, NULL), KH_MATCH);
        assert_int_equal(check("10.0.0.1", 22, 9, &found), KH_CHANGED);
        assert_int_equal(found.line, 2);
        /* an @revoked line of another type vouches for nothing and changes nothing */
        write_file("@revoked 10.0.0.1 ecdsa-sha2-nistp256 " KEY9 "\n");
        assert_int_equal(check("10.0.0.1", 22, 7, NULL), KH_UNKNOWN);
        /* hashed names count too */
        write_file(HASHED_10_1_2_3 " ecdsa-sha2-nistp256 " KEY9 "\n");
        assert_int_equal(check("10.1.2.3", 22, 7, NULL), KH_OTHER_TYPE);
        assert_int_equal(check("10.1.2.4", 22, 7, NULL), KH_UNKNOWN);
}

static void known_types_in_file_order(void **s)
{
        (void)s;
        char types[128];
        write_file("10.0.0.1 ecdsa-sha2-nistp256 " KEY9 "\n"
                   "10.0.0.2 ssh-rsa " KEY9 "\n"
                   "10.0.0.1 ssh-ed25519 " KEY7 "\n"
                   "10.0.0.1 ecdsa-sha2-nistp256 " KEY7 "\n");
        kh_known_types(path, "10.0.0.1", 22, types, sizeof(types));
        assert_string_equal(types, "ecdsa-sha2-nistp256,ssh-ed25519");
        kh_known_types(path, "10.0.0.9", 22, types, sizeof(types));
        assert_string_equal(types, "");
}

static void default_path_from_env(void **s)
{
        (void)s;
        setenv("PHAROS_KNOWN_HOSTS", "/x/known", 1);
        char buf[4096];
        assert_string_equal(kh_default_path(buf, sizeof(buf)), "/x/known");
        unsetenv("PHAROS_KNOWN_HOSTS");
        setenv("HOME", "/home/u", 1);
        assert_string_equal(kh_default_path(buf, sizeof(buf)), "/home/u/.ssh/known_hosts");
}

#define THREADS 8

static void *default_path_of_thread(void *arg)
{
        (void)arg;
        char buf[4096];
        const char *kh = kh_default_path(buf, sizeof(buf));
        return (void *)(intptr_t)strcmp(kh, "/home/u/.ssh/known_hosts");
}

/* Hosts connect in parallel, each asking for the file: under
 * ThreadSanitizer, a path every thread writes into one buffer fails this. */
static void default_path_from_threads(void **s)
{
        (void)s;
        unsetenv("PHAROS_KNOWN_HOSTS");
        setenv("HOME", "/home/u", 1);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, default_path_of_thread, NULL), 0);
        for (int i = 0; i < THREADS; i++) {
                void *differs;
                pthread_join(t[i], &differs);
                assert_int_equal((intptr_t)differs, 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(fingerprint_as_ssh_keygen),
                cmocka_unit_test_setup_teardown(missing_file_is_unknown, setup, teardown),
                cmocka_unit_test_setup_teardown(patterns, setup, teardown),
                cmocka_unit_test_setup_teardown(add_then_match, setup, teardown),
                cmocka_unit_test_setup_teardown(add_after_unterminated_line, setup, teardown),
                cmocka_unit_test_setup_teardown(replace_drops_every_line_of_the_host, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(revoked_key_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(other_type_is_a_changed_key, setup, teardown),
                cmocka_unit_test_setup_teardown(known_types_in_file_order, setup, teardown),
                cmocka_unit_test(default_path_from_env),
                cmocka_unit_test(default_path_from_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
