#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"
#include "kube/json.h"
#include "kube/relay.h"

/* Discovery of one group-version. */
struct gv_cache {
        char *group_version;
        yajl_val doc; /* the APIResourceList */
};

struct kube_client {
        CURL *curl;
        char *server;
        int (*open_socket)(void *ud);
        void *socket_ud;
        char *ca_pem, *cert_pem, *key_pem;
        long timeout_ms;
        unsigned long writes;
        unsigned long requests;
        struct gv_cache *gvs;
        size_t n_gvs;
};

/* Steps on several hosts make their clients at once (https_request from
 * each host's thread): libcurl is set up by the first of them alone. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

int kube_client_new(const struct kube_conn *conn, struct kube_client **out,
                    struct pharos_error *err)
{
        pthread_once(&curl_once, curl_init);
        struct kube_client *kc = calloc(1, sizeof(*kc));
        if (!kc)
                return perr_set(err, PERR_NOMEM, "out of memory");
        kc->curl = curl_easy_init();
        kc->server = dup_or_null(conn->server);
        kc->ca_pem = dup_or_null(conn->ca_pem);
        kc->cert_pem = dup_or_null(conn->cert_pem);
        kc->key_pem = dup_or_null(conn->key_pem);
        kc->timeout_ms = conn->timeout_ms > 0 ? conn->timeout_ms : 30000;
        if (!kc->curl || !kc->server || !kc->ca_pem || !kc->cert_pem || !kc->key_pem) {
                kube_client_free(kc);
                return perr_set(err, PERR_USAGE,
                                "kube client needs a server, a CA, a client "
                                "certificate and a key");
        }
        kc->open_socket = conn->open_socket;
        kc->socket_ud = conn->socket_ud;
        *out = kc;
        return 0;
}

void kube_client_free(struct kube_client *kc)
{
        if (!kc)
                return;
        if (kc->curl)
                curl_easy_cleanup(kc->curl);
        free(kc->server);
        free(kc->ca_pem);
        free(kc->cert_pem);
        /* The key is a secret: don't leave it in freed memory. */
        if (kc->key_pem) {
                volatile char *p = kc->key_pem;
                while (*p)
                        *p++ = 0;
        }
        free(kc->key_pem);
        for (size_t i = 0; i < kc->n_gvs; i++) {
                free(kc->gvs[i].group_version);
                yajl_tree_free(kc->gvs[i].doc);
        }
        free(kc->gvs);
        free(kc);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
        struct kube_response *r = userp;
        size_t n = size * nmemb;
        char *grown = realloc(r->body, r->len + n + 1);
        if (!grown)
                return 0;
        r->body = grown;
        memcpy(r->body + r->len, data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return n;
}

/* curl connects a fresh TCP socket to a loopback relay in front of the tunnel
 * (kube/relay.h says why it cannot be handed the tunnel itself). */
static curl_socket_t open_tunnel(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
        struct kube_client *kc = ud;
        (void)purpose;
        int fd = kc->open_socket(kc->socket_ud);
        struct sockaddr_in relay;
        int s = fd < 0 ? -1 : relay_start(fd, &relay);
        if (s < 0)
                return CURL_SOCKET_BAD;
        addr->family = AF_INET;
        addr->socktype = SOCK_STREAM;
        addr->protocol = IPPROTO_TCP;
        addr->addrlen = sizeof(relay);
        memcpy(&addr->addr, &relay, sizeof(relay));
        return s;
}

static void set_blob(CURL *c, CURLoption opt, char *pem)
{
        struct curl_blob blob = {.data = pem, .len = strlen(pem), .flags = CURL_BLOB_NOCOPY};
        curl_easy_setopt(c, opt, &blob);
}

/* Prepares kc->curl for METHOD PATH with an optional body; *headers is for the caller to free. */
static CURL *prepare(struct kube_client *kc, const char *method, const char *path,
                     const char *content_type, const char *body, char *url, size_t url_size,
                     struct curl_slist **headers)
{
        CURL *c = kc->curl;
        snprintf(url, url_size, "%s%s", kc->server, path);
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kc->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        set_blob(c, CURLOPT_CAINFO_BLOB, kc->ca_pem);
        set_blob(c, CURLOPT_SSLCERT_BLOB, kc->cert_pem);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        set_blob(c, CURLOPT_SSLKEY_BLOB, kc->key_pem);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
        if (kc->open_socket) {
                curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_tunnel);
                curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, kc);
        }
        *headers = curl_slist_append(NULL, "Accept: application/json");
        if (body) {
                char ct[128];
                snprintf(ct, sizeof(ct), "Content-Type: %s",
                         content_type ? content_type : "application/json");
                *headers = curl_slist_append(*headers, ct);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
        kc->requests++;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                kc->writes++;
        return c;
}

int kube_request(struct kube_client *kc, const char *method, const char *path,
                 const char *content_type, const char *body, struct kube_response *resp,
                 struct pharos_error *err)
{
        char url[2048];
        struct curl_slist *headers = NULL;
        memset(resp, 0, sizeof(*resp));
        CURL *c = prepare(kc, method, path, content_type, body, url, sizeof(url), &headers);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK) {
                kube_response_free(resp);
                /* No answer (refused, reset, timed out): the API may still be starting. */
                return perr_set(err, PERR_TRANSIENT, "%s %s: %s", method, url,
                                curl_easy_strerror(rc));
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        if (!resp->body) {
                resp->body = calloc(1, 1);
                if (!resp->body)
                        return perr_set(err, PERR_NOMEM, "out of memory");
        }
        /* A refusal from an API server that is not ready is no answer yet: a
         * restarted one (an upgraded master's, when its kubelet restarts) answers
         * 403 to everybody until its RBAC caches fill. */
        if ((resp->status == 401 || resp->status == 403) && strcmp(path, "/readyz") != 0) {
                struct kube_response ready = {0};
                struct pharos_error ignored = {0};
                int rrc = kube_request(kc, "GET", "/readyz", NULL, NULL, &ready, &ignored);
                long ready_status = rrc == 0 ? ready.status : 0;
                kube_response_free(&ready);
                if (ready_status != 200) {
                        long status = resp->status;
                        char why[32] = "no answer";
                        if (ready_status)
                                snprintf(why, sizeof(why), "HTTP %ld", ready_status);
                        kube_response_free(resp);
                        return perr_set(err, PERR_TRANSIENT,
                                        "%s %s: HTTP %ld from an API server that is not ready "
                                        "(/readyz: %s)",
                                        method, url, status, why);
                }
        }
        return 0;
}

/* A streamed body: a 200's goes to the caller's function as it comes, any
 * other status's is kept (up to a few KiB) to explain the refusal. */
struct stream {
        CURL *curl;
        kube_body_fn fn;
        void *ud;
        struct pharos_error *err;
        int failed; /* fn refused the data */
        long status;
        struct kube_response other;
};

static size_t on_stream(char *data, size_t size, size_t nmemb, void *userp)
{
        struct stream *st = userp;
        size_t n = size * nmemb;
        if (!st->status)
                curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &st->status);
        if (st->status != 200)
                return st->other.len > 4096 ? n : on_body(data, size, nmemb, &st->other);
        if (st->fn(st->ud, data, n, st->err) < 0) {
                st->failed = 1;
                return 0;
        }
        return n;
}

/* Between blocks, and while none come: fn with no data may stop the transfer. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        struct stream *st = userp;
        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        if (st->status == 200 && st->fn(st->ud, NULL, 0, st->err) < 0) {
                st->failed = 1;
                return 1;
        }
        return 0;
}

int kube_request_stream(struct kube_client *kc, const char *method, const char *path,
                        const char *body, kube_body_fn fn, void *ud, struct kube_response *resp,
                        struct pharos_error *err)
{
        char url[2048];
        struct curl_slist *headers = NULL;
        memset(resp, 0, sizeof(*resp));
        CURL *c = prepare(kc, method, path, NULL, body, url, sizeof(url), &headers);
        struct stream st = {.curl = c, .fn = fn, .ud = ud, .err = err};
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        /* A long transfer is judged by its progress, not its length: one that
         * moves nothing for a minute has stalled. */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(headers);
        if (st.failed) {
                kube_response_free(&st.other);
                return err->code ? err->code : PERR_FAIL;
        }
        if (rc != CURLE_OK) {
                kube_response_free(&st.other);
                return perr_set(err, PERR_TRANSIENT, "%s %s: %s", method, url,
                                curl_easy_strerror(rc));
        }
        *resp = st.other;
        resp->status = st.status;
        if (!resp->status) /* no body at all: the status was never looked at */
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        if (!resp->body && !(resp->body = calloc(1, 1)))
                return perr_set(err, PERR_NOMEM, "out of memory");
        return 0;
}

void kube_response_free(struct kube_response *resp)
{
        free(resp->body);
        memset(resp, 0, sizeof(*resp));
}

int kube_status_transient(long status)
{
        return status == 429 || (status >= 500 && status <= 599);
}

unsigned long kube_write_count(const struct kube_client *kc)
{
        return kc->writes;
}

unsigned long kube_request_count(const struct kube_client *kc)
{
        return kc->requests;
}

/* Fetches a group-version's resources into the cache; *index = its slot, or -1 if not served. */
static int fetch_gv(struct kube_client *kc, const char *gv, long *index, struct pharos_error *err)
{
        char path[512];
        struct kube_response r = {0};
        snprintf(path, sizeof(path), strchr(gv, '/') ? "/apis/%s" : "/api/%s", gv);
        int rc = kube_request(kc, "GET", path, NULL, NULL, &r, err);
        if (rc < 0)
                return rc;
        *index = -1;
        if (r.status == 404) {
                kube_response_free(&r);
                return 0;
        }
        if (r.status != 200) {
                rc = perr_set(err, kube_status_transient(r.status) ? PERR_TRANSIENT : PERR_FAIL,
                              "GET %s: HTTP %ld", path, r.status);
                kube_response_free(&r);
                return rc;
        }
        char msg[256];
        yajl_val doc = json_parse(r.body, msg, sizeof(msg));
        kube_response_free(&r);
        if (!doc)
                return perr_set(err, PERR_FAIL, "GET %s: bad JSON: %s", path, msg);
        for (size_t i = 0; i < kc->n_gvs; i++) {
                if (strcmp(kc->gvs[i].group_version, gv) == 0) {
                        yajl_tree_free(kc->gvs[i].doc);
                        kc->gvs[i].doc = doc;
                        *index = (long)i;
                        return 0;
                }
        }
        struct gv_cache *grown = realloc(kc->gvs, (kc->n_gvs + 1) * sizeof(*grown));
        char *name = strdup(gv);
        if (!grown || !name) {
                free(name);
                yajl_tree_free(doc);
                if (grown)
                        kc->gvs = grown;
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        kc->gvs = grown;
        kc->gvs[kc->n_gvs] = (struct gv_cache){name, doc};
        *index = (long)kc->n_gvs++;
        return 0;
}

static int find_kind(const struct gv_cache *gv, const char *kind, struct kube_resource *out)
{
        yajl_val list = json_get(gv->doc, "resources");
        if (!YAJL_IS_ARRAY(list))
                return 0;
        for (size_t i = 0; i < list->u.array.len; i++) {
                yajl_val r = list->u.array.values[i];
                const char *name = json_get_str(r, "name");
                const char *k = json_get_str(r, "kind");
                if (!name || !k || strchr(name, '/') || strcmp(k, kind) != 0)
                        continue;
                snprintf(out->group_version, sizeof(out->group_version), "%s", gv->group_version);
                snprintf(out->plural, sizeof(out->plural), "%s", name);
                out->namespaced = YAJL_IS_TRUE(json_get(r, "namespaced"));
                return 1;
        }
        return 0;
}

int kube_resource_lookup(struct kube_client *kc, const char *api_version, const char *kind,
                         struct kube_resource *out, struct pharos_error *err)
{
        for (size_t i = 0; i < kc->n_gvs; i++)
                if (strcmp(kc->gvs[i].group_version, api_version) == 0 &&
                    find_kind(&kc->gvs[i], kind, out))
                        return 0;
        long index;
        int rc = fetch_gv(kc, api_version, &index, err);
        if (rc < 0)
                return rc;
        if (index >= 0 && find_kind(&kc->gvs[index], kind, out))
                return 0;
        return perr_set(err, PERR_FAIL, "the API server does not serve kind %s in %s", kind,
                        api_version);
}

int kube_object_path(const struct kube_resource *res, const char *ns, const char *name, char *buf,
                     size_t size)
{
        int n = snprintf(buf, size, "%s%s", strchr(res->group_version, '/') ? "/apis/" : "/api/",
                         res->group_version);
        if (res->namespaced && ns)
                n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "/namespaces/%s",
                              ns);
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "/%s", res->plural);
        if (name)
                n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "/%s", name);
        return n > 0 && (size_t)n < size ? 0 : -1;
}
