#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/worker_up.h"
#include "kube/json.h"

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

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
        char *buf = ud;
        size_t have = strlen(buf), n = size * nmemb;
        size_t room = 4095 - have;
        memcpy(buf + have, data, n < room ? n : room);
        buf[have + (n < room ? n : room)] = '\0';
        return n;
}

/* GET https://ENDPOINT/version: the version without its "v", or -1 with why set. */
static int version_of(const char *endpoint, char *version, size_t size, char *why, size_t wsize)
{
        CURL *c = curl_easy_init();
        if (!c)
                return snprintf(why, wsize, "out of memory"), -1;
        char url[400], body[4096] = "";
        snprintf(url, sizeof(url), "https://%s/version", endpoint);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
        /* Nothing is trusted from this answer but a version number: the join
         * itself pins the cluster CA by the hash in the join command. */
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)body);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK)
                return snprintf(why, wsize, "%.200s: %.90s", endpoint, curl_easy_strerror(rc)), -1;
        char msg[128];
        yajl_val doc = status == 200 ? json_parse(body, msg, sizeof(msg)) : NULL;
        const char *v = json_get_str(doc, "gitVersion");
        int ok = v && v[0];
        if (ok)
                snprintf(version, size, "%s", v[0] == 'v' ? v + 1 : v);
        else
                snprintf(why, wsize, "%.200s: /version answered HTTP %ld without a version",
                         endpoint, status);
        yajl_tree_free(doc);
        return ok ? 0 : -1;
}

int wu_probe_masters(const struct wu_args *a, struct wu_master *m, struct pharos_error *err)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
        char why[800] = "";
        for (size_t i = 0; i < a->n_masters; i++) {
                size_t used = strlen(why);
                if (wu_split_master(a->masters[i], m->host, sizeof(m->host), m->endpoint,
                                    sizeof(m->endpoint)) < 0) {
                        snprintf(why + used, sizeof(why) - used, "%s'%s' is not an address",
                                 used ? "; " : "", a->masters[i]);
                        continue;
                }
                char one[300];
                if (version_of(m->endpoint, m->version, sizeof(m->version), one, sizeof(one)) == 0)
                        return 0;
                snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "", one);
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
