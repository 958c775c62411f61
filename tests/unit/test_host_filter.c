/* Host selection for exec/ssh: role, labels, addresses, first, and option parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/host_args.h"
#include "cli/host_filter.h"

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
        assert_int_equal(host_args_parse(argc, argv, &a, &err), 0);
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
        assert_int_equal(host_args_parse(9, argv, &a, &err), 0);
        assert_int_equal(a.cmd_index, 4);
        assert_string_equal(a.filter.role, "master");
        assert_true(a.filter.first);
        assert_string_equal(a.config, "cluster.yml");

        char **dd = ARGV("-c", "x.yml", "--concurrency", "7", "--trust-hosts", "--", "-v");
        assert_int_equal(host_args_parse(8, dd, &a, &err), 0);
        assert_int_equal(a.cmd_index, 7);
        assert_string_equal(a.config, "x.yml");
        assert_int_equal(a.concurrency, 7);
        assert_true(a.opts.trust_hosts);
}

static void bad_options(void **s)
{
        (void)s;
        struct host_args a;
        struct pharos_error err = {0};
        assert_int_equal(host_args_parse(3, ARGV("-l", "novalue"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "label filter 'novalue' is not KEY=VALUE");
        assert_int_equal(host_args_parse(2, ARGV("-r"), &a, &err), PERR_USAGE);
        assert_string_equal(err.msg, "-r needs a value");
        assert_int_equal(host_args_parse(3, ARGV("--concurrency", "0"), &a, &err), PERR_USAGE);
        assert_int_equal(host_args_parse(2, ARGV("--bogus"), &a, &err), PERR_USAGE);
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
                cmocka_unit_test(bad_options),
                cmocka_unit_test(describe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
