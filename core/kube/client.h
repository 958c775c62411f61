/*
 * A Kubernetes API client on libcurl: TLS with the cluster CA and the admin
 * client certificate. The TCP connection can come from a callback (an SSH
 * tunnel to the master's API port) while TLS still checks the server's name.
 */
#ifndef PHAROS_CORE_KUBE_CLIENT_H
#define PHAROS_CORE_KUBE_CLIENT_H

#include <stddef.h>

#include "util/error.h"

/* How to reach the API. Strings are copied by kube_client_new(). */
struct kube_conn {
        const char *server; /* "https://HOST:PORT": the name TLS checks */
        /* Returns a connected socket to use instead of connecting to the
         * server (the client closes it), or <0. NULL: connect directly. */
        int (*open_socket)(void *ud);
        void *socket_ud;
        const char *ca_pem;   /* cluster CA certificate(s), PEM */
        const char *cert_pem; /* client certificate, PEM */
        const char *key_pem;  /* client key, PEM */
        long timeout_ms;      /* per request; 0 = 30 s */
};

struct kube_client;

/* One response; body is NUL-terminated, owned by the response. */
struct kube_response {
        long status; /* HTTP status */
        char *body;
        size_t len;
};

/* What discovery says about a kind (a copy, owned by the caller). */
struct kube_resource {
        char group_version[128]; /* "v1", "apps/v1" */
        char plural[128];        /* "deployments" */
        int namespaced;
};

int kube_client_new(const struct kube_conn *conn, struct kube_client **out,
                    struct pharos_error *err);
void kube_client_free(struct kube_client *kc);

/*
 * Sends METHOD PATH with an optional body (content type defaults to JSON).
 * Returns 0 with any HTTP status in resp; PERR_TRANSIENT when no response came,
 * or when a 401 or 403 came from an API server whose /readyz is not 200 (a
 * restarted one refuses everybody until its RBAC caches fill).
 */
int kube_request(struct kube_client *kc, const char *method, const char *path,
                 const char *content_type, const char *body, struct kube_response *resp,
                 struct pharos_error *err);
void kube_response_free(struct kube_response *resp);

/* Takes the next len bytes of a streamed body; returns 0, or <0 with err set to stop.
 * Also called with no data (NULL, 0) about once a second while the body comes,
 * or stalls, so the caller can stop it (an interrupt). */
typedef int (*kube_body_fn)(void *ud, const char *data, size_t len, struct pharos_error *err);

/*
 * Sends METHOD PATH with an optional JSON body and hands a 200's body to fn as
 * it arrives, never holding it whole (an etcd snapshot). A transfer that moves
 * nothing for 60 s fails. Returns 0 with the status in resp (for any other
 * status, resp->body holds the start of that body); fn's own code when fn
 * stopped it; PERR_TRANSIENT when the connection failed or broke off.
 */
int kube_request_stream(struct kube_client *kc, const char *method, const char *path,
                        const char *body, kube_body_fn fn, void *ud, struct kube_response *resp,
                        struct pharos_error *err);

/* True for answers worth asking again later: 429 (throttled) and 5xx. */
int kube_status_transient(long status);

/* Number of write requests (POST, PUT, PATCH, DELETE) sent so far. */
unsigned long kube_write_count(const struct kube_client *kc);

/* Number of requests of any method sent so far (each one a round trip). */
unsigned long kube_request_count(const struct kube_client *kc);

/*
 * Finds the resource of apiVersion/kind through discovery (cached; asked
 * again once on a miss, for kinds a CRD just added). PERR_FAIL if unknown.
 */
int kube_resource_lookup(struct kube_client *kc, const char *api_version, const char *kind,
                         struct kube_resource *out, struct pharos_error *err);

/*
 * Writes the URL path of an object (name NULL: its collection) into buf:
 * /api/v1/namespaces/NS/pods/NAME, /apis/apps/v1/deployments ...
 */
int kube_object_path(const struct kube_resource *res, const char *ns, const char *name, char *buf,
                     size_t size);

#endif
