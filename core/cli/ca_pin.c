#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "cli/ca_pin.h"

#define FLAG "--discovery-token-ca-cert-hash"

/* kubeadm's pubkeypin.Set.Allow: "sha256:" (any case) and 64 hex digits. */
static int add_pin(struct ca_pins *p, const char *v, size_t n, struct pharos_error *err)
{
        int ok = n == 7 + 64 && strncasecmp(v, "sha256:", 7) == 0;
        for (size_t i = 7; ok && i < n; i++)
                ok = isxdigit((unsigned char)v[i]) != 0;
        if (!ok)
                return perr_set(err, PERR_USAGE,
                                "JOIN_COMMAND: " FLAG " '%.*s' is not sha256:<64 hex digits>",
                                (int)(n < 100 ? n : 100), v);
        if (p->n >= CA_PIN_MAX)
                return perr_set(err, PERR_USAGE, "JOIN_COMMAND: more than %d " FLAG " values",
                                CA_PIN_MAX);
        for (size_t i = 0; i < n; i++)
                p->pin[p->n][i] = (char)tolower((unsigned char)v[i]);
        p->pin[p->n][n] = '\0';
        p->n++;
        return 0;
}

int ca_pins_parse(const char *join, struct ca_pins *p, struct pharos_error *err)
{
        memset(p, 0, sizeof(*p));
        size_t flen = strlen(FLAG);
        int want_value = 0;
        for (const char *s = join; *s;) {
                s += strspn(s, " \t\r\n\\");
                size_t n = strcspn(s, " \t\r\n");
                if (n == 0)
                        break;
                int rc = 0;
                if (want_value)
                        rc = add_pin(p, s, n, err);
                else if (n > flen && strncmp(s, FLAG "=", flen + 1) == 0)
                        rc = add_pin(p, s + flen + 1, n - flen - 1, err);
                if (rc < 0)
                        return rc;
                want_value = !want_value && n == flen && strncmp(s, FLAG, n) == 0;
                s += n;
        }
        if (p->n == 0)
                return perr_set(err, PERR_USAGE, "JOIN_COMMAND has no " FLAG " value");
        return 0;
}

static void pin_of(X509 *x, char out[CA_PIN_LEN])
{
        unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
        int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
        out[0] = '\0';
        if (n <= 0)
                return;
        SHA256(der, (size_t)n, md);
        OPENSSL_free(der);
        int used = snprintf(out, CA_PIN_LEN, "sha256:");
        for (size_t i = 0; i < sizeof(md); i++)
                used += snprintf(out + used, CA_PIN_LEN - (size_t)used, "%02x", md[i]);
}

char *ca_pins_select(const char *pem, size_t len, const struct ca_pins *p, char *seen, size_t cap)
{
        BIO *in = BIO_new_mem_buf(pem, (int)len);
        BIO *out = BIO_new(BIO_s_mem());
        int kept = 0;
        seen[0] = '\0';
        X509 *x;
        while (in && out && (x = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
                char pin[CA_PIN_LEN];
                pin_of(x, pin);
                int pinned = 0;
                for (size_t i = 0; pin[0] && i < p->n; i++)
                        pinned |= strcmp(pin, p->pin[i]) == 0;
                if (pinned && PEM_write_bio_X509(out, x))
                        kept++;
                size_t used = strlen(seen);
                if (pin[0] && used + strlen(pin) + 3 < cap)
                        snprintf(seen + used, cap - used, "%s%s", used ? ", " : "", pin);
                X509_free(x);
        }
        char *res = NULL;
        char *data = NULL;
        long n = out ? BIO_get_mem_data(out, &data) : 0;
        if (kept && n > 0 && (res = malloc((size_t)n + 1))) {
                memcpy(res, data, (size_t)n);
                res[n] = '\0';
        }
        BIO_free(out);
        BIO_free(in);
        return res;
}
