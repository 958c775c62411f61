/* Pure text builders shared by the runtime plugins (unit-tested). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc.h"

void rtc_buf_init(struct rtc_buf *b)
{
        b->s = NULL;
        b->len = b->cap = 0;
        b->ok = 1;
}

void rtc_buf_free(struct rtc_buf *b)
{
        free(b->s);
        rtc_buf_init(b);
}

static int grow(struct rtc_buf *b, size_t more)
{
        if (!b->ok)
                return -1;
        if (b->len + more + 1 <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + more + 1)
                cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
                b->ok = 0;
                return -1;
        }
        b->s = s;
        b->cap = cap;
        return 0;
}

void rtc_buf_printf(struct rtc_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || grow(b, (size_t)n) < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void rtc_buf_quoted(struct rtc_buf *b, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        rtc_buf_printf(b, "\\%c", c);
                else if (c < 0x20)
                        rtc_buf_printf(b, "\\u%04x", c);
                else
                        rtc_buf_printf(b, "%c", c);
        }
}

static int host_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == ':' || c == '_';
}

int rtc_registry_parse(const char *spec, struct rtc_registry *out, char *why, size_t n)
{
        memset(out, 0, sizeof(*out));
        const char *p = spec;
        if (!strncmp(p, "http://", 7)) {
                strcpy(out->scheme, "http");
                p += 7;
        } else if (!strncmp(p, "https://", 8)) {
                strcpy(out->scheme, "https");
                p += 8;
        }
        size_t len = strlen(p);
        while (len && p[len - 1] == '/')
                len--;
        if (len == 0 || len >= sizeof(out->host)) {
                snprintf(why, n, "'%s' is not a registry (host[:port])", spec);
                return -1;
        }
        const char *slash = memchr(p, '/', len);
        /* A network in CIDR notation: digits and dots, then /bits. */
        if (slash && !out->scheme[0]) {
                int cidr = slash > p && strspn(p, "0123456789.") == (size_t)(slash - p) &&
                           strspn(slash + 1, "0123456789") == len - (size_t)(slash - p) - 1 &&
                           len - (size_t)(slash - p) - 1 > 0;
                if (cidr) {
                        memcpy(out->host, p, len);
                        out->is_cidr = 1;
                        return 0;
                }
        }
        for (size_t i = 0; i < len; i++) {
                if (!host_char(p[i])) {
                        snprintf(why, n, "'%s' is not a registry (host[:port])", spec);
                        return -1;
                }
        }
        if (p[0] == '.' || p[0] == '-' || strstr(p, "..")) {
                snprintf(why, n, "'%s' is not a registry (host[:port])", spec);
                return -1;
        }
        memcpy(out->host, p, len);
        return 0;
}

/* One Environment= line, escaped for systemd's quoting and specifiers. */
static void env_line(struct rtc_buf *b, const char *name, const char *value)
{
        if (!value || !*value)
                return;
        rtc_buf_printf(b, "Environment=\"%s=", name);
        for (const char *p = value; *p; p++) {
                if (*p == '"' || *p == '\\')
                        rtc_buf_printf(b, "\\%c", *p);
                else if (*p == '%')
                        rtc_buf_printf(b, "%%%%");
                else if (*p != '\n' && *p != '\r')
                        rtc_buf_printf(b, "%c", *p);
        }
        rtc_buf_printf(b, "\"\n");
}

void rtc_render_proxy_dropin(struct rtc_buf *b, const char *http_proxy, const char *https_proxy,
                             const char *no_proxy)
{
        if ((!http_proxy || !*http_proxy) && (!https_proxy || !*https_proxy) &&
            (!no_proxy || !*no_proxy))
                return;
        rtc_buf_printf(b, "# Written by pharos from the host's environment in cluster.yml.\n"
                          "[Service]\n");
        env_line(b, "HTTP_PROXY", http_proxy);
        env_line(b, "HTTPS_PROXY", https_proxy);
        env_line(b, "NO_PROXY", no_proxy);
}

void rtc_pause_image(const char *repo, const char *kube_version, char *out, size_t n)
{
        /* kubeadm's PauseVersion per minor (cmd/kubeadm/app/constants/constants.go of
         * v1.30.14, v1.31.14, v1.33.6, v1.34.2, v1.35.4, v1.36.3, v1.37.2). */
        int major = 1, minor = 37;
        if (kube_version)
                sscanf(kube_version[0] == 'v' ? kube_version + 1 : kube_version, "%d.%d", &major,
                       &minor);
        const char *tag = minor >= 36   ? "3.10.2"
                          : minor >= 34 ? "3.10.1"
                          : minor >= 31 ? "3.10"
                                        : "3.9";
        snprintf(out, n, "%s/pause:%s", repo && *repo ? repo : "registry.k8s.io", tag);
}
