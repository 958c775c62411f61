/* kubeadm plugin: network.node_local_dns_cache, upstream's nodelocaldns.yaml with its values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kadm.h"

static char *rendered(const char *cidr, const char *mode, const char *repo, char *why, size_t n)
{
        struct kbuf b = {0};
        if (kadm_render_node_local_dns(cidr, mode, repo, &b, why, n) < 0) {
                assert_int_equal(b.len, 0);
                kb_free(&b);
                return NULL;
        }
        return b.p;
}

static void test_kube_dns_address(void **unused)
{
        (void)unused;
        char ip[64];
        /* kubeadm's GetDNSIP: the tenth address of the service subnet. */
        assert_int_equal(kadm_dns_service_ip("10.96.0.0/12", ip, sizeof(ip)), 0);
        assert_string_equal(ip, "10.96.0.10");
        assert_int_equal(kadm_dns_service_ip("172.30.255.0/24", ip, sizeof(ip)), 0);
        assert_string_equal(ip, "172.30.255.10");
        assert_int_equal(kadm_dns_service_ip("fd00:10:96::/112", ip, sizeof(ip)), -1);
        assert_int_equal(kadm_dns_service_ip("10.96.0.0", ip, sizeof(ip)), -1);
        assert_int_equal(kadm_dns_service_ip("10.96.0.0 }\n/12", ip, sizeof(ip)), -1);
        assert_int_equal(kadm_dns_service_ip(NULL, ip, sizeof(ip)), -1);
}

static void test_kubelet_follows_proxy_mode(void **unused)
{
        (void)unused;
        assert_int_equal(kadm_node_local_dns_kubelet("iptables"), 0);
        assert_int_equal(kadm_node_local_dns_kubelet("ipvs"), 1);
        assert_int_equal(kadm_node_local_dns_kubelet("nftables"), 1);
}

/* iptables mode: the cache also owns the kube-dns ClusterIP and asks kube-dns-upstream. */
static void test_iptables(void **unused)
{
        (void)unused;
        char why[200];
        char *y = rendered("10.96.0.0/12", "iptables", "registry.k8s.io", why, sizeof(why));
        assert_non_null(y);
        assert_non_null(strstr(y, "  Corefile: |\n    cluster.local:53 {\n"));
        assert_non_null(strstr(y, "        bind 169.254.20.10 10.96.0.10\n"
                                  "        forward . __PILLAR__CLUSTER__DNS__ {\n"
                                  "                force_tcp\n"));
        assert_non_null(strstr(y, "        health 169.254.20.10:8080\n"));
        assert_non_null(strstr(y, "    .:53 {\n"));
        assert_non_null(strstr(y, "        forward . __PILLAR__UPSTREAM__SERVERS__\n"));
        assert_non_null(strstr(y, "\"-localip\", \"169.254.20.10,10.96.0.10\""));
        assert_non_null(strstr(y, "\"-upstreamsvc\", \"kube-dns-upstream\""));
        assert_non_null(strstr(y, "image: \"registry.k8s.io/dns/k8s-dns-node-cache:1.26.7\"\n"));
        assert_non_null(strstr(y, "kind: Service\nmetadata:\n  name: kube-dns-upstream\n"));
        assert_non_null(strstr(y, "hostNetwork: true\n"));
        /* Only node-cache's own placeholders are left. */
        assert_null(strstr(y, "__PILLAR__LOCAL__DNS__"));
        assert_null(strstr(y, "__PILLAR__DNS__SERVER__"));
        assert_null(strstr(y, "__PILLAR__DNS__DOMAIN__"));
        free(y);
}

/* IPVS (and nftables): the link-local address only, forwarding to kube-dns itself. */
static void test_ipvs(void **unused)
{
        (void)unused;
        char why[200];
        char *y = rendered("10.100.0.0/16", "ipvs", NULL, why, sizeof(why));
        assert_non_null(y);
        assert_non_null(strstr(y, "        bind 169.254.20.10\n"
                                  "        forward . 10.100.0.10 {\n"));
        assert_null(strstr(y, "__PILLAR__CLUSTER__DNS__"));
        assert_non_null(strstr(y, "\"-localip\", \"169.254.20.10\""));
        assert_null(strstr(y, "10.100.0.10\""));
        free(y);
}

static void test_image_repository(void **unused)
{
        (void)unused;
        char why[200];
        char *y = rendered("10.96.0.0/12", "iptables", "mirror.example.com:5000/k8s", why,
                           sizeof(why));
        assert_non_null(y);
        assert_non_null(
                strstr(y, "image: \"mirror.example.com:5000/k8s/k8s-dns-node-cache:1.26.7\"\n"));
        free(y);
        /* Whatever got past the core's check, nothing but an image reference reaches the YAML. */
        assert_null(
                rendered("10.96.0.0/12", "iptables", "evil\"\n  hostPID: true", why, sizeof(why)));
        assert_string_equal(why, "image_repository cannot name the node-local-dns image");
        assert_null(rendered("fd00::/112", "iptables", NULL, why, sizeof(why)));
        assert_string_equal(why, "network.service_cidr is not an IPv4 range");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kube_dns_address),
                cmocka_unit_test(test_kubelet_follows_proxy_mode),
                cmocka_unit_test(test_iptables),
                cmocka_unit_test(test_ipvs),
                cmocka_unit_test(test_image_repository),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
