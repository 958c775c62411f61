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

/* The longest single-line value cluster.yml may hold. */
#define CFG_MAX_TEXT 4096

/*
 * checks_text.c: what every string and the strings bound for a given format
 * must be. cfg_check_text is the rule for all strings (no line break or other
 * control character, at most CFG_MAX_TEXT bytes); the others are formats.
 */
int cfg_check_text(const char *v, char *why, size_t n);
int cfg_check_user(const char *v, char *why, size_t n);
int cfg_check_interface(const char *v, char *why, size_t n);
int cfg_check_file_name(const char *v, char *why, size_t n);
int cfg_check_abs_path(const char *v, char *why, size_t n);
int cfg_check_env_name(const char *v, char *why, size_t n);
int cfg_check_env_value(const char *v, char *why, size_t n);
int cfg_check_label_key(const char *v, char *why, size_t n);
int cfg_check_label_value(const char *v, char *why, size_t n);
int cfg_check_dns_subdomain(const char *v, char *why, size_t n);
int cfg_check_dns_label(const char *v, char *why, size_t n);
/* Pod Security Admission's version: "latest" or "vMAJOR.MINOR". */
int cfg_check_psa_version(const char *v, char *why, size_t n);
int cfg_check_image_repository(const char *v, char *why, size_t n);
int cfg_check_registry(const char *v, char *why, size_t n);
int cfg_check_flag_arg(const char *v, char *why, size_t n);
int cfg_check_key_word(const char *v, char *why, size_t n);
int cfg_check_san(const char *v, char *why, size_t n);

#endif
