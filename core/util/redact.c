#include "util/redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct out {
        char *p;
        size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
        size_t room = o->cap - 1 - o->len;
        if (n > room)
                n = room;
        memcpy(o->p + o->len, s, n);
        o->len += n;
}

static int b64_char(char c)
{
        return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=';
}

/* Length of a PEM private key at s, through its END line (or the end of the
 * text when that was cut off); 0 when s starts no such block. */
static size_t pem_key(const char *s)
{
        if (strncmp(s, "-----BEGIN ", 11) != 0)
                return 0;
        const char *label_end = strstr(s + 11, "-----");
        if (!label_end || label_end - (s + 11) < 11 || memchr(s, '\n', (size_t)(label_end - s)) ||
            memcmp(label_end - 11, "PRIVATE KEY", 11) != 0)
                return 0;
        const char *end = strstr(label_end + 5, "-----END ");
        const char *close = end ? strstr(end + 9, "-----") : NULL;
        return close ? (size_t)(close + 5 - s) : strlen(s);
}

/* A kubeadm bootstrap token, [a-z0-9]{6}.[a-z0-9]{16}, as a whole word: its length or 0. */
static size_t bootstrap_token(const char *s)
{
        for (int i = 0; i < 23; i++) {
                char c = s[i];
                if (i == 6 ? c != '.' : !(islower((unsigned char)c) || isdigit((unsigned char)c)))
                        return 0;
        }
        return isalnum((unsigned char)s[23]) ? 0 : 23;
}

/* A long run of base64 (or hex) that looks random, as key material and
 * encryption keys do: 40 characters or more with a digit, and an upper-case
 * letter or nothing but hex digits (paths and names have neither). */
static size_t random_run(const char *s)
{
        size_t n = 0;
        int digit = 0, upper = 0, hex = 1;
        for (; b64_char(s[n]); n++) {
                digit |= isdigit((unsigned char)s[n]) != 0;
                upper |= isupper((unsigned char)s[n]) != 0;
                hex &= isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]);
        }
        return n >= 40 && digit && (upper || hex) ? n : 0;
}

/* Digests (host key fingerprints, the CA hash of a join command) and SSH public
 * keys (wire format, so "AAAA") look random and are no secrets: they are shown. */
static int public_run(const char *in, const char *s)
{
        static const char *const tags[] = {"sha1:", "sha256:", "sha384:", "sha512:", "md5:"};
        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
                size_t n = strlen(tags[i]);
                if ((size_t)(s - in) >= n && strncasecmp(s - n, tags[i], n) == 0)
                        return 1;
        }
        return strncmp(s, "AAAA", 4) == 0;
}

/* After "://": the length of "user:" when a password follows up to '@', else 0;
 * *pw_len gets the password's length. */
static size_t url_user(const char *s, size_t *pw_len)
{
        const char *colon = NULL;
        for (const char *p = s; *p && !strchr("/?#@ \t\r\n\"'<>", *p); p++)
                if (*p == ':' && !colon)
                        colon = p;
        const char *at = s + strcspn(s, "/?#@ \t\r\n\"'<>");
        if (*at != '@' || !colon || colon + 1 == at)
                return 0;
        *pw_len = (size_t)(at - colon - 1);
        return (size_t)(colon + 1 - s);
}

/* Names whose value is a secret, as a key ("token: V", "\"token\": \"V\"",
 * "password=V") or as a flag ("--token V"). */
static const char *const secret_keys[] = {"certificate-key", "certificatekey", "certificate_key",
                                          "client-key-data", "token",          "secret",
                                          "password",        "passwd"};

/* When s starts such a key (after a non-word character), the length up to its
 * value, and the value's length in *val_len; 0 otherwise. */
static size_t keyed_value(const char *s, int after_word, size_t *val_len)
{
        if (after_word)
                return 0;
        int flag = s[0] == '-' && s[1] == '-';
        const char *k = flag ? s + 2 : s;
        for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
                size_t n = strlen(secret_keys[i]);
                if (strncasecmp(k, secret_keys[i], n) != 0)
                        continue;
                const char *p = k + n;
                if (*p == '"' || *p == '\'')
                        p++;
                if (*p == ':' || *p == '=')
                        p++;
                else if (!(flag && *p == ' '))
                        continue;
                while (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'')
                        p++;
                size_t v = strcspn(p, " \t\r\n\"'`,;)]}");
                /* Short values are words of a message ("password: cannot read"), not secrets. */
                if (v < 8)
                        continue;
                *val_len = v;
                return (size_t)(p - s);
        }
        return 0;
}

size_t redact_copy(const char *in, char *out, size_t cap)
{
        struct out o = {out, 0, cap};
        const char *s = in;
        int after_word = 0;
        while (*s && o.len < cap - 1) {
                size_t n, v = 0;
                if ((n = pem_key(s))) {
                        static const char mask[] = "-----BEGIN PRIVATE KEY----- " REDACTED;
                        put(&o, mask, sizeof(mask) - 1);
                        s += n;
                } else if (!after_word && ((n = bootstrap_token(s)) ||
                                           (!public_run(in, s) && (n = random_run(s))))) {
                        put(&o, REDACTED, strlen(REDACTED));
                        s += n;
                } else if (!strncmp(s, "://", 3) && (n = url_user(s + 3, &v))) {
                        put(&o, s, 3 + n);
                        put(&o, REDACTED, strlen(REDACTED));
                        s += 3 + n + v;
                } else if ((n = keyed_value(s, after_word, &v))) {
                        put(&o, s, n);
                        put(&o, REDACTED, strlen(REDACTED));
                        s += n + v;
                } else {
                        after_word = b64_char(*s) || *s == '-' || *s == '_' || *s == '.';
                        put(&o, s, 1);
                        s++;
                        continue;
                }
                after_word = 1;
        }
        out[o.len] = '\0';
        return o.len;
}

void redact_str(char *s, size_t cap)
{
        char stack[4096];
        char *copy = cap <= sizeof(stack) ? stack : malloc(cap);
        if (!copy) {
                /* Better nothing than a secret. */
                if (cap)
                        s[0] = '\0';
                return;
        }
        size_t len = strnlen(s, cap - 1);
        memcpy(copy, s, len);
        copy[len] = '\0';
        redact_copy(copy, s, cap);
        memset(copy, 0, len);
        if (copy != stack)
                free(copy);
}
