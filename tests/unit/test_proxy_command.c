/* ssh_proxy_command: %r and %h never become shell syntax (CVE-2023-51385). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ssh/ssh_socket.h"

static void plain_names_expand(void **s)
{
        (void)s;
        pid_t pid = 0;
        struct pharos_error err = {0};
        int fd = sock_proxy_command("echo %r@%h:%p %%", "10.0.0.1", 2222, "ops.admin", &pid, &err);
        assert_true(fd >= 0);
        char buf[64] = "";
        size_t n = 0;
        ssize_t r;
        while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t)r;
        buf[n] = '\0';
        close(fd);
        sock_proxy_reap(pid);
        assert_string_equal(buf, "ops.admin@10.0.0.1:2222 %\n");
}

static void hostile_names_refused(void **s)
{
        (void)s;
        char mark[64];
        snprintf(mark, sizeof(mark), "/tmp/pharos-proxy-test-%d", (int)getpid());
        unlink(mark);
        char user[160];
        static const char *const forms[] = {
                "x$(touch %s)", "x`touch %s`", "x;touch %s",      "x|touch %s",
                "x&&touch %s",  "x\ntouch %s", "x' ; touch %s #", "-oProxyCommand=touch %s"};
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
                snprintf(user, sizeof(user), forms[i], mark);
                pid_t pid = 0;
                struct pharos_error err = {0};
                int fd = sock_proxy_command("ssh -W %h:%p -l %r jump", "10.0.0.1", 22, user, &pid,
                                            &err);
                assert_int_equal(fd, PERR_USAGE);
                assert_non_null(strstr(err.msg, "10.0.0.1: ssh_proxy_command: the user or host"));
        }
        pid_t pid = 0;
        struct pharos_error err = {0};
        assert_int_equal(sock_proxy_command("nc %h %p", "h$(id)", 22, "u", &pid, &err), PERR_USAGE);
        struct stat st;
        assert_int_equal(stat(mark, &st), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(plain_names_expand),
                cmocka_unit_test(hostile_names_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
