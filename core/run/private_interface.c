#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config/private_address.h"
#include "run/private_interface.h"

int run_parse_ipv4(const char *ip_output, char *out, size_t n)
{
        for (const char *p = ip_output ? strstr(ip_output, " inet ") : NULL; p;
             p = strstr(p + 1, " inet ")) {
                const char *a = p + strlen(" inet ");
                size_t len = strcspn(a, "/ \n");
                char buf[INET_ADDRSTRLEN];
                struct in_addr ignored;
                if (len == 0 || len >= sizeof(buf) || len >= n)
                        continue;
                memcpy(buf, a, len);
                buf[len] = '\0';
                if (inet_pton(AF_INET, buf, &ignored) != 1)
                        continue;
                memcpy(out, buf, len + 1);
                return 0;
        }
        return -1;
}

int run_private_interface(struct run *r, struct run_host *h, struct pharos_error *err)
{
        const char *iface = h->cfg->private_interface;
        if (!iface || r->skip_private_interface)
                return 0;
        /* Validation keeps the name to [A-Za-z0-9._@-]: it cannot end the quotes. */
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "ip -o -4 addr show dev '%s' scope global", iface);
        struct tp_cmd c = {.cmd = cmd, .capture = 1};
        struct tp_result res = {0};
        int rc = tp_exec(h->tp, &c, &res, err);
        char addr[INET_ADDRSTRLEN];
        if (rc == 0 && res.status != 0)
                rc = perr_set(err, PERR_FAIL,
                              "%s: private_interface '%s': the host has no such interface "
                              "(`ip` exited %d: %.200s)",
                              h->cfg->address, iface, res.status, res.err ? res.err : "");
        else if (rc == 0 && run_parse_ipv4(res.out, addr, sizeof(addr)) < 0)
                rc = perr_set(err, PERR_FAIL,
                              "%s: private_interface '%s' has no IPv4 address to use as the "
                              "host's private address",
                              h->cfg->address, iface);
        else if (rc == 0 && cfg_learn_private_address(r->cfg, h->index, addr) < 0)
                rc = perr_set(err, PERR_NOMEM, "out of memory");
        tp_result_free(&res);
        return rc;
}
