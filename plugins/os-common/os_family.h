/*
 * What the OS-family plugins (os-ubuntu, os-debian, os-el) share: one
 * descriptor per family, the five steps built from it (four for up, one for reset), and the pure
 * helpers the steps use (also unit-tested). Linked into each of those plugins as a static library;
 * not a plugin itself.
 */
#ifndef PHAROS_OS_FAMILY_H
#define PHAROS_OS_FAMILY_H

#include <stddef.h>

#include <pharos/plugin.h>

enum os_pkg_tool {
        OS_PKG_APT = 1,
        OS_PKG_DNF,
};

/* Static storage, one per plugin; host and self are filled by os_family_init(). */
struct os_family {
        const char *name; /* the plugin name, prefix of the step ids */
        /* os.id / os.id_like words that make a host this family's ... */
        const char *const *ids;
        /* ... unless one of these words is there too (Ubuntu is ID_LIKE=debian). */
        const char *const *not_ids;
        /* Supported VERSION_IDs; "9" also accepts "9.4". */
        const char *const *versions;
        enum os_pkg_tool pkg;
        /*
         * Host scripts of the family: essentials (prepare-host) and kube
         * packages. NULL for OS_PKG_APT selects the apt scripts kept here.
         */
        const char *essentials_script;
        const char *packages_script;
        /* Step ids, "<name>.validate" ... (see OS_FAMILY_STEP_IDS). */
        const char *validate_id;
        const char *prepare_id;
        const char *repo_id;
        const char *packages_id;
        const char *reset_id;
        const char *packages_after[2];

        const struct pharos_host *host;
        struct pharos_plugin *self;
};

#define OS_FAMILY_STEP_IDS(prefix)                                                                 \
        .name = prefix, .validate_id = prefix ".validate", .prepare_id = prefix ".prepare",        \
        .repo_id = prefix ".kube-repo", .packages_id = prefix ".kube-packages",                    \
        .reset_id = prefix ".reset", .packages_after = {prefix ".kube-repo", NULL}

/* Registers the family's steps; the plugin's init() calls it. */
int os_family_init(struct os_family *fam, const struct pharos_host *host,
                   struct pharos_plugin *self, void **state);

/* 1 when a host with these os-release ID and ID_LIKE belongs to the family. */
int os_claims(const struct os_family *fam, const char *id, const char *id_like);
/* 1 when VERSION_ID is one of the family's versions. */
int os_version_supported(const struct os_family *fam, const char *version_id);
/* "22.04, 24.04" into buf. */
void os_supported_list(const struct os_family *fam, char *buf, size_t n);
/* 1 for the CPU architectures Kubernetes packages exist for (uname -m). */
int os_arch_supported(const char *arch);

/* "1.37" from "1.37.2"; -1 when version is not MAJOR.MINOR.PATCH. */
int os_kube_minor(const char *version, char *out, size_t n);

/* A package repository file the kube-repo step keeps on a host. */
struct os_repo {
        char file[256];     /* /etc/apt/sources.list.d/x.list or /etc/yum.repos.d/x.repo */
        char *contents;     /* the file's text (malloc'd), without the final newline */
        char key_url[512];  /* signing key to fetch, or "" */
        char key_file[256]; /* apt: where the dearmored key goes; dnf: "" (rpm --import) */
};

/* The pkgs.k8s.io repository for a Kubernetes minor, as the install docs write it. */
int os_default_repo(enum os_pkg_tool pkg, const char *minor, struct os_repo *out);
/*
 * A host's `repositories` entry. Fails (message in why) on a name that is not
 * a plain file name. An apt key goes to the keyring the contents name with
 * signed-by=, else (apt-key's successor) to /etc/apt/trusted.gpg.d/NAME.gpg.
 */
int os_custom_repo(enum os_pkg_tool pkg, const char *name, const char *contents,
                   const char *key_url, struct os_repo *out, char *why, size_t why_n);
void os_repo_free(struct os_repo *r);

/* apt preferences pinning the kube packages to VERSION (apt only). */
int os_apt_pin(const char *version, char *buf, size_t n);

/*
 * One /etc/environment line, KEY="VALUE". Fails (message in why) when the key
 * is not a shell name or the value holds a quote, backslash or line break,
 * which /etc/environment cannot carry.
 */
int os_env_line(const char *key, const char *value, char *buf, size_t n, char *why, size_t why_n);
/* 1 for the proxy variables passed through to every host script. */
int os_is_proxy_var(const char *key);

/* Appends "; " (when not first) and the text of every PREFIX line of out. */
void os_collect_lines(const char *out, const char *prefix, char *buf, size_t n);

#endif
