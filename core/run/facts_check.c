#include <stdio.h>
#include <string.h>

#include <pharos/names.h>

#include "run/facts_check.h"

/* os-release(5): ID and VERSION_ID are 0-9, a-z, '.', '_' and '-'; ID_LIKE a
 * space-separated list of IDs. Empty when the host has no os-release. */
static const char *os_release_word(const char *v, int list)
{
        for (const char *p = v; *p; p++)
                if (!pharos_is_lower_alnum(*p) && !strchr("._-", *p) && !(list && *p == ' '))
                        return list ? "is not a space-separated list of os-release IDs (0-9, "
                                      "a-z, '.', '_', '-')"
                                    : "is not an os-release value (0-9, a-z, '.', '_', '-')";
        return strlen(v) > 64 ? "is longer than 64 characters" : NULL;
}

/* uname -m, stat -f -c %T and a CapBnd mask: short, printable, no quotes or shell syntax. */
static const char *plain_word(const char *v, const char *extra)
{
        for (const char *p = v; *p; p++)
                if (!pharos_is_lower_alnum(*p) && !(*p >= 'A' && *p <= 'Z') && !strchr(extra, *p))
                        return "holds characters no such value has";
        return strlen(v) > 64 ? "is longer than 64 characters" : NULL;
}

int run_facts_check(char *const facts[FACT_COUNT], char *why, size_t n)
{
        static const char *const names[FACT_COUNT] = {
                [FACT_HOSTNAME] = "hostname",
                [FACT_OS_ID] = "os-release ID",
                [FACT_OS_ID_LIKE] = "os-release ID_LIKE",
                [FACT_OS_VERSION_ID] = "os-release VERSION_ID",
                [FACT_ARCH] = "architecture",
                [FACT_CGROUP_FS] = "cgroup file system",
                [FACT_CAP_BOUNDING] = "capability bounding set",
        };
        for (int f = 0; f < FACT_COUNT; f++) {
                const char *v = facts[f];
                const char *bad = NULL;
                char node_why[160], node[PHAROS_DNS1123_SUBDOMAIN_MAX + 1];
                if (!v)
                        continue;
                if (f == FACT_HOSTNAME) {
                        if (pharos_node_name_of_host(v, node, sizeof(node), node_why,
                                                     sizeof(node_why)) < 0)
                                bad = node_why;
                } else if (f == FACT_OS_ID || f == FACT_OS_VERSION_ID) {
                        bad = os_release_word(v, 0);
                } else if (f == FACT_OS_ID_LIKE) {
                        bad = os_release_word(v, 1);
                } else if (f == FACT_CGROUP_FS) {
                        /* stat names an unknown type "UNKNOWN (0x1234abcd)". */
                        bad = plain_word(v, "_-.() ");
                } else {
                        bad = plain_word(v, "_-.");
                }
                if (!bad)
                        continue;
                char shown[68];
                size_t k = 0;
                for (const char *p = v; *p && k < sizeof(shown) - 4; p++)
                        shown[k++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
                strcpy(shown + k, strlen(v) > k ? "..." : "");
                snprintf(why, n, "%s '%s' %s", names[f], shown, bad);
                return -1;
        }
        return 0;
}
