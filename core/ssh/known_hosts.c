#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "ssh/known_hosts.h"

static pthread_mutex_t kh_lock = PTHREAD_MUTEX_INITIALIZER;

/* Decodes base64 into a malloc'd buffer. Returns NULL on bad input. */
static unsigned char *b64_decode(const char *s, size_t slen, size_t *out_len)
{
        if (slen == 0 || slen % 4 != 0)
                return NULL;
        unsigned char *out = malloc(slen / 4 * 3 + 1);
        if (!out)
                return NULL;
        int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)slen);
        if (n < 0) {
                free(out);
                return NULL;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes. */
        if (s[slen - 1] == '=')
                n--;
        if (s[slen - 2] == '=')
                n--;
        *out_len = (size_t)n;
        return out;
}

static void b64_encode(const unsigned char *in, size_t len, char *out, size_t cap)
{
        if (cap < (len + 2) / 3 * 4 + 1) {
                out[0] = '\0';
                return;
        }
        EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

void kh_fingerprint(const unsigned char *blob, size_t len, char out[KH_FP_LEN])
{
        unsigned char md[SHA256_DIGEST_LENGTH];
        char b64[48];
        SHA256(blob, len, md);
        b64_encode(md, sizeof(md), b64, sizeof(b64));
        size_t n = strlen(b64);
        while (n > 0 && b64[n - 1] == '=')
                b64[--n] = '\0';
        snprintf(out, KH_FP_LEN, "SHA256:%s", b64);
}

int kh_key_type(const unsigned char *blob, size_t len, char *type, size_t cap)
{
        if (len < 4)
                return -1;
        size_t n = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3];
        if (n == 0 || n + 4 > len || n >= cap)
                return -1;
        memcpy(type, blob + 4, n);
        type[n] = '\0';
        return 0;
}

/* The name OpenSSH looks up: "host" on port 22, "[host]:port" otherwise. */
static void host_name(const char *host, int port, char *out, size_t cap)
{
        if (port == 22 || port <= 0)
                snprintf(out, cap, "%s", host);
        else
                snprintf(out, cap, "[%s]:%d", host, port);
}

static int hashed_match(const char *pat, const char *name)
{
        /* |1|base64(salt)|base64(HMAC-SHA1(salt, name)) */
        const char *salt = pat + 3;
        const char *bar = strchr(salt, '|');
        if (!bar)
                return 0;
        size_t salt_len = 0, hash_len = 0;
        unsigned char *s = b64_decode(salt, (size_t)(bar - salt), &salt_len);
        unsigned char *h = b64_decode(bar + 1, strlen(bar + 1), &hash_len);
        int ok = 0;
        if (s && h && hash_len == SHA_DIGEST_LENGTH) {
                unsigned char md[EVP_MAX_MD_SIZE];
                unsigned int md_len = 0;
                HMAC(EVP_sha1(), s, (int)salt_len, (const unsigned char *)name, strlen(name), md,
                     &md_len);
                ok = md_len == SHA_DIGEST_LENGTH && memcmp(md, h, md_len) == 0;
        }
        free(s);
        free(h);
        return ok;
}

/* OpenSSH's wildcards: only '*' and '?' ("[host]:port" brackets are literal). */
static int glob_match(const char *p, const char *s)
{
        for (; *p; p++, s++) {
                if (*p == '*') {
                        for (;; s++) {
                                if (glob_match(p + 1, s))
                                        return 1;
                                if (!*s)
                                        return 0;
                        }
                }
                if (!*s || (*p != '?' && *p != *s))
                        return 0;
        }
        return *s == '\0';
}

/* OpenSSH's rules for the first field: any positive pattern matches and no
 * negated one does. */
static int hosts_field_matches(const char *field, const char *name)
{
        if (strncmp(field, "|1|", 3) == 0)
                return hashed_match(field, name);
        char lname[512];
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof(lname); i++)
                lname[i] = (char)tolower((unsigned char)name[i]);
        lname[i] = '\0';
        int matched = 0;
        const char *p = field;
        while (*p) {
                const char *end = strchr(p, ',');
                size_t n = end ? (size_t)(end - p) : strlen(p);
                char pat[512];
                if (n < sizeof(pat)) {
                        memcpy(pat, p, n);
                        pat[n] = '\0';
                        for (char *c = pat; *c; c++)
                                *c = (char)tolower((unsigned char)*c);
                        int neg = pat[0] == '!';
                        if (glob_match(pat + neg, lname)) {
                                if (neg)
                                        return 0;
                                matched = 1;
                        }
                }
                if (!end)
                        break;
                p = end + 1;
        }
        return matched;
}

/* One parsed line; the fields point into the caller's copy of the line. */
struct kh_line {
        char *hosts;
        char *type;
        char *key_b64;
};

/* Returns 0 for a host line, KH_LINE_REVOKED for an @revoked one, <0 for
 * anything else (comments, @cert-authority: libssh2 can't check host
 * certificates, so such lines never vouch for a key). */
#define KH_LINE_REVOKED 1
static int parse_line(char *line, struct kh_line *l)
{
        char *save = NULL;
        int kind = 0;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
                p++;
        if (strncmp(p, "@revoked", 8) == 0 && (p[8] == ' ' || p[8] == '\t')) {
                kind = KH_LINE_REVOKED;
                p += 8;
        }
        if (*p == '\0' || *p == '#' || *p == '@')
                return -1;
        l->hosts = strtok_r(p, " \t", &save);
        l->type = strtok_r(NULL, " \t", &save);
        l->key_b64 = strtok_r(NULL, " \t", &save);
        return l->hosts && l->type && l->key_b64 ? kind : -1;
}

int kh_check(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
             struct kh_found *found, struct pharos_error *err)
{
        char name[512], type[64];
        if (kh_key_type(blob, len, type, sizeof(type)) < 0)
                return perr_set(err, PERR_FAIL, "%s: malformed host key", host);
        host_name(host, port, name, sizeof(name));
        FILE *f = fopen(path, "r");
        if (!f) {
                if (errno == ENOENT)
                        return KH_UNKNOWN;
                return perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
        }
        int status = KH_UNKNOWN, lineno = 0;
        struct kh_found other = {0};
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                struct kh_line l;
                lineno++;
                int kind = parse_line(line, &l);
                if (kind < 0 || !hosts_field_matches(l.hosts, name))
                        continue;
                size_t klen = 0;
                unsigned char *k = b64_decode(l.key_b64, strlen(l.key_b64), &klen);
                if (!k)
                        continue;
                if (strcmp(l.type, type) != 0) {
                        /* A host known by one type that now shows only another
                         * is a changed host, or a MITM without the real key. */
                        if (kind == 0 && other.line == 0) {
                                other.line = lineno;
                                snprintf(other.type, sizeof(other.type), "%s", l.type);
                                kh_fingerprint(k, klen, other.fingerprint);
                        }
                        free(k);
                        continue;
                }
                int same = klen == len && memcmp(k, blob, len) == 0;
                if (kind == KH_LINE_REVOKED) {
                        free(k);
                        if (!same)
                                continue;
                        /* revoked wins over any line that accepts the key, as in OpenSSH */
                        if (found)
                                found->line = lineno;
                        status = KH_REVOKED;
                        break;
                }
                /* keep reading after a match: a later @revoked line still counts */
                if (same) {
                        status = KH_MATCH;
                } else if (status == KH_UNKNOWN) {
                        if (found) {
                                found->line = lineno;
                                snprintf(found->type, sizeof(found->type), "%s", l.type);
                                kh_fingerprint(k, klen, found->fingerprint);
                        }
                        status = KH_CHANGED;
                }
                free(k);
        }
        free(line);
        fclose(f);
        if (status == KH_UNKNOWN && other.line > 0) {
                if (found)
                        *found = other;
                status = KH_OTHER_TYPE;
        }
        return status;
}

static int make_parent_dir(const char *path)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -1;
        return 0;
}

static int format_entry(const char *host, int port, const unsigned char *blob, size_t len,
                        char **out)
{
        char name[512], type[64];
        if (kh_key_type(blob, len, type, sizeof(type)) < 0)
                return -1;
        host_name(host, port, name, sizeof(name));
        size_t cap = (len + 2) / 3 * 4 + 1;
        char *b64 = malloc(cap);
        if (!b64)
                return -1;
        b64_encode(blob, len, b64, cap);
        size_t n = strlen(name) + strlen(type) + strlen(b64) + 4;
        *out = malloc(n);
        if (*out)
                snprintf(*out, n, "%s %s %s\n", name, type, b64);
        free(b64);
        return *out ? 0 : -1;
}

static int append_locked(const char *path, const char *entry, struct pharos_error *err)
{
        if (make_parent_dir(path) < 0)
                return perr_set(err, PERR_FAIL, "%s: cannot create directory: %s", path,
                                strerror(errno));
        FILE *f = fopen(path, "a");
        if (!f)
                return perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
        flock(fileno(f), LOCK_EX);
        fchmod(fileno(f), 0600);
        /* Keep the file line-structured even if its last line lacks '\n'. */
        struct stat st;
        int need_nl = 0;
        if (fstat(fileno(f), &st) == 0 && st.st_size > 0) {
                FILE *r = fopen(path, "r");
                if (r && fseek(r, -1, SEEK_END) == 0 && fgetc(r) != '\n')
                        need_nl = 1;
                if (r)
                        fclose(r);
        }
        int ok = (!need_nl || fputc('\n', f) != EOF) && fputs(entry, f) != EOF;
        ok = fflush(f) == 0 && ok;
        fclose(f);
        if (!ok)
                return perr_set(err, PERR_FAIL, "%s: write failed", path);
        return 0;
}

int kh_add(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
           struct pharos_error *err)
{
        char *entry = NULL;
        if (format_entry(host, port, blob, len, &entry) < 0)
                return perr_set(err, PERR_FAIL, "%s: malformed host key", host);
        pthread_mutex_lock(&kh_lock);
        int rc = append_locked(path, entry, err);
        pthread_mutex_unlock(&kh_lock);
        free(entry);
        return rc;
}

/* Copies every line of `in` that does not name `name` to `out`. */
static int copy_other_lines(FILE *in, FILE *out, const char *name)
{
        char *line = NULL, *copy = NULL;
        size_t cap = 0;
        ssize_t n;
        int rc = 0;
        while ((n = getline(&line, &cap, in)) > 0) {
                free(copy);
                copy = strdup(line);
                struct kh_line l;
                if (copy && parse_line(copy, &l) == 0 && hosts_field_matches(l.hosts, name))
                        continue;
                if (fwrite(line, 1, (size_t)n, out) != (size_t)n)
                        rc = -1;
                if (line[n - 1] != '\n' && fputc('\n', out) == EOF)
                        rc = -1;
        }
        free(copy);
        free(line);
        return rc;
}

int kh_replace(const char *path, const char *host, int port, const unsigned char *blob, size_t len,
               struct pharos_error *err)
{
        char name[512], tmp[4200];
        char *entry = NULL;
        if (format_entry(host, port, blob, len, &entry) < 0)
                return perr_set(err, PERR_FAIL, "%s: malformed host key", host);
        host_name(host, port, name, sizeof(name));
        snprintf(tmp, sizeof(tmp), "%s.pharos-XXXXXX", path);
        pthread_mutex_lock(&kh_lock);
        int rc = 0;
        if (make_parent_dir(path) < 0) {
                rc = perr_set(err, PERR_FAIL, "%s: cannot create directory: %s", path,
                              strerror(errno));
                goto out;
        }
        int lockfd = open(path, O_RDWR | O_CREAT, 0600);
        if (lockfd < 0) {
                rc = perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
                goto out;
        }
        flock(lockfd, LOCK_EX);
        int fd = mkstemp(tmp);
        FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
        FILE *in = fopen(path, "r");
        if (!out || !in) {
                rc = perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
        } else if (copy_other_lines(in, out, name) < 0 || fputs(entry, out) == EOF ||
                   fflush(out) != 0 || fsync(fileno(out)) != 0) {
                rc = perr_set(err, PERR_FAIL, "%s: write failed", tmp);
        }
        if (in)
                fclose(in);
        if (out)
                fclose(out);
        else if (fd >= 0)
                close(fd);
        if (rc == 0 && rename(tmp, path) < 0)
                rc = perr_set(err, PERR_FAIL, "%s: %s", path, strerror(errno));
        if (rc < 0 && fd >= 0)
                unlink(tmp);
        close(lockfd);
out:
        pthread_mutex_unlock(&kh_lock);
        free(entry);
        return rc;
}

void kh_known_types(const char *path, const char *host, int port, char *buf, size_t cap)
{
        char name[512];
        buf[0] = '\0';
        host_name(host, port, name, sizeof(name));
        FILE *f = fopen(path, "r");
        if (!f)
                return;
        char *line = NULL;
        size_t lcap = 0;
        while (getline(&line, &lcap, f) > 0) {
                struct kh_line l;
                if (parse_line(line, &l) != 0 || !hosts_field_matches(l.hosts, name))
                        continue;
                /* skip types already listed */
                size_t tl = strlen(l.type);
                int seen = 0;
                for (const char *p = buf; *p;) {
                        const char *e = strchr(p, ',');
                        size_t n = e ? (size_t)(e - p) : strlen(p);
                        if (n == tl && strncmp(p, l.type, n) == 0)
                                seen = 1;
                        p += n + (e ? 1 : 0);
                }
                size_t used = strlen(buf);
                if (!seen && used + tl + 2 <= cap)
                        snprintf(buf + used, cap - used, "%s%s", used ? "," : "", l.type);
        }
        free(line);
        fclose(f);
}

const char *kh_default_path(char *buf, size_t size)
{
        const char *env = getenv("PHAROS_KNOWN_HOSTS");
        if (env && *env)
                return env;
        const char *home = getenv("HOME");
        snprintf(buf, size, "%s/.ssh/known_hosts", home && *home ? home : "/root");
        return buf;
}
