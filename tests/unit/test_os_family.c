/* The pure parts of the OS-family plugins: which hosts a family claims and
 * supports, the repository files, the apt pin and /etc/environment lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os_family.h"

/* The same words and versions os-ubuntu, os-debian and os-el declare. */
static const char *const ubuntu_ids[] = {"ubuntu", NULL};
static const char *const ubuntu_versions[] = {"22.04", "24.04", NULL};
static const char *const debian_ids[] = {"debian", NULL};
static const char *const debian_not[] = {"ubuntu", NULL};
static const char *const debian_versions[] = {"12", "13", NULL};
static const char *const el_ids[] = {"rhel", "rocky", "almalinux", NULL};
static const char *const el_versions[] = {"9", NULL};

static const struct os_family ubuntu = {.ids = ubuntu_ids, .versions = ubuntu_versions};
static const struct os_family debian = {
        .ids = debian_ids, .not_ids = debian_not, .versions = debian_versions};
static const struct os_family el = {.ids = el_ids, .versions = el_versions};

static void claims(void **state)
{
        (void)state;
        assert_true(os_claims(&ubuntu, "ubuntu", "debian"));
        assert_false(os_claims(&debian, "ubuntu", "debian"));
        assert_true(os_claims(&debian, "debian", NULL));
        assert_true(os_claims(&debian, "raspbian", "debian"));
        /* Linux Mint is Ubuntu's (and so not Debian's). */
        assert_true(os_claims(&ubuntu, "linuxmint", "ubuntu debian"));
        assert_false(os_claims(&debian, "linuxmint", "ubuntu debian"));
        assert_true(os_claims(&el, "rocky", "rhel centos fedora"));
        assert_true(os_claims(&el, "almalinux", "rhel centos fedora"));
        assert_true(os_claims(&el, "rhel", "fedora"));
        assert_true(os_claims(&el, "centos", "rhel fedora"));
        assert_false(os_claims(&el, "fedora", NULL));
        assert_false(os_claims(&el, "debian", ""));
        /* Whole words only. */
        assert_false(os_claims(&el, "rhelish", "notrhel"));
        assert_false(os_claims(&ubuntu, NULL, NULL));
}

static void versions(void **state)
{
        (void)state;
        assert_true(os_version_supported(&ubuntu, "24.04"));
        assert_true(os_version_supported(&ubuntu, "22.04"));
        assert_false(os_version_supported(&ubuntu, "20.04"));
        assert_false(os_version_supported(&ubuntu, "24.041"));
        assert_true(os_version_supported(&debian, "13"));
        assert_false(os_version_supported(&debian, "11"));
        assert_false(os_version_supported(&debian, "1"));
        assert_true(os_version_supported(&el, "9.4"));
        assert_true(os_version_supported(&el, "9"));
        assert_false(os_version_supported(&el, "90"));
        assert_false(os_version_supported(&el, "7"));
        assert_false(os_version_supported(&el, NULL));
        char list[64];
        os_supported_list(&ubuntu, list, sizeof(list));
        assert_string_equal(list, "22.04, 24.04");
        os_supported_list(&el, list, sizeof(list));
        assert_string_equal(list, "9");
        assert_true(os_arch_supported("x86_64"));
        assert_true(os_arch_supported("aarch64"));
        assert_false(os_arch_supported("armv7l"));
        assert_false(os_arch_supported(NULL));
}

static void kube_minor(void **state)
{
        (void)state;
        char m[16];
        assert_int_equal(os_kube_minor("1.37.2", m, sizeof(m)), 0);
        assert_string_equal(m, "1.37");
        assert_int_equal(os_kube_minor("1.37", m, sizeof(m)), -1);
        assert_int_equal(os_kube_minor("1.37.2x", m, sizeof(m)), -1);
        assert_int_equal(os_kube_minor(NULL, m, sizeof(m)), -1);
}

static void default_repos(void **state)
{
        (void)state;
        struct os_repo r;
        assert_int_equal(os_default_repo(OS_PKG_APT, "1.33", &r), 0);
        assert_string_equal(r.file, "/etc/apt/sources.list.d/kubernetes.list");
        assert_string_equal(r.key_url, "https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key");
        assert_string_equal(r.key_file, "/etc/apt/keyrings/kubernetes-apt-keyring.gpg");
        assert_string_equal(
                r.contents,
                "# signing key: https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key\n"
                "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] "
                "https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /");
        os_repo_free(&r);
        assert_int_equal(os_default_repo(OS_PKG_DNF, "1.37", &r), 0);
        assert_string_equal(r.file, "/etc/yum.repos.d/kubernetes.repo");
        assert_string_equal(r.key_url, "");
        assert_string_equal(r.contents,
                            "[kubernetes]\n"
                            "name=Kubernetes\n"
                            "baseurl=https://pkgs.k8s.io/core:/stable:/v1.37/rpm/\n"
                            "enabled=1\n"
                            "gpgcheck=1\n"
                            "gpgkey=https://pkgs.k8s.io/core:/stable:/v1.37/rpm/repodata/"
                            "repomd.xml.key\n"
                            "exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni");
        os_repo_free(&r);
}

static void custom_repos(void **state)
{
        (void)state;
        struct os_repo r;
        char why[256];
        assert_int_equal(os_custom_repo(OS_PKG_APT, "mirror",
                                        "deb [signed-by=/etc/apt/keyrings/m.gpg] http://m/ /\n",
                                        "http://m/key", &r, why, sizeof(why)),
                         0);
        assert_string_equal(r.file, "/etc/apt/sources.list.d/mirror.list");
        assert_string_equal(r.key_file, "/etc/apt/keyrings/m.gpg");
        assert_string_equal(r.contents,
                            "# signing key: http://m/key\ndeb [signed-by=/etc/apt/keyrings/m.gpg] "
                            "http://m/ /");
        os_repo_free(&r);
        /* Without signed-by the key is trusted the way apt-key used to. */
        assert_int_equal(os_custom_repo(OS_PKG_APT, "old", "deb http://o/ stable main",
                                        "http://o/key", &r, why, sizeof(why)),
                         0);
        assert_string_equal(r.key_file, "/etc/apt/trusted.gpg.d/old.gpg");
        os_repo_free(&r);
        assert_int_equal(os_custom_repo(OS_PKG_APT, "nokey", "deb http://o/ stable main", NULL, &r,
                                        why, sizeof(why)),
                         0);
        assert_string_equal(r.key_file, "");
        assert_string_equal(r.contents, "deb http://o/ stable main");
        os_repo_free(&r);
        assert_int_equal(os_custom_repo(OS_PKG_DNF, "k8s", "[k8s]\nbaseurl=http://k/", NULL, &r,
                                        why, sizeof(why)),
                         0);
        assert_string_equal(r.file, "/etc/yum.repos.d/k8s.repo");
        os_repo_free(&r);
        assert_int_equal(
                os_custom_repo(OS_PKG_APT, "../etc/passwd", "x", NULL, &r, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "plain file name"));
        assert_int_equal(os_custom_repo(OS_PKG_APT, "a b", "x", NULL, &r, why, sizeof(why)), -1);
}

static void apt_pin(void **state)
{
        (void)state;
        char pin[128];
        assert_int_equal(os_apt_pin("1.37.2", pin, sizeof(pin)), 0);
        assert_string_equal(pin, "Package: kubelet kubeadm kubectl\nPin: version 1.37.2-*\n"
                                 "Pin-Priority: 1001");
        assert_int_equal(os_apt_pin("1.37.2", pin, 10), -1);
}

static void environment(void **state)
{
        (void)state;
        char line[128], why[256];
        assert_int_equal(os_env_line("HTTP_PROXY", "http://u:p@proxy:3128", line, sizeof(line), why,
                                     sizeof(why)),
                         0);
        assert_string_equal(line, "HTTP_PROXY=\"http://u:p@proxy:3128\"");
        assert_int_equal(os_env_line("A", NULL, line, sizeof(line), why, sizeof(why)), 0);
        assert_string_equal(line, "A=\"\"");
        assert_int_equal(os_env_line("1A", "x", line, sizeof(line), why, sizeof(why)), -1);
        assert_int_equal(os_env_line("A-B", "x", line, sizeof(line), why, sizeof(why)), -1);
        assert_int_equal(os_env_line("A", "x\"y", line, sizeof(line), why, sizeof(why)), -1);
        assert_int_equal(os_env_line("A", "x\ny", line, sizeof(line), why, sizeof(why)), -1);
        assert_non_null(strstr(why, "line break"));
        assert_true(os_is_proxy_var("HTTPS_PROXY"));
        assert_true(os_is_proxy_var("no_proxy"));
        assert_false(os_is_proxy_var("PATH"));
}

static void collect_lines(void **state)
{
        (void)state;
        char buf[64] = "";
        os_collect_lines("noise\npharos-change: one\nx pharos-change: no\npharos-change: two",
                         "pharos-change: ", buf, sizeof(buf));
        assert_string_equal(buf, "one; two");
        os_collect_lines("pharos-change: three\n", "pharos-change: ", buf, sizeof(buf));
        assert_string_equal(buf, "one; two; three");
        char small[8] = "";
        os_collect_lines("pharos-change: abcdefghij\n", "pharos-change: ", small, sizeof(small));
        assert_string_equal(small, "abcdefg");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(claims),       cmocka_unit_test(versions),
                cmocka_unit_test(kube_minor),   cmocka_unit_test(default_repos),
                cmocka_unit_test(custom_repos), cmocka_unit_test(apt_pin),
                cmocka_unit_test(environment),  cmocka_unit_test(collect_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
