/* Host selection for exec/ssh: role, labels, addresses, first, and option parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/host_args.h"
#include "cli/host_filter.h"
#include "util/log.h"

static struct cfg_kv gpu[] = {{"gpu", "yes"}, {"zone", "a"}};
static struct cfg_kv zone_a[] = {{"zone", "a"}};
static struct cfg_host hosts[] = {
        {.address = "10.0.0.1", .role = "master", .labels = zone_a, .n_labels = 1},
        {.address = "10.0.0.2", .role = "worker", .labels = gpu, .n_labels = 2},
        {.address = "10.0.0.3", .role = "worker", .private_address = "192.168.0.3"},
        {.address = "10.0.0.4", .role = "master"},
};
#define N (sizeof(hosts) / sizeof(hosts[0]))

static size_t select_args(int argc, char **argv, size_t *idx)
{
        struct host_args a;
        struct pharos_error err = {0};
        assert_int_equal(host_args_parse(NULL, argc, argv, &a, &err), 0);
        return hf_select(&a.filter, hosts, N, idx);
}

#define ARGV(...)        ((char *[]){"exec", __VA_ARGS__, NULL})
#define ARGC(...)        ((int)(sizeof((char *[]){"exec", __VA_ARGS__}) / sizeof(char *)))
#define SELECT(idx, ...) select_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), idx)

static void by_role_and_first(void **s)
{
        (void)s;
        size_t idx[N];
        assert_int_equal(SELECT(idx, "-r", "master", "true"), 2);
        assert_int_equal(idx[0], 0);
        assert_int_equal(idx[1], 3);
        assert_int_equal(SELECT(idx, "--role=worker", "-f", "true"), 1);
        assert_int_equal(idx[0], 1);
        assert_int_equal(SELECT(idx, "-rnone", "true"), 0);
}

static void by_labels_all_must_match(void **s)
{
        (void)s;
        size_t idx[N];
        assert_int_equal(SELECT(idx, "-l", "zone=a", "true"), 2);
        assert_int_equal(SELECT(idx, "-l", "zone=a", "--label", "gpu=yes", "true"), 1);
        assert_int_equal(idx[0], 1);
        assert_int_equal(SELECT(idx, "-l", "zone=b", "true"), 0);
        assert_int_equal(SELECT(idx, "-l", "gpu=", "true"), 0);
}

static void by_address_any_matches(void **s)
{
        (void)s;
        size_t idx[N];
        assert_int_equal(SELECT(idx, "-a", "10.0.0.4", "-a", "192.168.0.3", "true"), 2);
        assert_int_equal(idx[0], 2);
        assert_int_equal(idx[1], 3);
        assert_int_equal(SELECT(idx, "-a", "10.0.0.4", "-r", "worker", "true"), 0);
}

static void options_stop_at_the_command(void **s)
{
        (void)s;
        struct host_args a;
        struct pharos_error err = {0};
        char **argv = ARGV("-r", "master", "-f", "sudo", "kubeadm", "token", "create",
                           "--print-join-command");
        assert_int_equal(host_args_parse(NULL, 9, argv, &a, &err), 0);
        assert_int_equal(a.cmd_index, 4);
        assert_string_equal(a.filter.role, "master");
        assert_true(a.filter.first);
        assert_string_equal(a.config, "cluster.yml");

        char **dd = ARGV("-c", "x.yml", "--concurrency", "7", "--trust-hosts", "--", "-v");
        assert_int_equal(host_args_parse(NULL, 8, dd, &a, &err), 0);
        assert_int_equal(a.cmd_index, 7);
        assert_string_equal(a.config, "x.yml");
        assert_int_equal(a.concurrency, 7);
        assert_true(a.opts.trust_hosts);
}

/* Global options among exec's own are taken; after the remote command's first
 * word, or after "--", they belong to the remote command. */
static void global_options_among_the_options(void **s)
{
        (void)s;
        struct host_args a;
        struct pharos_error err = {0};
        struct cli_ctx ctx = {0};
        log_set_level(PHAROS_LOG_INFO);
        char **argv = ARGV("-v", "-r", "master", "--plugin-path", "/p", "ls", "-v", "--color");
        assert_int_equal(host_args_parse(&ctx, 9, argv, &a, &err), 0);
        assert_int_equal(log_get_level(), PHAROS_LOG_DEBUG);
        assert_int_equal(ctx.n_plugin_paths, 1);
        assert_string_equal(ctx.plugin_paths[0], "/p");
        assert_int_equal(a.cmd_index, 6);
        assert_string_equal(argv[7], "-v");
        assert_string_equal(a.filter.role, "master");
        free(ctx.plugin_paths);

        log_set_level(PHAROS_LOG_INFO);
        char **dd = ARGV("-c", "x.yml", "--", "-v");
        assert_int_equal(host_args_parse(&ctx, 5, dd, &a, &err), 0);
        assert_int_equal(a.cmd_index, 4);
        assert_int_equal(log_get_level(), PHAROS_LOG_INFO);

        assert_int_equal(host_args_parse(&ctx, 2, ARGV("--plugin-path"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "--plugin-path needs a directory");
        /* without a ctx (a caller that takes none) -v is nobody's option */
        assert_int_equal(host_args_parse(NULL, 2, ARGV("-v"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "unknown option '-v'");
}

static void bad_options(void **s)
{
        (void)s;
        struct host_args a;
        struct pharos_error err = {0};
        assert_int_equal(host_args_parse(NULL, 3, ARGV("-l", "novalue"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "label filter 'novalue' is not KEY=VALUE");
        assert_int_equal(host_args_parse(NULL, 2, ARGV("-r"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "-r needs a value");
        assert_int_equal(host_args_parse(NULL, 3, ARGV("--concurrency", "0"), &a, &err),
                         PERR_USAGE);
        assert_int_equal(host_args_parse(NULL, 2, ARGV("--bogus"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "unknown option '--bogus'");
}

static void describe(void **s)
{
        (void)s;
        struct host_filter f = {.role = "worker"};
        struct pharos_error err = {0};
        char buf[128];
        hf_add_label(&f, "zone=a", &err);
        hf_add_address(&f, "10.0.0.1", &err);
        hf_add_address(&f, "10.0.0.2", &err);
        hf_describe(&f, buf, sizeof(buf));
        assert_string_equal(buf, "role worker, label zone=a, address 10.0.0.1 or 10.0.0.2");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(by_role_and_first),
                cmocka_unit_test(by_labels_all_must_match),
                cmocka_unit_test(by_address_any_matches),
                cmocka_unit_test(options_stop_at_the_command),
                cmocka_unit_test(global_options_among_the_options),
                cmocka_unit_test(bad_options),
                cmocka_unit_test(describe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
