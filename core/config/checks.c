/* Value formats of the core schema: addresses, CIDRs, ports, versions. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/checks.h"
#include "config/schema.h"

int cfg_check_ip(const char *v, char *why, size_t n)
{
        unsigned char buf[16];
        if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
                return 0;
        snprintf(why, n, "is not an IPv4 or IPv6 address");
        return -1;
}

int cfg_check_host_address(const char *v, char *why, size_t n)
{
        unsigned char buf[16];
        if (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1)
                return 0;
        /* The original's hostname rule: /\A[a-z0-9\-\.]+\z/, minus dotted numbers that
         * are no IPv4 address (10.0.0.256), which no resolver treats as names. */
        int ok = *v != '\0' && strspn(v, "0123456789.") != strlen(v);
        for (const char *p = v; *p && ok; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
        if (ok)
                return 0;
        snprintf(why, n, "is not an IPv4/IPv6 address or a hostname (a-z, 0-9, '-', '.')");
        return -1;
}

int cfg_cidr_parse(const char *v, struct cfg_cidr *out)
{
        const char *slash = strchr(v, '/');
        char addr[64];
        if (!slash || (size_t)(slash - v) >= sizeof(addr))
                return -1;
        memcpy(addr, v, (size_t)(slash - v));
        addr[slash - v] = '\0';
        memset(out, 0, sizeof(*out));
        if (inet_pton(AF_INET, addr, out->addr) == 1)
                out->family = 4;
        else if (inet_pton(AF_INET6, addr, out->addr) == 1)
                out->family = 6;
        else
                return -1;
        const char *p = slash + 1;
        if (*p < '0' || *p > '9' || strlen(p) > 3)
                return -1;
        char *end;
        long bits = strtol(p, &end, 10);
        if (*end || bits > (out->family == 4 ? 32 : 128))
                return -1;
        out->prefix = (int)bits;
        return 0;
}

int cfg_cidr_overlap(const struct cfg_cidr *a, const struct cfg_cidr *b)
{
        if (a->family != b->family)
                return 0;
        int bits = a->prefix < b->prefix ? a->prefix : b->prefix;
        for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((a->addr[i / 8] & mask) != (b->addr[i / 8] & mask))
                        return 0;
        }
        return 1;
}

int cfg_check_cidr(const char *v, char *why, size_t n)
{
        struct cfg_cidr c;
        if (cfg_cidr_parse(v, &c) == 0)
                return 0;
        snprintf(why, n, "is not a CIDR (ADDRESS/PREFIX, e.g. 10.96.0.0/12)");
        return -1;
}

int cfg_check_service_cidr(const char *v, char *why, size_t n)
{
        struct cfg_cidr c;
        if (cfg_cidr_parse(v, &c) < 0)
                return cfg_check_cidr(v, why, n);
        int bits = c.family == 4 ? 32 : 128, host = bits - c.prefix;
        /* kube-apiserver's and kubeadm's limit (MaximumBitsForServiceSubnet), and kubeadm's
         * MinimumAddressesInServiceSubnet (10): kubeadm init refuses either. */
        if (host > 20) {
                snprintf(why, n,
                         "is too large: a service range has at most 20 host bits (/%d or longer)",
                         bits - 20);
                return -1;
        }
        if (host < 4) {
                snprintf(why, n,
                         "is too small: kubeadm wants at least 10 addresses (/%d or shorter)",
                         bits - 4);
                return -1;
        }
        return 0;
}

int cfg_check_pod_cidr(const char *v, char *why, size_t n)
{
        struct cfg_cidr c;
        if (cfg_cidr_parse(v, &c) < 0)
                return cfg_check_cidr(v, why, n);
        /* kubeadm's ValidatePodSubnetNodeMask: the controller manager gives each node a /24
         * (/64 for IPv6) of the range, which may be at most 16 bits wider than that. */
        int node = c.family == 4 ? 24 : 64;
        if (c.prefix > node) {
                snprintf(why, n, "is too small: each node takes a /%d of it", node);
                return -1;
        }
        if (node - c.prefix > 16) {
                snprintf(why, n,
                         "is too large: kubeadm wants it at most 16 bits wider than the /%d each "
                         "node takes (/%d or longer)",
                         node, node - 16);
                return -1;
        }
        return 0;
}

static long port_number(const char *s, const char **end)
{
        long v = 0;
        const char *p = s;
        while (*p >= '0' && *p <= '9' && v <= 65535)
                v = v * 10 + (*p++ - '0');
        *end = p;
        return p == s ? -1 : v;
}

int cfg_check_port_spec(const char *v, char *why, size_t n)
{
        const char *end;
        long lo = port_number(v, &end), hi = lo;
        if (lo >= 0 && *end == '-')
                hi = port_number(end + 1, &end);
        if (lo >= 1 && hi <= 65535 && hi >= lo && *end == '\0')
                return 0;
        snprintf(why, n, "is not a port or port range in 1-65535 (\"22\", \"30000-32767\")");
        return -1;
}

int cfg_check_version(const char *v, char *why, size_t n)
{
        int parts = 0;
        for (const char *p = v;;) {
                const char *s = p;
                while (*p >= '0' && *p <= '9')
                        p++;
                if (p == s || p - s > 9)
                        break;
                parts++;
                if (*p == '\0' && parts == 3)
                        return 0;
                if (*p != '.' || parts == 3)
                        break;
                p++;
        }
        snprintf(why, n, "is not a version MAJOR.MINOR.PATCH (e.g. 1.37.2)");
        return -1;
}

int cfg_check_url(const char *v, char *why, size_t n)
{
        /* RFC 3986 has no place for spaces, quotes, '\\', '<>', '`', '{}', '|' or '^'. */
        int plain = v[strcspn(v, " \t\"'\\<>`{}|^")] == '\0';
        if (plain &&
            ((strncmp(v, "https://", 8) == 0 && v[8]) || (strncmp(v, "http://", 7) == 0 && v[7])))
                return 0;
        snprintf(why, n,
                 plain ? "is not an http:// or https:// URL"
                       : "is not a URL: it holds a space, quote, '\\', '<', '>', '`', "
                         "'{', '}', '|' or '^'");
        return -1;
}

int cfg_check_plugin_word(const char *v, char *why, size_t n)
{
        int ok = *v != '\0';
        for (const char *p = v; *p && ok; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (ok)
                return 0;
        snprintf(why, n, "is not a name (a-z, 0-9, '-', '_')");
        return -1;
}
