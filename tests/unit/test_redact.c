/* The redaction filter every log line, event and error passes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/error.h"
#include "util/redact.h"

static const char *masked(const char *in)
{
        static char out[4096];
        redact_copy(in, out, sizeof(out));
        return out;
}

static void private_keys_in_pem(void **s)
{
        (void)s;
        const char *text = "client-certificate:\n-----BEGIN CERTIFICATE-----\nMIIBcert\n"
                           "-----END CERTIFICATE-----\nkey:\n-----BEGIN RSA PRIVATE KEY-----\n"
                           "MIIEowIBAAKCAQEAsecretbody\nmore\n-----END RSA PRIVATE KEY-----\nend";
        const char *out = masked(text);
        assert_null(strstr(out, "secretbody"));
        assert_non_null(strstr(out, "-----BEGIN CERTIFICATE-----\nMIIBcert\n"));
        assert_non_null(strstr(out, "key:\n-----BEGIN PRIVATE KEY----- <redacted>\nend"));
        /* cut off before its END line: masked to the end */
        assert_string_equal(masked("x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI"),
                            "x -----BEGIN PRIVATE KEY----- <redacted>");
}

static void bootstrap_tokens_and_join_flags(void **s)
{
        (void)s;
        assert_string_equal(
                masked("kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef "
                       "--discovery-token-ca-cert-hash sha256:"
                       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                "kubeadm join 10.0.0.1:6443 --token <redacted> --discovery-token-ca-cert-hash "
                "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_string_equal(masked("token abcdef.0123456789abcdef expired"),
                            "token <redacted> expired");
        assert_string_equal(masked("--certificate-key=0a1b2c3d4e5f6a7b"),
                            "--certificate-key=<redacted>");
        /* a token-shaped piece of a longer word is left */
        assert_string_equal(masked("xabcdef.0123456789abcdefx"), "xabcdef.0123456789abcdefx");
}

static void url_passwords(void **s)
{
        (void)s;
        assert_string_equal(masked("https_proxy=http://bob:pa%3Ass@proxy.example:3128/ x"),
                            "https_proxy=http://bob:<redacted>@proxy.example:3128/ x");
        assert_string_equal(masked("http://proxy.example:3128/path"),
                            "http://proxy.example:3128/path");
        assert_string_equal(masked("http://bob@proxy:3128"), "http://bob@proxy:3128");
}

static void values_of_secret_keys(void **s)
{
        (void)s;
        assert_string_equal(masked("certificateKey: 0a1b2c3d4e5f6a7b8c9d"),
                            "certificateKey: <redacted>");
        assert_string_equal(masked("{\"token\": \"abcdefghijklmnop\", \"x\": 1}"),
                            "{\"token\": \"<redacted>\", \"x\": 1}");
        assert_string_equal(masked("client-key-data: LS0tLS1CRUdJTi"),
                            "client-key-data: <redacted>");
        assert_string_equal(masked("  secret: c2VjcmV0c2VjcmV0"), "  secret: <redacted>");
        /* words of a message, not values */
        assert_string_equal(masked("network.weave.password: cannot read /x"),
                            "network.weave.password: cannot read /x");
        assert_string_equal(masked("kubeadm.join-token: created a bootstrap token"),
                            "kubeadm.join-token: created a bootstrap token");
}

static void random_looking_runs(void **s)
{
        (void)s;
        assert_string_equal(masked("key is q8Vx2bN1kLmZ0pR7tY4wE6uI9oA3sD5fG8hJ2kL4m= here"),
                            "key is <redacted> here");
        /* paths and names are no secrets */
        const char *path = "GET /apis/apps/v1/namespaces/kube-system/deployments/coredns";
        assert_string_equal(masked(path), path);
        const char *fp =
                "host key changed: line 1 has SHA256:QFZ0E2ZlqtPmNj+5ZeyAK4BV/zqw65QA4bSV5XuLGxw";
        assert_string_equal(masked(fp), fp);
        const char *pub =
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        assert_string_equal(masked(pub), pub);
        const char *msg = "[127.0.0.11] kubeadm.join-masters: joined the cluster as a "
                          "control-plane node";
        assert_string_equal(masked(msg), msg);
}

static void cut_at_capacity(void **s)
{
        (void)s;
        char out[8];
        assert_int_equal(redact_copy("abcdefghijkl", out, sizeof(out)), 7);
        assert_string_equal(out, "abcdefg");
        char small[12];
        redact_copy("token abcdef.0123456789abcdef", small, sizeof(small));
        assert_string_equal(small, "token <reda");
}

static void error_messages_are_masked(void **s)
{
        (void)s;
        struct pharos_error err = {0};
        perr_set(&err, PERR_FAIL, "h1: `kubeadm join --token %s` failed",
                 "abcdef.0123456789abcdef");
        assert_string_equal(err.msg, "h1: `kubeadm join --token <redacted>` failed");
        char buf[64] = "proxy http://u:secretpw@p:1";
        redact_str(buf, sizeof(buf));
        assert_string_equal(buf, "proxy http://u:<redacted>@p:1");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(private_keys_in_pem),
                cmocka_unit_test(bootstrap_tokens_and_join_flags),
                cmocka_unit_test(url_passwords),
                cmocka_unit_test(values_of_secret_keys),
                cmocka_unit_test(random_looking_runs),
                cmocka_unit_test(cut_at_capacity),
                cmocka_unit_test(error_messages_are_masked),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
