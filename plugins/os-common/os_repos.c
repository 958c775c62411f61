/*
 * The package repository files the kube-repo step keeps, and the apt pin of
 * the kube packages. Text only: the host scripts compare and write it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_family.h"

#define PKGS_K8S    "https://pkgs.k8s.io/core:/stable:/v"
#define APT_KEYRING "/etc/apt/keyrings/kubernetes-apt-keyring.gpg"

/* Sets r->contents to "# signing key: URL\n" (when there is a key) followed by body. */
static int set_contents(struct os_repo *r, const char *body)
{
        const char *fmt = r->key_url[0] ? "# signing key: %s\n%s" : "%s%s";
        const char *first = r->key_url[0] ? r->key_url : "";
        int n = snprintf(NULL, 0, fmt, first, body);
        if (n < 0 || !(r->contents = malloc((size_t)n + 1)))
                return -1;
        snprintf(r->contents, (size_t)n + 1, fmt, first, body);
        size_t len = strlen(r->contents);
        while (len > 0 && r->contents[len - 1] == '\n')
                r->contents[--len] = '\0';
        return 0;
}

int os_default_repo(enum os_pkg_tool pkg, const char *minor, struct os_repo *out)
{
        char body[1024];
        memset(out, 0, sizeof(*out));
        if (pkg == OS_PKG_APT) {
                snprintf(out->file, sizeof(out->file), "/etc/apt/sources.list.d/kubernetes.list");
                snprintf(out->key_url, sizeof(out->key_url), PKGS_K8S "%s/deb/Release.key", minor);
                snprintf(out->key_file, sizeof(out->key_file), APT_KEYRING);
                snprintf(body, sizeof(body),
                         "deb [signed-by=" APT_KEYRING "] " PKGS_K8S "%s/deb/ /", minor);
        } else {
                /* dnf fetches gpgkey itself; exclude= is the docs' hold on the kube packages. */
                snprintf(out->file, sizeof(out->file), "/etc/yum.repos.d/kubernetes.repo");
                snprintf(body, sizeof(body),
                         "[kubernetes]\n"
                         "name=Kubernetes\n"
                         "baseurl=" PKGS_K8S "%s/rpm/\n"
                         "enabled=1\n"
                         "gpgcheck=1\n"
                         "gpgkey=" PKGS_K8S "%s/rpm/repodata/repomd.xml.key\n"
                         "exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni",
                         minor, minor);
        }
        return set_contents(out, body);
}

static int plain_name(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n > 100 || name[0] == '.' || name[0] == '-')
                return 0;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               n;
}

/* The path after signed-by= in contents, or 0 when there is none. */
static int signed_by(const char *contents, char *out, size_t n)
{
        const char *p = strstr(contents, "signed-by=");
        if (!p)
                return 0;
        p += strlen("signed-by=");
        size_t len = strcspn(p, " \t\n]");
        if (len == 0 || len >= n)
                return 0;
        memcpy(out, p, len);
        out[len] = '\0';
        return 1;
}

int os_custom_repo(enum os_pkg_tool pkg, const char *name, const char *contents,
                   const char *key_url, struct os_repo *out, char *why, size_t why_n)
{
        memset(out, 0, sizeof(*out));
        if (!name || !plain_name(name)) {
                snprintf(why, why_n,
                         "repository name '%s' must be a plain file name ([A-Za-z0-9._-])",
                         name ? name : "");
                return -1;
        }
        if (!contents) {
                snprintf(why, why_n, "repository '%s' has no contents", name);
                return -1;
        }
        if (key_url && strlen(key_url) >= sizeof(out->key_url)) {
                snprintf(why, why_n, "repository '%s': key_url is too long", name);
                return -1;
        }
        snprintf(out->key_url, sizeof(out->key_url), "%s", key_url ? key_url : "");
        if (pkg == OS_PKG_APT) {
                snprintf(out->file, sizeof(out->file), "/etc/apt/sources.list.d/%s.list", name);
                if (out->key_url[0] && !signed_by(contents, out->key_file, sizeof(out->key_file)))
                        snprintf(out->key_file, sizeof(out->key_file),
                                 "/etc/apt/trusted.gpg.d/%s.gpg", name);
        } else {
                snprintf(out->file, sizeof(out->file), "/etc/yum.repos.d/%s.repo", name);
        }
        if (set_contents(out, contents) < 0) {
                snprintf(why, why_n, "out of memory");
                return -1;
        }
        return 0;
}

void os_repo_free(struct os_repo *r)
{
        free(r->contents);
        r->contents = NULL;
}

int os_apt_pin(const char *version, char *buf, size_t n)
{
        int w = snprintf(buf, n,
                         "Package: kubelet kubeadm kubectl\n"
                         "Pin: version %s-*\n"
                         "Pin-Priority: 1001",
                         version);
        return w < 0 || (size_t)w >= n ? -1 : 0;
}
