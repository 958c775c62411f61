/*
 * Value formats for what cluster.yml hands to other formats: every string
 * reaches a unit file, a config file, an API path or a command line, so
 * each is held to the form its destination can carry without escaping
 * tricks, and the text rule keeps line breaks out of all of them.
 */
#include <stdio.h>
#include <string.h>

#include <pharos/names.h>

#include "config/checks.h"
#include "config/schema.h"

static int is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Characters in s outside alnum and extra; 0 when there are none. */
static int only(const char *s, const char *extra)
{
        for (; *s; s++)
                if (!is_alnum(*s) && !strchr(extra, *s))
                        return 0;
        return 1;
}

int cfg_check_text(const char *v, char *why, size_t n)
{
        size_t len = strlen(v);
        if (len > CFG_MAX_TEXT) {
                snprintf(why, n, "is longer than %d bytes", CFG_MAX_TEXT);
                return -1;
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)v[i], d = (unsigned char)v[i + 1];
                const char *what = NULL;
                if (c == '\n' || c == '\r')
                        what = "a line break";
                /* C0, DEL and U+0080-U+009F (C1 controls, NEL among them). */
                else if (c < 0x20 || c == 0x7f || (c == 0xc2 && d >= 0x80 && d <= 0x9f))
                        what = "a control character";
                else if (c == 0xe2 && d == 0x80 && (v[i + 2] == '\xa8' || v[i + 2] == '\xa9'))
                        what = "a Unicode line separator";
                if (what) {
                        snprintf(why, n,
                                 "holds %s (at byte %zu), which no file it goes to can carry", what,
                                 i + 1);
                        return -1;
                }
        }
        return 0;
}

int cfg_check_user(const char *v, char *why, size_t n)
{
        /* POSIX portable user names, as useradd and OpenSSH's valid_ruser accept them. */
        if (*v && *v != '-' && strlen(v) <= 32 && only(v, "._-"))
                return 0;
        snprintf(why, n,
                 "is not a user name (a-z, A-Z, 0-9, '.', '_', '-'; at most 32; no "
                 "leading '-')");
        return -1;
}

int cfg_check_interface(const char *v, char *why, size_t n)
{
        /* The kernel's dev_valid_name: at most 15 bytes, no '/', ':' or space. */
        if (*v && strlen(v) <= 15 && strcmp(v, ".") != 0 && strcmp(v, "..") != 0 && only(v, "._-@"))
                return 0;
        snprintf(why, n,
                 "is not a network interface name (at most 15 of a-z, A-Z, 0-9, '.', "
                 "'_', '-', '@')");
        return -1;
}

int cfg_check_file_name(const char *v, char *why, size_t n)
{
        if (*v && *v != '.' && *v != '-' && strlen(v) <= 64 && only(v, "._-"))
                return 0;
        snprintf(why, n,
                 "is not a file name (at most 64 of a-z, A-Z, 0-9, '.', '_', '-'; not "
                 "starting with '.' or '-')");
        return -1;
}

int cfg_check_abs_path(const char *v, char *why, size_t n)
{
        size_t len = strlen(v);
        int dotdot = strstr(v, "/../") || (len >= 3 && !strcmp(v + len - 3, "/.."));
        if (*v == '/' && !dotdot && only(v, "/._-+@"))
                return 0;
        snprintf(why, n,
                 "is not an absolute path (/ and a-z, A-Z, 0-9, '.', '_', '-', '+', '@'; "
                 "no '..')");
        return -1;
}

int cfg_check_env_name(const char *v, char *why, size_t n)
{
        if ((*v < '0' || *v > '9') && *v && only(v, "_"))
                return 0;
        snprintf(why, n, "is not a variable name (A-Z, a-z, 0-9, '_'; not starting with a digit)");
        return -1;
}

int cfg_check_env_value(const char *v, char *why, size_t n)
{
        /* /etc/environment (pam_env) has no escapes: a quote or backslash cannot be carried. */
        if (!strpbrk(v, "\"\\"))
                return 0;
        snprintf(why, n, "holds a quote or backslash, which /etc/environment cannot carry");
        return -1;
}

/* A label or taint key: [DNS-1123 subdomain '/'] name, the name as in label_value. */
static int label_name(const char *v, size_t len)
{
        if (len == 0 || len > 63 || !is_alnum(v[0]) || !is_alnum(v[len - 1]))
                return 0;
        for (size_t i = 0; i < len; i++)
                if (!is_alnum(v[i]) && !strchr("-_.", v[i]))
                        return 0;
        return 1;
}

int cfg_check_label_key(const char *v, char *why, size_t n)
{
        const char *slash = strchr(v, '/');
        const char *name = slash ? slash + 1 : v;
        int ok = label_name(name, strlen(name));
        if (ok && slash) {
                char prefix[PHAROS_DNS1123_SUBDOMAIN_MAX + 1];
                size_t plen = (size_t)(slash - v);
                ok = plen < sizeof(prefix);
                if (ok) {
                        memcpy(prefix, v, plen);
                        prefix[plen] = '\0';
                        ok = pharos_dns1123_subdomain_check(prefix, NULL, 0) == 0;
                }
        }
        if (ok)
                return 0;
        snprintf(why, n,
                 "is not a Kubernetes label key ([DNS subdomain/]name; the name at most "
                 "63 of a-z, A-Z, 0-9, '-', '_', '.', alphanumeric at both ends)");
        return -1;
}

int cfg_check_label_value(const char *v, char *why, size_t n)
{
        if (!*v || label_name(v, strlen(v)))
                return 0;
        snprintf(why, n,
                 "is not a Kubernetes label value (empty, or at most 63 of a-z, A-Z, "
                 "0-9, '-', '_', '.', alphanumeric at both ends)");
        return -1;
}

int cfg_check_dns_subdomain(const char *v, char *why, size_t n)
{
        if (pharos_dns1123_subdomain_check(v, NULL, 0) == 0)
                return 0;
        snprintf(why, n,
                 "is not a Kubernetes object name (RFC 1123 subdomain: a-z, 0-9, '-', "
                 "'.')");
        return -1;
}

int cfg_check_dns_label(const char *v, char *why, size_t n)
{
        if (!strchr(v, '.') && pharos_dns1123_subdomain_check(v, NULL, 0) == 0)
                return 0;
        snprintf(why, n,
                 "is not a namespace name (RFC 1123 label: at most 63 of a-z, 0-9, '-', "
                 "alphanumeric at both ends)");
        return -1;
}

/* digits, then stop: the length of a run of 1 to 3 digits at s, else 0. */
static size_t number(const char *s, char stop)
{
        size_t i = strspn(s, "0123456789");
        return i >= 1 && i <= 3 && s[i] == stop ? i : 0;
}

int cfg_check_psa_version(const char *v, char *why, size_t n)
{
        size_t major = v[0] == 'v' ? number(v + 1, '.') : 0;
        if (strcmp(v, "latest") == 0 || (major && number(v + 2 + major, '\0')))
                return 0;
        snprintf(why, n,
                 "is not a Pod Security Standards version ('latest' or vMAJOR.MINOR, e.g. "
                 "v1.35)");
        return -1;
}

/* The distribution/reference grammar: domain-component = [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?. */
static int domain_component(const char *s, size_t len)
{
        if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
                return 0;
        for (size_t i = 0; i < len; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return 0;
        return 1;
}

/* path-component = [a-z0-9]+ (separator [a-z0-9]+)*, separator = [_.] | "__" | "-"+. */
static int path_component(const char *s, size_t len)
{
        size_t i = 0;
        while (i < len) {
                size_t run = 0;
                while (i < len && pharos_is_lower_alnum(s[i]))
                        i++, run++;
                if (run == 0)
                        return 0;
                if (i == len)
                        return 1;
                if (s[i] == '.' || (s[i] == '_' && (i + 1 >= len || s[i + 1] != '_')))
                        i++;
                else if (s[i] == '_')
                        i += 2;
                else if (s[i] == '-')
                        while (i < len && s[i] == '-')
                                i++;
                else
                        return 0;
        }
        return 0;
}

/* domain = domain-component ('.' domain-component)* (':' port)?. */
static int registry_domain(const char *s, size_t len)
{
        const char *colon = memchr(s, ':', len);
        size_t host = colon ? (size_t)(colon - s) : len;
        if (colon) {
                size_t plen = len - host - 1;
                if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") < plen)
                        return 0;
                long port = 0;
                for (size_t i = 0; i < plen; i++)
                        port = port * 10 + (colon[1 + i] - '0');
                if (port < 1 || port > 65535)
                        return 0;
        }
        for (size_t i = 0, start = 0; i <= host; i++)
                if (i == host || s[i] == '.') {
                        if (!domain_component(s + start, i - start))
                                return 0;
                        start = i + 1;
                }
        return 1;
}

int cfg_check_image_repository(const char *v, char *why, size_t n)
{
        size_t len = strlen(v);
        int ok = len > 0 && len <= 255;
        for (size_t i = 0, start = 0, k = 0; ok && i <= len; i++) {
                if (i < len && v[i] != '/')
                        continue;
                /* The first component is a registry when it looks like one (as docker decides). */
                size_t clen = i - start;
                const char *c = v + start;
                int domain = k == 0 && i < len &&
                             (memchr(c, '.', clen) || memchr(c, ':', clen) ||
                              (clen == 9 && !memcmp(c, "localhost", 9)));
                ok = domain ? registry_domain(c, clen) : path_component(c, clen);
                start = i + 1;
                k++;
        }
        if (ok)
                return 0;
        snprintf(why, n,
                 "is not an image repository (REGISTRY[:PORT]/PATH, the path in lower "
                 "case: a-z, 0-9 and single '.', '_', '__' or '-' between them)");
        return -1;
}

int cfg_check_registry(const char *v, char *why, size_t n)
{
        const char *p = v;
        if (!strncmp(p, "http://", 7))
                p += 7;
        else if (!strncmp(p, "https://", 8))
                p += 8;
        size_t len = strlen(p);
        while (len && p[len - 1] == '/')
                len--;
        struct cfg_cidr c;
        if ((p == v && cfg_cidr_parse(v, &c) == 0) || registry_domain(p, len))
                return 0;
        snprintf(why, n,
                 "is not a registry (HOST[:PORT], optionally with http:// or https://, "
                 "or a network in CIDR notation)");
        return -1;
}

int cfg_check_flag_arg(const char *v, char *why, size_t n)
{
        /* "--name=value": the name as kubelet flags are, the value is text. */
        const char *p = v + strspn(v, "-");
        size_t name = strcspn(p, "=");
        if (p - v >= 1 && p - v <= 2 && name > 0 && is_alnum(*p)) {
                char flag[128];
                if (name < sizeof(flag)) {
                        memcpy(flag, p, name);
                        flag[name] = '\0';
                        if (only(flag, "-_.:"))
                                return 0;
                }
        }
        snprintf(why, n,
                 "is not a command-line flag (--name or --name=value, the name of a-z, "
                 "A-Z, 0-9, '-', '_', '.', ':')");
        return -1;
}

int cfg_check_key_word(const char *v, char *why, size_t n)
{
        if (*v && strlen(v) <= 128 && only(v, "-_.:/"))
                return 0;
        snprintf(why, n, "is not a name (a-z, A-Z, 0-9, '-', '_', '.', ':', '/')");
        return -1;
}

int cfg_check_san(const char *v, char *why, size_t n)
{
        /* kubeadm's ValidateCertSANs: an IP, a DNS name or a wildcard DNS name. */
        const char *name = strncmp(v, "*.", 2) == 0 ? v + 2 : v;
        char ignored[128];
        if (cfg_check_host_address(name, ignored, sizeof(ignored)) == 0)
                return 0;
        snprintf(why, n,
                 "is not an IP address, a DNS name or a wildcard DNS name (*.NAME; a-z, "
                 "0-9, '-', '.')");
        return -1;
}
