/*
 * Kubernetes object names, header-only so the core and every plugin apply
 * one rule. A Node is named after its host's hostname, which the host
 * reports: an untrusted value that ends up in API paths
 * (/api/v1/nodes/NAME), so it is checked before it is used anywhere.
 */
#ifndef PHAROS_NAMES_H
#define PHAROS_NAMES_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The longest DNS-1123 subdomain (a Node name), and the longest label in it. */
#define PHAROS_DNS1123_SUBDOMAIN_MAX 253
#define PHAROS_DNS1123_LABEL_MAX     63

static inline int pharos_is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* pharos_dns1123_subdomain_check on the first len bytes of name. */
static inline int pharos_dns1123_subdomain_check_len(const char *name, size_t len, char *why,
                                                     size_t n)
{
        const char *bad = NULL;
        if (len == 0)
                bad = "it is empty";
        else if (len > PHAROS_DNS1123_SUBDOMAIN_MAX)
                bad = "it is longer than 253 characters";
        for (size_t i = 0; !bad && i < len; i++)
                if (!pharos_is_lower_alnum(name[i]) && name[i] != '-' && name[i] != '.')
                        bad = "only a-z, 0-9, '-' and '.' are allowed";
        for (size_t i = 0, label = 0; !bad && i <= len; i++) {
                char c = i < len ? name[i] : '\0';
                if (c == '.' || c == '\0') {
                        if (label == 0 || name[i - 1] == '-')
                                bad = "a dot-separated part is empty or ends with '-'";
                        label = 0;
                        continue;
                }
                if (label == 0 && c == '-')
                        bad = "a dot-separated part starts with '-'";
                else if (++label > PHAROS_DNS1123_LABEL_MAX)
                        bad = "a dot-separated part is longer than 63 characters";
        }
        if (!bad)
                return 0;
        if (why && n)
                snprintf(why, n, "is not a valid Node name (RFC 1123 subdomain): %s", bad);
        return -1;
}

/*
 * 0 when name is a DNS-1123 subdomain (Kubernetes' IsDNS1123Subdomain, the
 * rule for Node names): at most 253 characters of dot-separated labels of
 * a-z, 0-9 and '-', each 1-63 long, starting and ending alphanumeric. Else -1
 * with the reason ("is not a valid Node name: ...") in why (n bytes).
 * NULL counts as empty.
 */
static inline int pharos_dns1123_subdomain_check(const char *name, char *why, size_t n)
{
        return pharos_dns1123_subdomain_check_len(name ? name : "", name ? strlen(name) : 0, why,
                                                  n);
}

/*
 * The Node name kubeadm gives a host: its hostname in lower case (kubeadm's
 * GetHostname lowers and trims it). Writes it to out (n bytes) and returns 0
 * when it is a valid Node name, else -1 with the reason in why.
 */
static inline int pharos_node_name_of_host(const char *hostname, char *out, size_t n, char *why,
                                           size_t why_n)
{
        if (!hostname)
                hostname = "";
        size_t len = strlen(hostname);
        if (len >= n) {
                if (why && why_n)
                        snprintf(why, why_n,
                                 "is not a valid Node name (RFC 1123 subdomain): it is longer "
                                 "than 253 characters");
                return -1;
        }
        for (size_t i = 0; i <= len; i++) {
                char c = hostname[i];
                out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        if (pharos_dns1123_subdomain_check_len(out, len, why, why_n) == 0)
                return 0;
        out[0] = '\0';
        return -1;
}

#endif
