/* Value formats of the core schema (the side table in extras.c points at them). */
#ifndef PHAROS_CORE_CONFIG_CHECKS_H
#define PHAROS_CORE_CONFIG_CHECKS_H

#include <stddef.h>

struct cfg_cidr {
        int family; /* 4 or 6 */
        unsigned char addr[16];
        int prefix;
};

int cfg_cidr_parse(const char *v, struct cfg_cidr *out);
/* True when the two networks share an address. */
int cfg_cidr_overlap(const struct cfg_cidr *a, const struct cfg_cidr *b);

/* A CIDR kubeadm takes as networking.serviceSubnet / podSubnet (sizes it refuses). */
int cfg_check_service_cidr(const char *v, char *why, size_t n);
int cfg_check_pod_cidr(const char *v, char *why, size_t n);
int cfg_check_port_spec(const char *v, char *why, size_t n);
int cfg_check_version(const char *v, char *why, size_t n);
int cfg_check_url(const char *v, char *why, size_t n);
int cfg_check_plugin_word(const char *v, char *why, size_t n);

#endif
