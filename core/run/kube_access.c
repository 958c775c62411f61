#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"
#include "run/kube_access.h"
#include "run/tunnel.h"
#include "util/log.h"

/* Parses admin.conf's text, then wipes it (it holds the admin key). */
static int parse_admin_conf(char *text, size_t len, const char *address, struct kubeconfig *kc,
                            struct pharos_error *err)
{
        char source[300];
        snprintf(source, sizeof(source), "%s:%s", address, KUBE_ADMIN_CONF);
        int rc = kubeconfig_parse(text, source, kc, err);
        memset(text, 0, len);
        free(text);
        return rc;
}

int kube_read_admin_conf(struct transport *tp, const char *address, struct kubeconfig *kc,
                         struct pharos_error *err)
{
        char *text = NULL;
        size_t len = 0;
        if (!tp || tp_read_file(tp, KUBE_ADMIN_CONF, &text, &len, err) < 0)
                return perr_set(err, PERR_FAIL, "%s: no " KUBE_ADMIN_CONF " (has `pharos up` run?)",
                                address);
        return parse_admin_conf(text, len, address, kc, err);
}

int run_admin_conf(struct run_host *h, struct kubeconfig *kc, struct pharos_error *err)
{
        char *text = NULL;
        size_t len = 0;
        if (!h->tp || run_pf_read(h, KUBE_ADMIN_CONF, &text, &len, err) < 0)
                return perr_set(err, PERR_FAIL, "%s: no " KUBE_ADMIN_CONF " (has `pharos up` run?)",
                                h->cfg->address);
        return parse_admin_conf(text, len, h->cfg->address, kc, err);
}

/* Reads admin.conf on master i and checks that its API answers. */
static int try_master(struct run *r, size_t i, struct pharos_error *err)
{
        struct run_host *h = &r->hosts[i];
        struct kubeconfig kc;
        int rc = run_admin_conf(h, &kc, err);
        if (rc < 0)
                return rc;
        /* TLS checks the master's own address: kubeadm always puts it in the SANs. */
        char server[300];
        run_https_url(h->cfg->address, KUBE_API_PORT, server, sizeof(server));
        run_tunnel_init(r, i, h->cfg->address, KUBE_API_PORT, &r->kube_tunnel);
        r->kube_master = i;
        struct kube_conn conn = {.server = server,
                                 .open_socket = run_tunnel_open,
                                 .socket_ud = &r->kube_tunnel,
                                 .ca_pem = kc.ca_pem,
                                 .cert_pem = kc.cert_pem,
                                 .key_pem = kc.key_pem};
        struct kube_client *client = NULL;
        rc = kube_client_new(&conn, &client, err);
        kubeconfig_free(&kc);
        if (rc < 0)
                return rc;
        struct kube_response resp = {0};
        rc = kube_request(client, "GET", "/readyz", NULL, NULL, &resp, err);
        if (rc == 0 && resp.status != 200)
                rc = perr_set(err, PERR_TRANSIENT, "%s: API not ready (HTTP %ld)", h->cfg->address,
                              resp.status);
        kube_response_free(&resp);
        if (rc < 0) {
                kube_client_free(client);
                return rc;
        }
        r->kube = client;
        return 0;
}

int run_kube(struct run *r, struct kube_client **out, struct pharos_error *err)
{
        if (r->kube) {
                *out = r->kube;
                return 0;
        }
        char why[700] = "";
        int code = PERR_FAIL;
        for (size_t i = 0; i < r->n_hosts; i++) {
                if (strcmp(r->hosts[i].cfg->role, "master") != 0)
                        continue;
                struct pharos_error e = {0};
                int rc = try_master(r, i, &e);
                if (rc == 0) {
                        *out = r->kube;
                        return 0;
                }
                /* One master whose API may come up is reason enough to ask again. */
                if (rc == PERR_TRANSIENT)
                        code = PERR_TRANSIENT;
                size_t used = strlen(why);
                snprintf(why + used, sizeof(why) - used, "%s%.300s", used ? "; " : "", e.msg);
        }
        return perr_set(err, code, "no master's Kubernetes API is usable: %s",
                        why[0] ? why : "no masters");
}

void run_kube_close(struct run *r)
{
        /* Each request is a round trip through a master's tunnel: bench/up.sh reads it. */
        if (r->kube)
                log_debug(
                        "%lu Kubernetes API requests (%lu of them writes; the lock's Lease aside)",
                        kube_request_count(r->kube), kube_write_count(r->kube));
        kube_client_free(r->kube);
        r->kube = NULL;
}
