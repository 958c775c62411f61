#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli/ca_pin.h"
#include "cli/worker_up.h"
#include "kube/json.h"
#include "kube/yaml_json.h"
#include "run/interrupt.h"
#include "run/retry.h"
#include "util/clock.h"
#include "util/log.h"

int wu_split_master(const char *m, char *host, size_t hsize, char *endpoint, size_t esize)
{
        const char *colon = strchr(m, ':');
        int n;
        if (m[0] == '[') {
                const char *close = strchr(m, ']');
                if (!close)
                        return -1;
                snprintf(host, hsize, "%.*s", (int)(close - m - 1), m + 1);
                n = close[1] == ':' ? snprintf(endpoint, esize, "%s", m)
                                    : snprintf(endpoint, esize, "[%s]:6443", host);
        } else if (colon && strchr(colon + 1, ':')) {
                snprintf(host, hsize, "%s", m);
                n = snprintf(endpoint, esize, "[%s]:6443", m);
        } else if (colon) {
                snprintf(host, hsize, "%.*s", (int)(colon - m), m);
                n = snprintf(endpoint, esize, "%s", m);
        } else {
                snprintf(host, hsize, "%s", m);
                n = snprintf(endpoint, esize, "%s:6443", m);
        }
        return host[0] && n > 0 && (size_t)n < esize ? 0 : -1;
}

int wu_master_endpoints(const struct wu_args *a, char *buf, size_t size, const char **bad)
{
        size_t off = 0;
        buf[0] = '\0';
        *bad = NULL;
        for (size_t i = 0; i < a->n_masters; i++) {
                char host[256], endpoint[300];
                int n = -1;
                if (wu_split_master(a->masters[i], host, sizeof(host), endpoint,
                                    sizeof(endpoint)) == 0)
                        n = snprintf(buf + off, size - off, "%s%s", off ? " " : "", endpoint);
                if (n < 0 || (size_t)n >= size - off) {
                        *bad = a->masters[i];
                        return -1;
                }
                off += (size_t)n;
        }
        return 0;
}

/* A response body, kept whole up to a cap no honest answer comes near. */
struct body {
        char *data;
        size_t len;
};
#define BODY_MAX ((size_t)1024 * 1024)

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
        struct body *b = ud;
        size_t n = size * nmemb;
        if (b->len + n > BODY_MAX)
                return 0;
        char *grown = realloc(b->data, b->len + n + 1);
        if (!grown)
                return 0;
        memcpy(grown + b->len, data, n);
        b->data = grown;
        b->len += n;
        b->data[b->len] = '\0';
        return n;
}

/*
 * What an API server says while it starts or restarts: nothing listens yet,
 * the connection drops, anonymous requests are forbidden until its RBAC
 * roles are bootstrapped, or it is overloaded. Worth asking again.
 */
static int transient_failure(CURLcode rc, long status)
{
        switch (rc) {
        case CURLE_OK:
                return status == 403 || status == 429 || status >= 500;
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
                return 1;
        default:
                return 0;
        }
}

/*
 * GET https://ENDPOINT/PATH: the body (malloc'd) of a 200 answer, or NULL with why set
 * and *transient telling whether asking again may help.
 * With ca_pem the server must prove itself with a certificate that CA signed,
 * for the name or address it was asked by; without, nothing is checked.
 */
static char *get(const char *endpoint, const char *path, const char *ca_pem, char *why,
                 size_t wsize, int *transient)
{
        CURL *c = curl_easy_init();
        if (!c)
                return snprintf(why, wsize, "out of memory"), NULL;
        char url[400];
        struct body b = {0};
        snprintf(url, sizeof(url), "https://%s%s", endpoint, path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        if (ca_pem) {
                /* The pinned CA alone: not the machine's bundle, whose CAs the cluster never used.
                 */
                struct curl_blob ca = {
                        .data = (void *)ca_pem, .len = strlen(ca_pem), .flags = CURL_BLOB_COPY};
                curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
                curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
                curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        } else {
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)&b);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (rc == CURLE_OK && status == 200 && b.data)
                return b.data;
        free(b.data);
        *transient = transient_failure(rc, status);
        if (rc != CURLE_OK)
                snprintf(why, wsize, "%.200s: %.90s", endpoint, curl_easy_strerror(rc));
        else
                snprintf(why, wsize, "%.200s: %s answered HTTP %ld", endpoint, path, status);
        return NULL;
}

#define CLUSTER_INFO "/api/v1/namespaces/kube-public/configmaps/cluster-info"

/* The CA PEM bundle of a cluster-info ConfigMap (malloc'd), or NULL with why set. */
static char *cluster_ca(const char *endpoint, const char *configmap, char *why, size_t wsize)
{
        char msg[128];
        char *pem = NULL;
        struct json_docs docs = {0};
        struct pharos_error err = {0};
        yajl_val cm = json_parse(configmap, msg, sizeof(msg)), kc = NULL;
        const char *text = json_get_str(cm, "data.kubeconfig");
        if (text && yaml_to_json(text, strlen(text), "cluster-info", &docs, &err) == 0 &&
            docs.n == 1)
                kc = json_parse(docs.json[0], msg, sizeof(msg));
        yajl_val clusters = json_get(kc, "clusters");
        const char *b64 = YAJL_IS_ARRAY(clusters) && clusters->u.array.len > 0
                                  ? json_get_str(clusters->u.array.values[0],
                                                 "cluster.certificate-authority-data")
                                  : NULL;
        size_t n = b64 ? strlen(b64) : 0;
        if (n > 0 && n % 4 == 0 && (pem = malloc(n / 4 * 3 + 1))) {
                int got = EVP_DecodeBlock((unsigned char *)pem, (const unsigned char *)b64, (int)n);
                /* EVP_DecodeBlock counts the padding as zero bytes. */
                for (size_t i = n; got > 0 && i > 0 && b64[i - 1] == '='; i--)
                        got--;
                if (got > 0) {
                        pem[got] = '\0';
                } else {
                        free(pem);
                        pem = NULL;
                }
        }
        if (!pem)
                snprintf(why, wsize, "%.200s: the cluster-info ConfigMap holds no cluster CA",
                         endpoint);
        yajl_tree_free(kc);
        yajl_tree_free(cm);
        json_docs_free(&docs);
        return pem;
}

/*
 * As kubeadm's token discovery does: the CA from the cluster-info ConfigMap
 * (read without checking the server, as nothing is known yet), trusted only
 * if its key is pinned by the join command; then /version over TLS checked
 * against that CA. The version without its "v", or -1 with why set.
 */
static int version_of(const char *endpoint, const struct ca_pins *pins, char *version, size_t size,
                      char *why, size_t wsize, int *transient)
{
        *transient = 0;
        char *info = get(endpoint, CLUSTER_INFO, NULL, why, wsize, transient);
        char *bundle = info ? cluster_ca(endpoint, info, why, wsize) : NULL;
        free(info);
        if (!bundle)
                return -1;
        char seen[300];
        char *ca = ca_pins_select(bundle, strlen(bundle), pins, seen, sizeof(seen));
        free(bundle);
        if (!ca)
                return snprintf(why, wsize,
                                "%.200s: the cluster CA is not the one the join command pins "
                                "(--discovery-token-ca-cert-hash %s; the master's CA: %.160s)",
                                endpoint, pins->pin[0], seen[0] ? seen : "none readable"),
                       -1;
        char *body = get(endpoint, "/version", ca, why, wsize, transient);
        free(ca);
        if (!body)
                return -1;
        char msg[128];
        yajl_val doc = json_parse(body, msg, sizeof(msg));
        free(body);
        const char *v = json_get_str(doc, "gitVersion");
        int ok = v && v[0];
        if (ok)
                snprintf(version, size, "%s", v[0] == 'v' ? v + 1 : v);
        else
                snprintf(why, wsize, "%.200s: /version answered without a version", endpoint);
        yajl_tree_free(doc);
        return ok ? 0 : -1;
}

int wu_probe_masters(const struct wu_args *a, struct wu_master *m, struct pharos_error *err)
{
        struct ca_pins pins;
        int rc = ca_pins_parse(a->join_command, &pins, err);
        if (rc < 0)
                return rc;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        long long deadline = pharos_now_ms() + a->master_wait_ms;
        char why[1200];
        for (unsigned round = 1;; round++) {
                int again = 0;
                why[0] = '\0';
                for (size_t i = 0; i < a->n_masters; i++) {
                        size_t used = strlen(why);
                        if (wu_split_master(a->masters[i], m->host, sizeof(m->host), m->endpoint,
                                            sizeof(m->endpoint)) < 0) {
                                snprintf(why + used, sizeof(why) - used, "%s'%s' is not an address",
                                         used ? "; " : "", a->masters[i]);
                                continue;
                        }
                        char one[600];
                        int transient;
                        if (version_of(m->endpoint, &pins, m->version, sizeof(m->version), one,
                                       sizeof(one), &transient) == 0)
                                return 0;
                        again |= transient;
                        snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "", one);
                }
                double delay = retry_delay(round);
                if (!again || pharos_now_ms() + (long long)(delay * 1000) > deadline)
                        break;
                log_warn("no master's API answers yet (%s); asking again in %.0f s", why, delay);
                if (run_sleep(delay))
                        return perr_set(err, PERR_FAIL, "%s", run_interrupt_reason());
        }
        return perr_set(err, PERR_FAIL, "no master's API answers: %s", why);
}

int wu_route_source(const char *host, char *out, size_t size, struct pharos_error *err)
{
        struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
        int gai = getaddrinfo(host, "6443", &hints, &res);
        if (gai != 0)
                return perr_set(err, PERR_FAIL, "%s: %s", host, gai_strerror(gai));
        /* connect() on a UDP socket sends nothing: it only picks the route. */
        int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_storage local;
        socklen_t len = sizeof(local);
        int ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
                 getsockname(fd, (struct sockaddr *)&local, &len) == 0;
        if (fd >= 0)
                close(fd);
        freeaddrinfo(res);
        if (ok && local.ss_family == AF_INET)
                ok = inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr, out,
                               (socklen_t)size) != NULL;
        else if (ok)
                ok = inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr, out,
                               (socklen_t)size) != NULL;
        return ok ? 0 : perr_set(err, PERR_FAIL, "no route to %s", host);
}
