/* The value formats of cluster.yml (config/checks.h): accepted forms and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/checks.h"

typedef int (*check_fn)(const char *v, char *why, size_t n);

static void accepts(check_fn f, const char *const *values)
{
        for (const char *const *v = values; *v; v++) {
                char why[256] = "";
                if (f(*v, why, sizeof(why)) != 0)
                        fail_msg("refused '%s': %s", *v, why);
        }
}

static void refuses(check_fn f, const char *const *values)
{
        for (const char *const *v = values; *v; v++) {
                char why[256] = "";
                if (f(*v, why, sizeof(why)) != -1)
                        fail_msg("accepted '%s'", *v);
                assert_true(why[0] != '\0');
                assert_null(strchr(why, '\n'));
        }
}

static void text(void **s)
{
        (void)s;
        static const char *const good[] = {
                "plain", "http://u:p%40ss@proxy:3128", "caf\xc3\xa9", "\xe2\x80\xa7", "", NULL};
        static const char *const bad[] = {
                "a\nb",      "a\rb",      "a\tb",          "a\x1b[31m",     "a\x7f",
                "a\xc2\x85", "a\xc2\x9b", "a\xe2\x80\xa8", "a\xe2\x80\xa9", NULL};
        accepts(cfg_check_text, good);
        refuses(cfg_check_text, bad);
        char big[CFG_MAX_TEXT + 2];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        const char *const too_long[] = {big, NULL};
        refuses(cfg_check_text, too_long);
        big[CFG_MAX_TEXT] = '\0';
        const char *const longest[] = {big, NULL};
        accepts(cfg_check_text, longest);
}

static void users_and_names(void **s)
{
        (void)s;
        static const char *const users[] = {"root", "ubuntu", "ops.admin", "a_b-c", NULL};
        static const char *const bad_users[] = {
                "%r",  "x;id",   "$(id)", "`id`", "-oX",
                "a b", "ad'min", "",      "a/b",  "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",
                NULL};
        accepts(cfg_check_user, users);
        refuses(cfg_check_user, bad_users);
        static const char *const files[] = {"kubernetes", "docker-ce.x86_64", NULL};
        static const char *const bad_files[] = {"../x", ".hidden", "a/b", "-x", "", "a b", NULL};
        accepts(cfg_check_file_name, files);
        refuses(cfg_check_file_name, bad_files);
        static const char *const paths[] = {"/var/log/kube-audit.json", "/a/..b/c", NULL};
        static const char *const bad_paths[] = {"var/log", "/var/../etc", "/var/..",
                                                "/a b",    "/a;b",        NULL};
        accepts(cfg_check_abs_path, paths);
        refuses(cfg_check_abs_path, bad_paths);
        static const char *const ifs[] = {"eth0", "enp0s3", "bond0.100", "veth@if2", NULL};
        static const char *const bad_ifs[] = {"eth%d", "a/b", "eth0:1", "..", "eeeeeeeeeeeeeeee",
                                              NULL};
        accepts(cfg_check_interface, ifs);
        refuses(cfg_check_interface, bad_ifs);
        static const char *const envs[] = {"HTTP_PROXY", "no_proxy", "_X1", NULL};
        static const char *const bad_envs[] = {"1X", "A;B", "A=B", "A-B", "", NULL};
        accepts(cfg_check_env_name, envs);
        refuses(cfg_check_env_name, bad_envs);
        static const char *const bad_env_values[] = {"a\"b", "a\\b", NULL};
        refuses(cfg_check_env_value, bad_env_values);
}

static void labels(void **s)
{
        (void)s;
        static const char *const keys[] = {"zone", "node-role.kubernetes.io/worker",
                                           "example.com/a_b.c", NULL};
        static const char *const bad_keys[] = {"../namespaces/prod",
                                               "example.com/../x",
                                               "/x",
                                               "Example.com/x",
                                               "-x",
                                               "x/",
                                               "a b",
                                               NULL};
        accepts(cfg_check_label_key, keys);
        refuses(cfg_check_label_key, bad_keys);
        static const char *const values[] = {"", "ssd", "a-b_c.D1", NULL};
        static const char *const bad_values[] = {"100%", "a\"b", "-x", "x-", "a/b", NULL};
        accepts(cfg_check_label_value, values);
        refuses(cfg_check_label_value, bad_values);
}

static void images_and_registries(void **s)
{
        (void)s;
        static const char *const repos[] = {"registry.k8s.io",
                                            "registry.example.com/k8s",
                                            "localhost:5000/a/b",
                                            "quay.io/org/sub__path-x.y",
                                            "docker.io/library",
                                            "k8s",
                                            NULL};
        static const char *const bad_repos[] = {"registry.example.com/%h",
                                                "registry.example.com/../k8s",
                                                "registry.example.com/k8s$(reboot)",
                                                "registry.example.com/K8s",
                                                "registry.example.com/k8s\nExecStartPre=/bin/id",
                                                "registry.example.com/\"k8s",
                                                "registry.example.com/k8s/",
                                                "reg.example.com:99999/k8s",
                                                "-reg.example.com/k8s",
                                                "",
                                                NULL};
        accepts(cfg_check_image_repository, repos);
        refuses(cfg_check_image_repository, bad_repos);
        static const char *const regs[] = {"registry.local:5000", "http://10.0.0.1:5000/",
                                           "10.0.0.0/8", "https://reg.example.com", NULL};
        static const char *const bad_regs[] = {
                "reg.example.com:5000;rm -rf /", "reg%2F.x", "http://10.0.0.0/8", "a b", "", NULL};
        accepts(cfg_check_registry, regs);
        refuses(cfg_check_registry, bad_regs);
}

static void flags_and_words(void **s)
{
        (void)s;
        static const char *const flags[] = {"--max-pods=150", "--v=2", "--rotate-certificates",
                                            "-v=9", NULL};
        static const char *const bad_flags[] = {"max-pods", "--v;id=9", "---x",
                                                "--=1",     "--a b=1",  NULL};
        accepts(cfg_check_flag_arg, flags);
        refuses(cfg_check_flag_arg, bad_flags);
        static const char *const words[] = {"GracefulNodeShutdown", "true", "100Mi", NULL};
        static const char *const bad_words[] = {"Gate%n", "Gate'", "a,--b", "a b", "", NULL};
        accepts(cfg_check_key_word, words);
        refuses(cfg_check_key_word, bad_words);
}

static void urls(void **s)
{
        (void)s;
        static const char *const good[] = {"https://auth.example.com/token",
                                           "http://10.0.0.1:8080/a?b=c%20d", NULL};
        static const char *const bad[] = {"https://a.example.com/\"x",
                                          "https://a b",
                                          "https://a/`id`",
                                          "https://a/<x>",
                                          "ftp://a",
                                          "https://",
                                          NULL};
        accepts(cfg_check_url, good);
        refuses(cfg_check_url, bad);
}

static void sans(void **s)
{
        (void)s;
        static const char *const good[] = {"api.example.com", "*.example.com", "192.0.2.1",
                                           "2001:db8::1", NULL};
        static const char *const bad[] = {"*",   "*.",  "a.*.com", "API.example.com",
                                          "a b", "a/b", NULL};
        accepts(cfg_check_san, good);
        refuses(cfg_check_san, bad);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(text),
                cmocka_unit_test(users_and_names),
                cmocka_unit_test(labels),
                cmocka_unit_test(images_and_registries),
                cmocka_unit_test(flags_and_words),
                cmocka_unit_test(urls),
                cmocka_unit_test(sans),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
