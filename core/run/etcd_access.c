#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/etcd_access.h"

const char *etcd_member_address(const struct run_host *h)
{
        return h->cfg->private_address ? h->cfg->private_address : h->cfg->address;
}

static void wipe_free(char *s, size_t len)
{
        if (s)
                memset(s, 0, len);
        free(s);
}

int etcd_client_open(struct run *r, size_t host, long timeout_ms, struct run_tunnel *tunnel,
                     struct kube_client **out, struct pharos_error *err)
{
        struct run_host *h = &r->hosts[host];
        if (!h->tp)
                return perr_set(err, PERR_FAIL, "%s: not connected", h->cfg->address);
        static const char *const files[] = {ETCD_CA_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE};
        char *pem[3] = {NULL, NULL, NULL};
        size_t len[3] = {0, 0, 0};
        int rc = 0;
        for (size_t i = 0; i < 3 && rc == 0; i++) {
                struct pharos_error e = {0};
                if (tp_read_file(h->tp, files[i], &pem[i], &len[i], &e) < 0)
                        rc = perr_set(err, PERR_FAIL, "%s: can't read %s (has `pharos up` run?)",
                                      h->cfg->address, files[i]);
        }
        if (rc == 0) {
                const char *address = etcd_member_address(h);
                char server[300];
                run_https_url(address, ETCD_CLIENT_PORT, server, sizeof(server));
                run_tunnel_init(r, host, address, ETCD_CLIENT_PORT, tunnel);
                struct kube_conn conn = {
                        .server = server,
                        .open_socket = run_tunnel_open,
                        .socket_ud = tunnel,
                        .ca_pem = pem[0],
                        .cert_pem = pem[1],
                        .key_pem = pem[2],
                        .timeout_ms = timeout_ms ? timeout_ms : 10000,
                };
                rc = kube_client_new(&conn, out, err);
        }
        free(pem[0]);
        free(pem[1]);
        wipe_free(pem[2], len[2]);
        return rc;
}

int etcd_health(struct kube_client *kc, const char *address, struct pharos_error *err)
{
        struct kube_response resp = {0};
        int rc = kube_request(kc, "GET", "/health", NULL, NULL, &resp, err);
        if (rc < 0) {
                char why[sizeof(err->msg)];
                snprintf(why, sizeof(why), "%s", err->msg);
                return perr_set(err, PERR_FAIL, "%s: etcd does not answer (%.600s)", address, why);
        }
        if (resp.status != 200 || !strstr(resp.body, "\"health\":\"true\""))
                rc = perr_set(err, PERR_FAIL, "%s: etcd unhealthy (HTTP %ld)", address,
                              resp.status);
        kube_response_free(&resp);
        return rc;
}
