/*
 * host->https_request: an HTTPS request that leaves from a host of the run
 * through an SSH tunnel, with TLS material read from that host. etcd's client
 * port is the case in mind: it listens on the masters' own addresses only and
 * wants the client certificates kubeadm leaves there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"
#include "run/step_ctx.h"
#include "run/tunnel.h"
#include "util/log.h"

#define HTTPS_TIMEOUT_MS 10000

/* Index of the run's host with that address, or -1. */
static long host_by_address(const struct run *r, const char *address)
{
        for (size_t i = 0; i < r->n_hosts; i++)
                if (!strcmp(r->hosts[i].cfg->address, address))
                        return (long)i;
        return -1;
}

static void wipe_free(char *s, size_t len)
{
        if (s)
                memset(s, 0, len);
        free(s);
}

/* Reads one file of the TLS material, from the host's prefetched answers
 * when a step's prefetch() asked for it; NULL path leaves *out NULL. */
static int read_pem(struct run_host *h, const char *path, char **out, size_t *len,
                    struct pharos_error *err)
{
        *out = NULL;
        *len = 0;
        if (!path)
                return 0;
        return run_pf_read(h, path, out, len, err);
}

static int https_on(struct run *r, size_t via, const struct pharos_https_request *req,
                    struct kube_response *resp, struct pharos_error *err)
{
        struct run_host *h = &r->hosts[via];
        if (!h->tp)
                return perr_set(err, PERR_FAIL, "%s: not connected", h->cfg->address);
        char *ca = NULL, *cert = NULL, *key = NULL;
        size_t ca_len = 0, cert_len = 0, key_len = 0;
        int rc = read_pem(h, req->ca_file, &ca, &ca_len, err);
        if (rc == 0)
                rc = read_pem(h, req->cert_file, &cert, &cert_len, err);
        if (rc == 0)
                rc = read_pem(h, req->cert_file ? req->key_file : NULL, &key, &key_len, err);
        struct kube_client *client = NULL;
        struct run_tunnel tunnel;
        if (rc == 0) {
                char server[300];
                run_https_url(req->address, (int)req->port, server, sizeof(server));
                run_tunnel_init(r, via, req->address, (int)req->port, &tunnel);
                struct kube_conn conn = {
                        .server = server,
                        .open_socket = run_tunnel_open,
                        .socket_ud = &tunnel,
                        .ca_pem = ca,
                        .cert_pem = cert,
                        .key_pem = key,
                        .timeout_ms = req->timeout_ms ? (long)req->timeout_ms : HTTPS_TIMEOUT_MS,
                };
                rc = kube_client_new(&conn, &client, err);
        }
        wipe_free(key, key_len);
        free(cert);
        free(ca);
        if (rc < 0)
                return rc;
        log_msg(PHAROS_LOG_DEBUG, h->cfg->address, "%s https://%s:%u%s", req->method, req->address,
                req->port, req->path);
        rc = kube_request(client, req->method, req->path, NULL, req->body, resp, err);
        kube_client_free(client);
        return rc;
}

int step_svc_https(struct pharos_step_ctx *ctx, const struct pharos_https_request *req,
                   long *status, const char **response)
{
        if (ctx->prefetching)
                return step_pf_refuse(ctx, "https_request");
        struct pharos_https_request q = {0};
        memcpy(&q, req, req->struct_size < sizeof(q) ? (size_t)req->struct_size : sizeof(q));
        if (!q.address || !q.method || !q.path || !q.port || !q.ca_file) {
                snprintf(ctx->error, sizeof(ctx->error),
                         "https_request needs address, port, method, path and ca_file");
                return PERR_USAGE;
        }
        struct run *r = ctx->run;
        long via = q.via ? host_by_address(r, q.via) : (long)ctx->host->index;
        if (via < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "https_request: %s is no host of the run",
                         q.via);
                return PERR_USAGE;
        }
        struct kube_response resp = {0};
        struct pharos_error err = {0};
        int rc = https_on(r, (size_t)via, &q, &resp, &err);
        if (rc < 0) {
                snprintf(ctx->error, sizeof(ctx->error), "%s", err.msg);
                kube_response_free(&resp);
                return rc;
        }
        free(ctx->response);
        ctx->response = resp.body;
        *status = resp.status;
        if (response)
                *response = ctx->response ? ctx->response : "";
        return 0;
}
