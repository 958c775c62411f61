/* kube/relay: curl's TCP connection and the tunnel socket see each other's
 * bytes, and nobody else's connection is taken for curl's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/relay.h"

static void read_exact(int fd, char *buf, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t r = read(fd, buf + got, n - got);
                assert_true(r > 0);
                got += (size_t)r;
        }
}

static void test_bytes_both_ways(void **unused)
{
        (void)unused;
        int tun[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, tun), 0);
        struct sockaddr_in addr;
        int c = relay_start(tun[0], &addr);
        assert_true(c >= 0);
        assert_int_equal(ntohl(addr.sin_addr.s_addr), INADDR_LOOPBACK);
        assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
        char buf[64];
        assert_int_equal(write(c, "GET /readyz", 11), 11);
        read_exact(tun[1], buf, 11);
        assert_memory_equal(buf, "GET /readyz", 11);
        assert_int_equal(write(tun[1], "HTTP/1.1 200", 12), 12);
        read_exact(c, buf, 12);
        assert_memory_equal(buf, "HTTP/1.1 200", 12);
        /* The tunnel closing ends curl's connection too. */
        close(tun[1]);
        assert_int_equal(read(c, buf, sizeof(buf)), 0);
        close(c);
}

/* The listener takes one connection only: a second connect is refused. */
static void test_one_shot(void **unused)
{
        (void)unused;
        int tun[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, tun), 0);
        struct sockaddr_in addr;
        int c = relay_start(tun[0], &addr);
        assert_true(c >= 0);
        assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(write(c, "x", 1), 1);
        char b;
        read_exact(tun[1], &b, 1);
        int d = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(d, (struct sockaddr *)&addr, sizeof(addr)), -1);
        close(d);
        close(c);
        close(tun[1]);
}

/* Another local process connecting first is turned away: the tunnel's bytes go
 * to the socket the relay made for curl, never to the early comer. */
static void test_intruder_first_gets_nothing(void **unused)
{
        (void)unused;
        int tun[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, tun), 0);
        struct sockaddr_in addr;
        int c = relay_start(tun[0], &addr);
        assert_true(c >= 0);
        int intruder = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(intruder, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(write(intruder, "GET /secrets", 12), 12);
        /* the relay closes it: end of stream, or a reset */
        char buf[64];
        struct timeval tv = {.tv_sec = 5};
        setsockopt(intruder, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        errno = 0;
        ssize_t n = read(intruder, buf, sizeof(buf));
        assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
        close(intruder);
        /* curl's socket still gets the tunnel */
        assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(write(c, "GET /readyz", 11), 11);
        read_exact(tun[1], buf, 11);
        assert_memory_equal(buf, "GET /readyz", 11);
        assert_int_equal(write(tun[1], "HTTP/1.1 200", 12), 12);
        read_exact(c, buf, 12);
        assert_memory_equal(buf, "HTTP/1.1 200", 12);
        close(c);
        close(tun[1]);
}

/* curl's own socket is bound to a port nobody else can bind. */
static void test_client_port_is_ours(void **unused)
{
        (void)unused;
        int tun[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, tun), 0);
        struct sockaddr_in addr, mine;
        int c = relay_start(tun[0], &addr);
        assert_true(c >= 0);
        socklen_t len = sizeof(mine);
        assert_int_equal(getsockname(c, (struct sockaddr *)&mine, &len), 0);
        assert_int_not_equal(mine.sin_port, 0);
        int other = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        assert_int_equal(bind(other, (struct sockaddr *)&mine, sizeof(mine)), -1);
        close(other);
        close(c);
        close(tun[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bytes_both_ways),
                cmocka_unit_test(test_one_shot),
                cmocka_unit_test(test_intruder_first_gets_nothing),
                cmocka_unit_test(test_client_port_is_ours),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
