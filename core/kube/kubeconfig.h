/*
 * kubeconfig files: reading the admin.conf kubeadm writes (to reach the
 * API), and writing or merging one for the user (`pharos kubeconfig`).
 */
#ifndef PHAROS_CORE_KUBECONFIG_H
#define PHAROS_CORE_KUBECONFIG_H

#include "util/error.h"

/* The current context's cluster and user. All strings malloc'd, PEM decoded. */
struct kubeconfig {
        char *cluster; /* cluster entry name */
        char *user;    /* user entry name */
        char *context; /* context name */
        char *server;  /* https://HOST:PORT */
        char *ca_pem;
        char *cert_pem;
        char *key_pem; /* secret: wiped by kubeconfig_free */
};

/* Parses kubeconfig text (YAML or JSON) and resolves its current context. */
int kubeconfig_parse(const char *text, const char *source, struct kubeconfig *out,
                     struct pharos_error *err);
void kubeconfig_free(struct kubeconfig *kc);

/* Renders kc as a kubeconfig YAML with one cluster, user and context (malloc'd). */
char *kubeconfig_render(const struct kubeconfig *kc);

/*
 * Merges kc into an existing kubeconfig text (replacing the entries of the
 * same names, keeping every other one, making kc's context current) and
 * returns the new YAML (malloc'd). `existing` may be NULL or empty.
 */
int kubeconfig_merge(const char *existing, const char *source, const struct kubeconfig *kc,
                     char **out, struct pharos_error *err);

#endif
