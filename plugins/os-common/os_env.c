/* /etc/environment lines and the proxy variables handed to host scripts. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "os_family.h"

int os_env_line(const char *key, const char *value, char *buf, size_t n, char *why, size_t why_n)
{
        static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
        size_t klen = key ? strlen(key) : 0;
        if (klen == 0 || !strchr(first, key[0]) ||
            strspn(key, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") !=
                    klen) {
                snprintf(why, why_n, "environment: '%s' is not a variable name", key ? key : "");
                return -1;
        }
        if (!value)
                value = "";
        if (strpbrk(value, "\"\\\n\r")) {
                snprintf(why, why_n,
                         "environment: the value of %s holds a quote, backslash or line break, "
                         "which /etc/environment cannot carry",
                         key);
                return -1;
        }
        int w = snprintf(buf, n, "%s=\"%s\"", key, value);
        if (w < 0 || (size_t)w >= n) {
                snprintf(why, why_n, "environment: the value of %s is too long", key);
                return -1;
        }
        return 0;
}

int os_is_proxy_var(const char *key)
{
        static const char *const names[] = {"http_proxy", "https_proxy", "ftp_proxy", "no_proxy",
                                            "all_proxy"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcasecmp(key, names[i]) == 0)
                        return 1;
        return 0;
}

void os_collect_lines(const char *out, const char *prefix, char *buf, size_t n)
{
        size_t plen = strlen(prefix);
        size_t used = strlen(buf);
        for (const char *p = out; p && *p;) {
                size_t len = strcspn(p, "\n");
                if (len > plen && strncmp(p, prefix, plen) == 0 && used + 1 < n) {
                        int w = snprintf(buf + used, n - used, "%s%.*s", used ? "; " : "",
                                         (int)(len - plen), p + plen);
                        if (w > 0)
                                used = used + (size_t)w < n ? used + (size_t)w : n - 1;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
}
