/* kubeadm plugin: which parts of a running control plane a kubeadm.yaml
 * change touches (config_diff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kadm.h"

/* The shape render.c writes, with %s slots for the parts a test changes. */
static const char *const shape = "# Written by pharos (kubeadm plugin); changes are overwritten.\n"
                                 "apiVersion: kubeadm.k8s.io/v1beta4\n"
                                 "kind: InitConfiguration\n"
                                 "localAPIEndpoint:\n"
                                 "  advertiseAddress: \"10.0.0.1\"\n"
                                 "  bindPort: 6443\n"
                                 "nodeRegistration:\n"
                                 "  name: \"host-1\"\n"
                                 "%s" /* node registration extra */
                                 "---\n"
                                 "apiVersion: kubeadm.k8s.io/v1beta4\n"
                                 "kind: ClusterConfiguration\n"
                                 "kubernetesVersion: \"v1.37.2\"\n"
                                 "controlPlaneEndpoint: \"%s\"\n"
                                 "networking:\n"
                                 "  podSubnet: \"10.32.0.0/12\"\n"
                                 "apiServer:\n"
                                 "  certSANs:\n"
                                 "%s"
                                 "  extraArgs:\n"
                                 "  - name: enable-admission-plugins\n"
                                 "    value: \"%s\"\n"
                                 "  extraVolumes:\n"
                                 "  - name: pharos-config\n"
                                 "    hostPath: \"/etc/kubernetes/pharos\"\n"
                                 "%s" /* controllerManager / scheduler */
                                 "---\n"
                                 "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                 "kind: KubeletConfiguration\n"
                                 "cgroupDriver: systemd\n"
                                 "readOnlyPort: %s\n"
                                 "---\n"
                                 "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
                                 "kind: KubeProxyConfiguration\n"
                                 "mode: \"%s\"\n";

struct parts {
        const char *node, *endpoint, *sans, *admission, *components, *ro_port, *proxy;
};

static const struct parts base = {
        "", "10.0.0.1:6443", "  - \"api.example.com\"\n", "NodeRestriction", "", "0", "iptables"};

static char *render(const struct parts *p)
{
        static char bufs[2][4096];
        static int which;
        char *b = bufs[which++ % 2];
        snprintf(b, 4096, shape, p->node, p->endpoint, p->sans, p->admission, p->components,
                 p->ro_port, p->proxy);
        return b;
}

static unsigned changes(const struct parts *p)
{
        return kadm_config_changes(render(&base), render(p));
}

static void same_text_no_change(void **s)
{
        (void)s;
        assert_int_equal(changes(&base), 0);
}

static void sans_and_endpoint(void **s)
{
        (void)s;
        struct parts p = base;
        p.sans = "  - \"api.example.com\"\n  - \"api2.example.com\"\n";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_SANS);
        p = base;
        p.endpoint = "lb.example.com:6443";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_SANS);
}

static void apiserver_args(void **s)
{
        (void)s;
        struct parts p = base;
        p.admission = "NodeRestriction,AlwaysPullImages";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_APISERVER);
        p.sans = "  - \"api2.example.com\"\n";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_APISERVER | KADM_CH_SANS);
}

static void components(void **s)
{
        (void)s;
        struct parts p = base;
        p.components = "controllerManager:\n  extraArgs:\n  - name: v\n    value: \"2\"\n";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_CONTROLLER);
        p.components = "scheduler:\n  extraArgs:\n  - name: v\n    value: \"2\"\n";
        assert_int_equal(changes(&p), KADM_CH_CLUSTER | KADM_CH_SCHEDULER);
}

static void node_kubelet_proxy(void **s)
{
        (void)s;
        struct parts p = base;
        p.node = "  taints: []\n";
        assert_int_equal(changes(&p), 0);
        p = base;
        p.ro_port = "10255";
        assert_int_equal(changes(&p), KADM_CH_KUBELET);
        p = base;
        p.proxy = "ipvs";
        assert_int_equal(changes(&p), KADM_CH_PROXY);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(same_text_no_change), cmocka_unit_test(sans_and_endpoint),
                cmocka_unit_test(apiserver_args),      cmocka_unit_test(components),
                cmocka_unit_test(node_kubelet_proxy),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
