/*
 * The node-local API proxy: without api.endpoint the cluster's endpoint is
 * the first master's address, so a worker whose kubelet and kube-proxy name
 * it loses the API with that one host, however many masters there are. As
 * the original's pharos-kubelet-proxy did (and kubespray's nginx-proxy, k0s'
 * node-local load balancing), every worker of a cluster with two or more
 * masters runs a TCP proxy on 127.0.0.1:6443 that reaches every master's API
 * server and leaves out the ones that fail their health check; the worker's
 * kubelet and the cluster's kube-proxy name https://127.0.0.1:6443. On a
 * master that address is its own API server. The proxy is HAProxy, as a
 * static pod of the kubelet: it needs no API to start, and a changed
 * configuration (masters added or removed) is a changed manifest that the
 * kubelet restarts it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kadm.h"

/* What a masters' address may hold to go into HAProxy's configuration unquoted:
 * cluster.yml's addresses are IPs or host names. */
static int plain_address(const char *s)
{
        if (!s || !*s)
                return 0;
        for (const char *c = s; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-",
                            *c))
                        return 0;
        return 1;
}

static size_t masters(const struct pharos_host *h, const struct pharos_config_node *root)
{
        const struct pharos_config_node *hosts = h->config_get(root, "hosts");
        size_t n = 0;
        for (size_t i = 0; i < h->config_len(hosts); i++) {
                const char *role = h->config_string(h->config_get(h->config_at(hosts, i), "role"));
                n += role && !strcmp(role, "master");
        }
        return n;
}

int kadm_api_proxy(const struct pharos_host *h, const struct pharos_config_node *root)
{
        const char *api = h->config_string(h->config_get(h->config_get(root, "api"), "endpoint"));
        return !api && masters(h, root) >= 2;
}

/* A server line per master of cluster.yml, each at the API server's port. */
static int servers_of_masters(const struct pharos_host *h, const struct pharos_config_node *root,
                              struct kbuf *cfg, char *why, size_t why_len)
{
        const struct pharos_config_node *hosts = h->config_get(root, "hosts");
        for (size_t i = 0, n = 0; i < h->config_len(hosts); i++) {
                const struct pharos_config_node *hn = h->config_at(hosts, i);
                const char *role = h->config_string(h->config_get(hn, "role"));
                if (!role || strcmp(role, "master") != 0)
                        continue;
                const char *addr = kadm_peer_address(h, hn);
                if (!plain_address(addr)) {
                        snprintf(why, why_len,
                                 "hosts[%zu]: address %s cannot go into the API proxy's "
                                 "configuration",
                                 i, addr ? addr : "(none)");
                        return -1;
                }
                /* HAProxy takes the port after the last colon, IPv6 or not. */
                kb_printf(cfg, "\tserver master-%zu %s:%d\n", ++n, addr, KADM_API_PORT);
        }
        return 0;
}

/* A server line per "HOST:PORT" or "[IPV6]:PORT" in the space-separated list. */
static int servers_given(struct kbuf *cfg, const char *endpoints, char *why, size_t why_len)
{
        size_t n = 0;
        for (const char *p = endpoints; *p;) {
                size_t len = strcspn(p, " ");
                char host[256] = "";
                const char *port = NULL;
                if (len && len < sizeof(host)) {
                        const char *end = p + len;
                        const char *colon = p;
                        for (const char *c = p; c < end; c++)
                                if (*c == ':')
                                        colon = c;
                        /* "[IPV6]:PORT" loses its brackets: one each side. */
                        ptrdiff_t bracketed = p[0] == '[' && colon > p && colon[-1] == ']';
                        if (colon > p) {
                                snprintf(host, sizeof(host), "%.*s",
                                         (int)(colon - p - bracketed - bracketed), p + bracketed);
                                port = colon + 1;
                        }
                        long v = 0;
                        for (const char *c = port; c && c < end && v <= 65535; c++)
                                v = *c >= '0' && *c <= '9' ? v * 10 + (*c - '0') : 65536;
                        if (port == end || v < 1 || v > 65535)
                                port = NULL;
                }
                if (!port || !plain_address(host)) {
                        snprintf(why, why_len,
                                 "master %.*s cannot go into the API proxy's configuration "
                                 "(HOST:PORT)",
                                 (int)(len > 200 ? 200 : len), p);
                        return -1;
                }
                kb_printf(cfg, "\tserver master-%zu %s:%.*s\n", ++n, host, (int)(p + len - port),
                          port);
                p += len;
                p += strspn(p, " ");
        }
        if (!n) {
                snprintf(why, why_len, "no master for the API proxy");
                return -1;
        }
        return 0;
}

void kadm_api_proxy_image(const char *repository, char *buf, size_t size)
{
        if (!repository || !*repository || !strcmp(repository, KADM_DEFAULT_IMAGE_REPOSITORY))
                snprintf(buf, size, "%s", KADM_API_PROXY_IMAGE);
        else
                snprintf(buf, size, "%s/%s", repository, KADM_API_PROXY_IMAGE_NAME);
}

int kadm_render_api_proxy(const struct pharos_host *h, const struct pharos_config_node *root,
                          const char *endpoints, struct kbuf *cfg, struct kbuf *manifest, char *why,
                          size_t why_len)
{
        /* Watches stay open for as long as the API server keeps them (up to 30 min with
         * its --min-request-timeout default): HAProxy must not cut them first. The check
         * asks /readyz, which the API server answers anonymously (401 when anonymous auth
         * is off: alive, though its readiness cannot be told). A server marked down loses
         * its sessions too: an API server whose etcd is away (a stacked member restarting
         * in an upgrade) keeps its process and its connections, and the kubelet's one
         * HTTP/2 connection held there would fail every Lease renewal until the Node goes
         * NotReady. */
        kb_printf(cfg,
                  "# pharos: the node-local API proxy (kubeadm plugin); rewritten by "
                  "`pharos up`\n"
                  "global\n"
                  "\tmaxconn 4000\n"
                  "\tlog stderr format raw local0 notice\n"
                  "defaults\n"
                  "\tmode tcp\n"
                  "\tlog global\n"
                  "\ttimeout connect 5s\n"
                  "\ttimeout client 1h\n"
                  "\ttimeout server 1h\n"
                  "\ttimeout check 5s\n"
                  "frontend kube-apiserver\n"
                  "\tbind %s:%d\n"
                  "\tdefault_backend masters\n"
                  "backend masters\n"
                  "\toption httpchk\n"
                  "\thttp-check send meth GET uri /readyz\n"
                  "\thttp-check expect rstatus ^(200|401)$\n"
                  "\tdefault-server check check-ssl verify none inter 3s fall 2 rise 2 "
                  "on-marked-down shutdown-sessions\n",
                  KADM_API_PROXY_ADDRESS, KADM_API_PORT);
        if (endpoints ? servers_given(cfg, endpoints, why, why_len) < 0
                      : servers_of_masters(h, root, cfg, why, why_len) < 0)
                return -1;
        /* FNV-1a of the configuration: the kubelet restarts a static pod whose manifest
         * changed, and nothing else tells it that the file it mounts did. */
        uint64_t sum = 1469598103934665603ull;
        for (size_t i = 0; cfg->p && i < cfg->len; i++) {
                sum ^= (unsigned char)cfg->p[i];
                sum *= 1099511628211ull;
        }
        char image[300];
        kadm_api_proxy_image(h->config_string(h->config_get(root, "image_repository")), image,
                             sizeof(image));
        /* The core checked image_repository; plain YAML wants no more than an image
         * reference's characters. */
        if (image[strspn(image,
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/@")]) {
                snprintf(why, why_len, "image_repository cannot name the API proxy's image");
                return -1;
        }
        kb_printf(manifest,
                  "# pharos: the node-local API proxy (kubeadm plugin); rewritten by `pharos up`\n"
                  "apiVersion: v1\n"
                  "kind: Pod\n"
                  "metadata:\n"
                  "  name: pharos-api-proxy\n"
                  "  namespace: kube-system\n"
                  "  labels:\n"
                  "    k8s-app: pharos-api-proxy\n"
                  "  annotations:\n"
                  "    pharos.kontena.io/config-checksum: \"%016llx\"\n"
                  "spec:\n"
                  "  hostNetwork: true\n"
                  "  priorityClassName: system-node-critical\n"
                  "  containers:\n"
                  "  - name: haproxy\n"
                  "    image: %s\n"
                  "    command: [\"haproxy\", \"-f\", \"/usr/local/etc/haproxy/haproxy.cfg\"]\n"
                  "    resources:\n"
                  "      requests: {cpu: 25m, memory: 32Mi}\n"
                  "    volumeMounts:\n"
                  "    - {name: config, mountPath: /usr/local/etc/haproxy/haproxy.cfg, readOnly: "
                  "true}\n"
                  "  volumes:\n"
                  "  - name: config\n"
                  "    hostPath: {path: %s, type: File}\n",
                  (unsigned long long)sum, image, KADM_API_PROXY_CONFIG);
        if (cfg->oom || manifest->oom) {
                snprintf(why, why_len, "out of memory");
                return -1;
        }
        return 0;
}
