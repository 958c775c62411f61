/* Selecting hosts of cluster.yml by role, labels and address (exec, ssh). */
#ifndef PHAROS_CORE_CLI_HOST_FILTER_H
#define PHAROS_CORE_CLI_HOST_FILTER_H

#include <stddef.h>

#include "config/config.h"
#include "util/error.h"

#define HF_MAX 32

/* Strings are borrowed (argv). */
struct host_filter {
        const char *role;           /* NULL: any role */
        const char *labels[HF_MAX]; /* "KEY=VALUE"; a host must carry all of them */
        size_t n_labels;
        const char *addresses[HF_MAX]; /* a host must have one of them (address or private) */
        size_t n_addresses;
        int first; /* keep only the first match */
};

/* Adds a -l KEY=VALUE / -a ADDRESS. Returns 0 or PERR_USAGE with err set. */
int hf_add_label(struct host_filter *f, const char *kv, struct pharos_error *err);
int hf_add_address(struct host_filter *f, const char *address, struct pharos_error *err);

/* True when host h passes every criterion of f (ignoring `first`). */
int hf_match(const struct host_filter *f, const struct cfg_host *h);

/* Writes the indexes of the matching hosts, in cluster.yml order, to idx
 * (room for n entries) and returns how many. */
size_t hf_select(const struct host_filter *f, const struct cfg_host *hosts, size_t n, size_t *idx);

/* Describes f for "no host matches ..." messages. */
void hf_describe(const struct host_filter *f, char *buf, size_t cap);

#endif
