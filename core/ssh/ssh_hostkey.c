#include <stdio.h>
#include <string.h>

#include "ssh/known_hosts.h"
#include "ssh/ssh_hostkey.h"
#include "util/log.h"

/* ed25519 first: the cheapest to verify, and what hosts generate by default. */
static const char *const algos[] = {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
        NULL,
};

static void add_algo(char *buf, size_t cap, const char *a)
{
        /* skip if listed */
        size_t al = strlen(a);
        for (const char *p = buf; (p = strstr(p, a)); p += al)
                if ((p == buf || p[-1] == ',') && (p[al] == ',' || p[al] == '\0'))
                        return;
        size_t n = strlen(buf);
        if (n + al + 2 <= cap)
                snprintf(buf + n, cap - n, "%s%s", n ? "," : "", a);
}

void hostkey_prefs(const char *kh_path, const char *host, int port, char *buf, size_t cap)
{
        char known[256];
        buf[0] = '\0';
        kh_known_types(kh_path, host, port, known, sizeof(known));
        for (const char *p = known; *p;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                char t[64];
                if (n < sizeof(t)) {
                        memcpy(t, p, n);
                        t[n] = '\0';
                        /* an RSA key can be used with any of the RSA signature algorithms */
                        if (strcmp(t, "ssh-rsa") == 0) {
                                add_algo(buf, cap, "rsa-sha2-512");
                                add_algo(buf, cap, "rsa-sha2-256");
                        }
                        for (int i = 0; algos[i]; i++)
                                if (strcmp(algos[i], t) == 0)
                                        add_algo(buf, cap, t);
                }
                p += n + (e ? 1 : 0);
        }
        for (int i = 0; algos[i]; i++)
                add_algo(buf, cap, algos[i]);
}

int hostkey_verify(LIBSSH2_SESSION *s, const char *kh_path, const char *host, int port,
                   int trust_hosts, struct pharos_error *err)
{
        size_t len = 0;
        int type = 0;
        const char *key = libssh2_session_hostkey(s, &len, &type);
        if (!key || len == 0)
                return perr_set(err, PERR_FAIL, "%s: the server sent no host key", host);
        const unsigned char *blob = (const unsigned char *)key;
        char fp[KH_FP_LEN];
        kh_fingerprint(blob, len, fp);
        struct kh_found found = {0};
        int st = kh_check(kh_path, host, port, blob, len, &found, err);
        if (st < 0)
                return st;
        if (st == KH_REVOKED)
                return perr_set(err, PERR_FAIL,
                                "%s: host key %s is revoked (@revoked in %s line %d); refusing to "
                                "connect, even with --trust-hosts",
                                host, fp, kh_path, found.line);
        if (st == KH_MATCH)
                return 0;
        if (st == KH_UNKNOWN) {
                if (kh_add(kh_path, host, port, blob, len, err) < 0)
                        return PERR_FAIL;
                log_msg(PHAROS_LOG_INFO, host, "host key %s recorded in %s", fp, kh_path);
                return 0;
        }
        if (trust_hosts) {
                if (kh_replace(kh_path, host, port, blob, len, err) < 0)
                        return PERR_FAIL;
                log_msg(PHAROS_LOG_WARN, host, "host key changed from %s to %s: replaced in %s",
                        found.fingerprint, fp, kh_path);
                return 0;
        }
        char kind[64] = "";
        kh_key_type(blob, len, kind, sizeof(kind));
        if (st == KH_OTHER_TYPE)
                return perr_set(err, PERR_FAIL,
                                "%s: host key changed: %s line %d has a %s key %s, the host now "
                                "presents only a %s key %s (possible man-in-the-middle; if the "
                                "change is expected, re-run with --trust-hosts)",
                                host, kh_path, found.line, found.type, found.fingerprint, kind, fp);
        return perr_set(err, PERR_FAIL,
                        "%s: host key changed: %s line %d has %s, the host now presents %s "
                        "(possible man-in-the-middle; if the change is expected, re-run with "
                        "--trust-hosts)",
                        host, kh_path, found.line, found.fingerprint, fp);
}
