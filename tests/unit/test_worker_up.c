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

#include "cli/ca_pin.h"
#include "cli/worker_up.h"
#include "kube/json.h"

#define JOIN                                                                                       \
        "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef "                              \
        "--discovery-token-ca-cert-hash "                                                          \
        "sha256:15cb0850aafe86aaf8349848f1d37f5d8faba1910fd64f8c667caef480a3f494"

/* Two self-signed CAs; the pins were computed with kubeadm's documented
 * pipeline: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum */
#define CA_PEM                                                                                     \
        "-----BEGIN CERTIFICATE-----\n"                                                            \
        "MIIBgTCCASegAwIBAgIUNUBWttkvkZNAmdJdIN8lDk2o6P8wCgYIKoZIzj0EAwIw\n"                       \
        "FTETMBEGA1UEAwwKa3ViZXJuZXRlczAgFw0yNjEyMDMyMjU5MTlaGA8yMTI2MTEw\n"                       \
        "OTIyNTkxOVowFTETMBEGA1UEAwwKa3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqG\n"                       \
        "SM49AwEHA0IABKHerNg2qOVRjqic2V9cmGhX+6+fyt4iGIOM7beBsK4KcUqmvRoe\n"                       \
        "y/qxIzx0vVYWMG4dFQiLIG00l7AvGpn0EZWjUzBRMB0GA1UdDgQWBBSy8x4o7/Pc\n"                       \
        "+nwV60m5lTgW8esdvTAfBgNVHSMEGDAWgBSy8x4o7/Pc+nwV60m5lTgW8esdvTAP\n"                       \
        "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIGzo88Y60jv4kZVBXiJH\n"                       \
        "TFy0zW+uQ2npbZvpifB1n1rsAiEAuUMWCIUNiLOhX+NKvZ6UTk30ktwcZ6arLqa1\n"                       \
        "Iod9lew=\n"                                                                               \
        "-----END CERTIFICATE-----\n"
#define CA_PIN "sha256:15cb0850aafe86aaf8349848f1d37f5d8faba1910fd64f8c667caef480a3f494"
#define OTHER_PEM                                                                                  \
        "-----BEGIN CERTIFICATE-----\n"                                                            \
        "MIIBdjCCAR2gAwIBAgIUCC+Mkx4lD2c8Kgm9Os5NNSISoR0wCgYIKoZIzj0EAwIw\n"                       \
        "EDEOMAwGA1UEAwwFb3RoZXIwIBcNMjYxMjAzMjI1OTI1WhgPMjEyNjExMDkyMjU5\n"                       \
        "MjVaMBAxDjAMBgNVBAMMBW90aGVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"                       \
        "VJ3WQ+9tloLJ8GgKZf8mpOVIVG5czZPfDwhebMSRCRVtDylf+Q5GwsnVeg7GrMtP\n"                       \
        "0Qrs3dIOS9NjoQvaTEzFjaNTMFEwHQYDVR0OBBYEFH0YNUA8dqzUxTX93plavSiY\n"                       \
        "3DNlMB8GA1UdIwQYMBaAFH0YNUA8dqzUxTX93plavSiY3DNlMA8GA1UdEwEB/wQF\n"                       \
        "MAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgDbsuiJDhHlTlcAH/lclfhsi68GXPAS13\n"                       \
        "pPUtvJBZVMkCIBPyPstojgcADoV8E3zZbkDTMzIWFDj32iNIJSXiMxZ3\n"                               \
        "-----END CERTIFICATE-----\n"
#define OTHER_PIN "sha256:af2b50c7549294e1a8fcdf8a6c3d848b545dbf96e4b05472146ba36e65582eed"

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

/* What the kubeadm plugin's API proxy reaches: every master given, at the port given. */
static void master_endpoints(void **s)
{
        (void)s;
        struct wu_args a = {.masters = {"10.0.0.1", "m1.example:7443", "fd00::1", "[fd00::2]:443"},
                            .n_masters = 4};
        char buf[WU_MAX_ENDPOINTS];
        const char *bad = NULL;
        assert_int_equal(wu_master_endpoints(&a, buf, sizeof(buf), &bad), 0);
        assert_string_equal(buf, "10.0.0.1:6443 m1.example:7443 [fd00::1]:6443 [fd00::2]:443");
        assert_null(bad);
        a.masters[2] = "[fd00::1";
        assert_int_equal(wu_master_endpoints(&a, buf, sizeof(buf), &bad), -1);
        assert_string_equal(bad, "[fd00::1");
        a.masters[2] = "fd00::1";
        assert_int_equal(wu_master_endpoints(&a, buf, 20, &bad), -1);
        assert_string_equal(bad, "m1.example:7443");
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

static void ca_pins_of_the_join_command(void **s)
{
        (void)s;
        struct ca_pins p;
        struct pharos_error err = {0};
        assert_int_equal(ca_pins_parse(JOIN, &p, &err), 0);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.pin[0], CA_PIN);
        /* several, the --flag=value form, the line continuations kubeadm init prints, any case */
        assert_int_equal(ca_pins_parse("kubeadm join m:6443 --token a.b \\\n\t"
                                       "--discovery-token-ca-cert-hash SHA256:15CB0850AAFE86AAF834"
                                       "9848F1D37F5D8FABA1910FD64F8C667CAEF480A3F494 "
                                       "--discovery-token-ca-cert-hash=" OTHER_PIN,
                                       &p, &err),
                         0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.pin[0], CA_PIN);
        assert_string_equal(p.pin[1], OTHER_PIN);
        /* what kubeadm's pubkeypin refuses, refused before any master is asked */
        struct wu_args a;
        assert_int_equal(parse(&a, &err,
                               "kubeadm join m:6443 --token a.b --discovery-token-ca-cert-hash "
                               "sha256:00ff",
                               "m", NULL),
                         PERR_USAGE);
        assert_non_null(strstr(err.msg, "'sha256:00ff' is not sha256:<64 hex digits>"));
        assert_int_equal(ca_pins_parse("kubeadm join m --token a.b --discovery-token-ca-cert-hash "
                                       "md5:15cb0850aafe86aaf8349848f1d37f5d8faba1910fd64f8c667caef"
                                       "480a3f4",
                                       &p, &err),
                         PERR_USAGE);
        assert_int_equal(ca_pins_parse("kubeadm join m --token a.b --discovery-token-ca-cert-hash "
                                       "sha256:15cb0850aafe86aaf8349848f1d37f5d8faba1910fd64f8c667"
                                       "caef480a3f49x",
                                       &p, &err),
                         PERR_USAGE);
        assert_int_equal(ca_pins_parse("kubeadm join m --token a.b --discovery-token-ca-cert-hash",
                                       &p, &err),
                         PERR_USAGE);
        assert_non_null(strstr(err.msg, "no --discovery-token-ca-cert-hash value"));
}

static void only_pinned_cas_are_trusted(void **s)
{
        (void)s;
        struct ca_pins p = {.n = 1};
        char seen[300];
        snprintf(p.pin[0], sizeof(p.pin[0]), "%s", CA_PIN);
        /* a bundle: only the pinned certificate is kept */
        const char *bundle = OTHER_PEM CA_PEM;
        char *ca = ca_pins_select(bundle, strlen(bundle), &p, seen, sizeof(seen));
        assert_non_null(ca);
        assert_string_equal(ca, CA_PEM);
        free(ca);
        /* no pinned certificate: nothing trusted, and what was seen is said */
        assert_null(ca_pins_select(OTHER_PEM, strlen(OTHER_PEM), &p, seen, sizeof(seen)));
        assert_string_equal(seen, OTHER_PIN);
        assert_null(ca_pins_select("garbage", 7, &p, seen, sizeof(seen)));
        assert_string_equal(seen, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(options_anywhere),
                cmocka_unit_test(ca_pins_of_the_join_command),
                cmocka_unit_test(only_pinned_cas_are_trusted),
                cmocka_unit_test(usage_errors),
                cmocka_unit_test(join_command_from_stdin),
                cmocka_unit_test(kubelet_labels_allowed),
                cmocka_unit_test(control_plane_proxy),
                cmocka_unit_test(masters_split),
                cmocka_unit_test(master_endpoints),
                cmocka_unit_test(config_of_one_local_worker),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
