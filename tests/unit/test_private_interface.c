/* hosts[].private_interface: the address read from `ip -o -4 addr show dev IFACE scope global`,
 * and where it lands in the effective configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/load.h"
#include "config/node.h"
#include "config/private_address.h"
#include "run/private_interface.h"

/* iproute2's one-line form (ipaddress.c: print_addrinfo with -oneline). */
#define ETH1                                                                                       \
        "3: eth1    inet 10.10.0.5/24 brd 10.10.0.255 scope global eth1\\       valid_lft "        \
        "forever preferred_lft forever\n"                                                          \
        "3: eth1    inet 10.10.1.5/24 brd 10.10.1.255 scope global secondary eth1\\       "        \
        "valid_lft forever preferred_lft forever\n"

static void test_first_global_ipv4(void **unused)
{
        (void)unused;
        char a[16];
        assert_int_equal(run_parse_ipv4(ETH1, a, sizeof(a)), 0);
        assert_string_equal(a, "10.10.0.5");
        assert_int_equal(run_parse_ipv4("2: eth0    inet 192.0.2.1 peer 192.0.2.2/32 scope "
                                        "global eth0\n",
                                        a, sizeof(a)),
                         0);
        assert_string_equal(a, "192.0.2.1");
}

static void test_no_ipv4(void **unused)
{
        (void)unused;
        char a[16] = "";
        assert_int_equal(run_parse_ipv4("", a, sizeof(a)), -1);
        assert_int_equal(run_parse_ipv4(NULL, a, sizeof(a)), -1);
        assert_int_equal(run_parse_ipv4("3: eth1    inet6 fd00::5/64 scope global\n", a, sizeof(a)),
                         -1);
        assert_int_equal(run_parse_ipv4("3: eth1    inet 999.1.1.1/8 scope global\n", a, sizeof(a)),
                         -1);
        assert_string_equal(a, "");
}

static struct cluster_config *load(const char *yml)
{
        struct cluster_config *cfg = NULL;
        struct cfg_diags d = {0};
        struct pharos_error err = {0};
        assert_int_equal(cfg_load_buffer(yml, strlen(yml), "cluster.yml", NULL, &cfg, &d, &err), 0);
        cfg_diag_free(&d);
        return cfg;
}

/* Plugins read hosts[].private_address from the tree: the learnt address is there,
 * unless cluster.yml gives one, which wins (the original's peer address order). */
static void test_learnt_address_in_the_tree(void **unused)
{
        (void)unused;
        struct cluster_config *cfg =
                load("hosts:\n"
                     "  - {address: 192.0.2.1, private_interface: eth1, role: master}\n"
                     "  - {address: 192.0.2.2, private_address: 10.0.0.2,"
                     " private_interface: eth1, role: worker}\n");
        assert_int_equal(cfg_learn_private_address(cfg, 0, "10.10.0.5"), 0);
        assert_int_equal(cfg_learn_private_address(cfg, 1, "10.10.0.6"), 0);
        const cfg_node *hosts = cfg_map_get(cfg->doc->tree, "hosts", NULL);
        assert_string_equal(cfg_map_str(hosts->items[0], "private_address"), "10.10.0.5");
        assert_string_equal(cfg_map_str(hosts->items[1], "private_address"), "10.0.0.2");
        cfg_free(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_global_ipv4),
                cmocka_unit_test(test_no_ipv4),
                cmocka_unit_test(test_learnt_address_in_the_tree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
