/* pharos worker up: its command line and the one-host configuration built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/worker_up.h"
#include "kube/json.h"

#define JOIN                                                                                       \
        "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef "                              \
        "--discovery-token-ca-cert-hash sha256:00ff"

static int parse(struct wu_args *a, struct pharos_error *err, ...)
{
        char *argv[40] = {"worker", "up"};
        int argc = 2;
        va_list ap;
        va_start(ap, err);
        for (char *s; (s = va_arg(ap, char *)) != NULL;)
                argv[argc++] = s;
        va_end(ap);
        return wu_parse_args(argc, argv, a, err);
}

static void options_anywhere(void **s)
{
        (void)s;
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, "--label", "tier=batch", JOIN, "10.0.0.1", "-e",
                               "HTTPS_PROXY=http://p:3128", "10.0.0.2:6443", "--taint",
                               "dedicated=batch:NoSchedule", "--container-runtime", "cri-o",
                               "--insecure-registry", "reg.local:5000", "--image-repository",
                               "mirror.local/k8s", "--address", "10.0.0.9", NULL),
                         0);
        assert_string_equal(a.join_command, JOIN);
        assert_int_equal(a.n_masters, 2);
        assert_string_equal(a.masters[1], "10.0.0.2:6443");
        assert_string_equal(a.labels[0], "tier=batch");
        assert_string_equal(a.env[0], "HTTPS_PROXY=http://p:3128");
        assert_string_equal(a.taints[0], "dedicated=batch:NoSchedule");
        assert_string_equal(a.runtime, "cri-o");
        assert_string_equal(a.registries[0], "reg.local:5000");
        assert_string_equal(a.image_repository, "mirror.local/k8s");
        assert_string_equal(a.address, "10.0.0.9");
}

static void usage_errors(void **s)
{
        (void)s;
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, JOIN, NULL), PERR_USAGE);
        assert_non_null(strstr(err.msg, "MASTER_ADDRESS"));
        assert_int_equal(parse(&a, &err, NULL), PERR_USAGE);
        assert_int_equal(
                parse(&a, &err, "kubeadm join 10.0.0.1:6443 --token secret", "10.0.0.1", NULL),
                PERR_USAGE);
        /* the message never quotes the join command: it holds the token */
        assert_null(strstr(err.msg, "secret"));
        assert_int_equal(parse(&a, &err, "--label", "novalue", JOIN, "m", NULL), PERR_USAGE);
        assert_int_equal(
                parse(&a, &err, "--label", "node-role.kubernetes.io/worker=", JOIN, "m", NULL),
                PERR_USAGE);
        assert_int_equal(parse(&a, &err, "--taint", "a=b:Sometimes", JOIN, "m", NULL), PERR_USAGE);
        assert_int_equal(parse(&a, &err, "--taint", "a=b", JOIN, "m", NULL), PERR_USAGE);
        assert_int_equal(parse(&a, &err, "--bogus", JOIN, "m", NULL), PERR_USAGE);
        char *argv[] = {"worker", "down"};
        assert_int_equal(wu_parse_args(2, argv, &a, &err), PERR_USAGE);
}

static void join_command_from_stdin(void **s)
{
        (void)s;
        char path[] = "/tmp/pharos-test-join-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, JOIN "\n", sizeof(JOIN)), (ssize_t)sizeof(JOIN));
        close(fd);
        assert_non_null(freopen(path, "r", stdin));
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, "-", "10.0.0.1", NULL), 0);
        assert_string_equal(a.join_command, JOIN);
        /* stdin is at its end now */
        assert_int_equal(parse(&a, &err, "-", "10.0.0.1", NULL), PERR_USAGE);
        unlink(path);
}

static void control_plane_proxy(void **s)
{
        (void)s;
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, "--control-plane-proxy", "-e", "HTTPS_PROXY=http://p:3128",
                               JOIN, "10.0.0.1", NULL),
                         0);
        char *text = wu_config_text(&a, "1.37.2", "10.0.0.9", "ops");
        char msg[128];
        yajl_val doc = json_parse(text, msg, sizeof(msg));
        assert_non_null(doc);
        assert_true(YAJL_IS_TRUE(json_get(doc, "control_plane.use_proxy")));
        yajl_tree_free(doc);
        free(text);
}

static void kubelet_labels_allowed(void **s)
{
        (void)s;
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, "-l", "topology.kubernetes.io/zone=a", "-l",
                               "example.node.kubernetes.io/x=y", "-l", "example.com/k8s.io=1", JOIN,
                               "m", NULL),
                         0);
        assert_int_equal(a.n_labels, 3);
}

static void masters_split(void **s)
{
        (void)s;
        char host[256], ep[300];
        assert_int_equal(wu_split_master("10.0.0.1", host, sizeof(host), ep, sizeof(ep)), 0);
        assert_string_equal(host, "10.0.0.1");
        assert_string_equal(ep, "10.0.0.1:6443");
        assert_int_equal(wu_split_master("m1.example:7443", host, sizeof(host), ep, sizeof(ep)), 0);
        assert_string_equal(host, "m1.example");
        assert_string_equal(ep, "m1.example:7443");
        assert_int_equal(wu_split_master("fd00::1", host, sizeof(host), ep, sizeof(ep)), 0);
        assert_string_equal(ep, "[fd00::1]:6443");
        assert_int_equal(wu_split_master("[fd00::1]:7443", host, sizeof(host), ep, sizeof(ep)), 0);
        assert_string_equal(host, "fd00::1");
        assert_string_equal(ep, "[fd00::1]:7443");
        assert_int_equal(wu_split_master("[fd00::1", host, sizeof(host), ep, sizeof(ep)), -1);
}

static void config_of_one_local_worker(void **s)
{
        (void)s;
        struct wu_args a;
        struct pharos_error err = {0};
        assert_int_equal(parse(&a, &err, "-l", "tier=batch", "--taint", "dedicated:NoExecute",
                               "--taint", "gpu=yes:NoSchedule", "-e", "A=1=2",
                               "--insecure-registry", "reg:5000", JOIN, "10.0.0.1", "10.0.0.2:6443",
                               NULL),
                         0);
        char *text = wu_config_text(&a, "1.37.2", "10.0.0.9", "ops");
        assert_non_null(text);
        char msg[128];
        yajl_val doc = json_parse(text, msg, sizeof(msg));
        assert_non_null(doc);
        yajl_val hosts = json_get(doc, "hosts");
        assert_true(YAJL_IS_ARRAY(hosts));
        assert_int_equal(hosts->u.array.len, 3);
        yajl_val me = hosts->u.array.values[0];
        assert_string_equal(json_get_str(me, "address"), "127.0.0.1");
        assert_string_equal(json_get_str(me, "private_address"), "10.0.0.9");
        assert_string_equal(json_get_str(me, "role"), "worker");
        assert_string_equal(json_get_str(me, "user"), "ops");
        assert_string_equal(json_get_str(me, "container_runtime"), "containerd");
        assert_string_equal(json_get_str(me, "environment.A"), "1=2");
        yajl_val taints = json_get(me, "taints");
        assert_int_equal(taints->u.array.len, 2);
        assert_string_equal(json_get_str(taints->u.array.values[0], "key"), "dedicated");
        assert_null(json_get(taints->u.array.values[0], "value"));
        assert_string_equal(json_get_str(taints->u.array.values[0], "effect"), "NoExecute");
        assert_string_equal(json_get_str(taints->u.array.values[1], "value"), "yes");
        assert_string_equal(json_get_str(hosts->u.array.values[1], "role"), "master");
        assert_string_equal(json_get_str(hosts->u.array.values[2], "address"), "10.0.0.2");
        assert_string_equal(json_get_str(doc, "kubernetes.version"), "1.37.2");
        yajl_val args = json_get(doc, "kubelet.extra_args");
        assert_int_equal(args->u.array.len, 1);
        assert_string_equal(YAJL_GET_STRING(args->u.array.values[0]),
                            "--node-labels=tier=batch,pharos.kontena.io/worker-up=true");
        yajl_val regs = json_get(doc, "container_runtime.insecure_registries");
        assert_string_equal(YAJL_GET_STRING(regs->u.array.values[0]), "reg:5000");
        assert_null(json_get(doc, "image_repository"));
        assert_null(json_get(doc, "control_plane"));
        /* the join command is not part of the configuration */
        assert_null(strstr(text, "abcdef"));
        yajl_tree_free(doc);
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(options_anywhere),
                cmocka_unit_test(usage_errors),
                cmocka_unit_test(join_command_from_stdin),
                cmocka_unit_test(kubelet_labels_allowed),
                cmocka_unit_test(control_plane_proxy),
                cmocka_unit_test(masters_split),
                cmocka_unit_test(config_of_one_local_worker),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
