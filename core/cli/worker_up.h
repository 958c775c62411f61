/*
 * `pharos worker up`: what the command line says (worker_up_args.c), the
 * masters it probes (master_probe.c) and the one-host configuration it builds
 * in memory instead of reading cluster.yml (worker_up_config.c).
 */
#ifndef PHAROS_CORE_CLI_WORKER_UP_H
#define PHAROS_CORE_CLI_WORKER_UP_H

#include <stddef.h>

#include "util/error.h"

#define WU_MAX 32

/* How long masters that answer as a starting API server does are asked again. */
#define WU_MASTER_WAIT_MS 120000L

struct wu_args {
        const char *join_command;
        char join_buf[1024]; /* the command when read from stdin ("-") */
        const char *masters[WU_MAX];
        size_t n_masters;
        const char *runtime;        /* --container-runtime */
        const char *labels[WU_MAX]; /* K=V */
        size_t n_labels;
        const char *taints[WU_MAX]; /* K[=V]:EFFECT */
        size_t n_taints;
        const char *registries[WU_MAX]; /* --insecure-registry */
        size_t n_registries;
        const char *image_repository; /* NULL: the default */
        const char *env[WU_MAX];      /* K=V */
        size_t n_env;
        const char *address;     /* --address, NULL: detected */
        int control_plane_proxy; /* keep the *_proxy variables for kubeadm and the kubelet */
        long master_wait_ms;     /* --master-wait: how long masters are asked again */
        int trust_hosts;
        int help;
};

/* Parses argv (argv[0] = "worker", argv[1] = "up"). PERR_USAGE with err set on a bad line. */
int wu_parse_args(int argc, char **argv, struct wu_args *a, struct pharos_error *err);

/* What the first master that answered told. */
struct wu_master {
        char endpoint[300]; /* HOST:PORT for kubeadm join */
        char host[256];     /* the address alone */
        char version[64];   /* "1.37.2" */
};

/* HOST, HOST:PORT, IPV6 or [IPV6]:PORT -> the host and "HOST:PORT" (6443 by default). */
int wu_split_master(const char *m, char *host, size_t hsize, char *endpoint, size_t esize);

/* Every master given, as its "HOST:PORT" endpoint, space-separated, into buf (WU_MAX_ENDPOINTS
 * bytes hold them all). -1 with *bad the master that is no address or does not fit. */
#define WU_MAX_ENDPOINTS (WU_MAX * 301)
int wu_master_endpoints(const struct wu_args *a, char *buf, size_t size, const char **bad);

/* Asks each master's /version in turn, over TLS checked against the CA the join
 * command pins (ca_pin.h), and again in rounds for up to a->master_wait_ms while
 * some master fails as a starting API server does (refused, 403, 5xx). PERR_FAIL
 * when none answers with a pinned CA. */
int wu_probe_masters(const struct wu_args *a, struct wu_master *m, struct pharos_error *err);

/* The local address the kernel uses toward host (IPv4 or IPv6 text), or PERR_FAIL. */
int wu_route_source(const char *host, char *out, size_t size, struct pharos_error *err);

/* The configuration of the run: this host (local transport, role worker) and the masters
 * (role master; the run never connects to them), as JSON (YAML's subset). Malloc'd. */
char *wu_config_text(const struct wu_args *a, const char *version, const char *address,
                     const char *user);

#endif
