#include <stdio.h>
#include <string.h>

#include <pharos/names.h>

#include "kube/kube_path.h"

int kube_path_node(char *out, size_t n, const char *node, const char *suffix,
                   struct pharos_error *err)
{
        char why[160];
        if (pharos_dns1123_subdomain_check(node, why, sizeof(why)) < 0) {
                /* The name is shown, but not a terminal escape or line break in it. */
                char shown[68];
                size_t k = 0;
                for (const char *p = node ? node : ""; *p && k < sizeof(shown) - 4; p++)
                        shown[k++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
                strcpy(shown + k, node && strlen(node) > k ? "..." : "");
                return perr_set(err, PERR_USAGE, "node '%s' %s", shown, why);
        }
        int w = snprintf(out, n, "/api/v1/nodes/%s%s", node, suffix ? suffix : "");
        if (w < 0 || (size_t)w >= n)
                return perr_set(err, PERR_FAIL, "node %s: API path too long", node);
        return 0;
}

int kube_path_escape(const char *seg, char *out, size_t n)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t k = 0;
        if (n == 0)
                return -1;
        for (const unsigned char *p = (const unsigned char *)seg; *p; p++) {
                int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || strchr("-._~", *p);
                if (k + (plain ? 1 : 3) >= n) {
                        out[k] = '\0';
                        return -1;
                }
                if (plain) {
                        out[k++] = (char)*p;
                } else {
                        out[k++] = '%';
                        out[k++] = hex[*p >> 4];
                        out[k++] = hex[*p & 15];
                }
        }
        out[k] = '\0';
        return 0;
}
