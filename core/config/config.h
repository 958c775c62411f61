/*
 * cluster.yml as the core sees it after loading and validation: every
 * default filled in. Produced by cfg_load(); freed with cfg_free().
 *
 * Plugin-owned sections (network.<provider>, addons.<name>) are kept as
 * generic trees and validated against the owning plugin's schema.
 */
#ifndef PHAROS_CORE_CONFIG_H
#define PHAROS_CORE_CONFIG_H

#include <stddef.h>

/* A key/value pair of a string map (labels, environment ...). */
struct cfg_kv {
        char *key;
        char *value;
};

struct cfg_taint {
        char *key;
        char *value;  /* may be NULL */
        char *effect; /* NoSchedule, PreferNoSchedule or NoExecute */
};

/* Where a value came from, for located messages. */
struct cfg_mark {
        int line; /* 1-based, 0 when the value is a default */
        int col;  /* 1-based */
};

struct cfg_bastion {
        char *address;
        char *user;              /* default: the host's user */
        char *ssh_key_path;      /* "~" already expanded */
        int ssh_port;            /* default 22 */
        char *ssh_proxy_command; /* may be NULL */
};

struct cfg_repository {
        char *name;
        char *contents;
        char *key_url; /* may be NULL */
};

/* Host keys that cluster.yml may leave to their defaults (struct cfg_host.given). */
enum cfg_host_given {
        CFG_GIVEN_USER = 1u << 0,
        CFG_GIVEN_SSH_KEY_PATH = 1u << 1,
        CFG_GIVEN_SSH_PORT = 1u << 2,
        CFG_GIVEN_CONTAINER_RUNTIME = 1u << 3,
};

struct cfg_host {
        char *address;
        char *private_address;   /* may be NULL */
        char *private_interface; /* may be NULL */
        char *role;              /* "master" or "worker" */
        struct cfg_kv *labels;
        size_t n_labels;
        struct cfg_taint *taints;
        size_t n_taints;
        char *user;                  /* default "ubuntu" */
        char *ssh_key_path;          /* default "~/.ssh/id_rsa", "~" expanded */
        int ssh_port;                /* default 22 */
        char *ssh_proxy_command;     /* may be NULL */
        struct cfg_bastion *bastion; /* may be NULL */
        char *container_runtime;     /* default "containerd" (PHAROS_DEFAULT_CONTAINER_RUNTIME) */
        struct cfg_kv *environment;
        size_t n_environment;
        struct cfg_repository *repositories;
        size_t n_repositories;
        struct cfg_mark mark; /* position of the host's entry in cluster.yml */
        unsigned given;       /* enum cfg_host_given: what cluster.yml set, not defaulted */
};

/* The whole loaded document, typed: network, addons, kubelet ... (config/doc.h). */
struct cfg_doc;

struct cluster_config {
        char *source; /* the file name used in messages ("-" for stdin) */
        char *name;   /* cluster name, may be NULL until generated */
        struct cfg_host *hosts;
        size_t n_hosts;
        struct cfg_doc *doc; /* everything else, typed where the core needs it */
};

#include "config/doc.h"
#include "util/error.h"

/*
 * Loads and validates cluster.yml (path "-" = stdin) against the core schema
 * and the schemas of the plugins in `reg` (may be NULL: plugin sections are
 * then errors). Every problem is printed as FILE:LINE:COL: error: MESSAGE;
 * on failure returns PERR_USAGE and err summarises. Opens no socket.
 */
struct registry;
int cfg_load(const char *path, const struct registry *reg, struct cluster_config **out,
             struct pharos_error *err);
void cfg_free(struct cluster_config *cfg);

#endif
