#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/manifests.h"
#include "kube/json.h"
#include "kube/yaml_json.h"

/* Where a problem is reported: the list entry that led to the file. */
struct where {
        struct cfg_diags *d;
        const cfg_node *entry;
};

__attribute__((format(printf, 2, 3))) static void problem(const struct where *w, const char *fmt,
                                                          ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cfg_error(w->d, w->entry->line, w->entry->col, "manifests: %s", msg);
}

static char *join(const char *dir, const char *name)
{
        char *p = NULL;
        size_t n = strlen(dir);
        if (asprintf(&p, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name) < 0)
                return NULL;
        return p;
}

/* The whole regular file at path, or NULL with why[] filled. */
static char *read_manifest(const char *path, size_t *len, char *why, size_t why_size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                snprintf(why, why_size, "%s", strerror(errno));
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        char *buf = NULL;
        if (!S_ISREG(st.st_mode))
                snprintf(why, why_size, "not a file or a directory");
        else if ((unsigned long long)st.st_size > CFG_MAX_MANIFEST_SIZE)
                snprintf(why, why_size, "larger than %u MiB", CFG_MAX_MANIFEST_SIZE >> 20);
        else if (!(buf = malloc((size_t)st.st_size + 1)))
                snprintf(why, why_size, "out of memory");
        size_t n = 0;
        while (buf && n < (size_t)st.st_size) {
                ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        snprintf(why, why_size, "%s",
                                 r < 0 ? strerror(errno) : "changed while read");
                        free(buf);
                        buf = NULL;
                        break;
                }
                n += (size_t)r;
        }
        close(fd);
        if (buf)
                buf[n] = '\0';
        *len = n;
        return buf;
}

/* Every document of the file is a resource the stack can address. */
static void check_file(const struct where *w, const char *path)
{
        char why[256];
        size_t len = 0;
        char *text = read_manifest(path, &len, why, sizeof(why));
        if (!text) {
                problem(w, "%s: %s", path, why);
                return;
        }
        struct json_docs docs = {0};
        struct pharos_error err = {0};
        if (yaml_to_json(text, len, path, &docs, &err) < 0) {
                /* err.msg is already PATH:LINE:COL: PROBLEM. */
                problem(w, "%s", err.msg);
                free(text);
                return;
        }
        free(text);
        for (size_t i = 0; i < docs.n; i++) {
                char msg[128];
                yajl_val doc = json_parse(docs.json[i], msg, sizeof(msg));
                const char *missing = !YAJL_IS_OBJECT(doc)                  ? NULL
                                      : !json_get_str(doc, "apiVersion")    ? "apiVersion"
                                      : !json_get_str(doc, "kind")          ? "kind"
                                      : !json_get_str(doc, "metadata.name") ? "metadata.name"
                                                                            : NULL;
                int object = YAJL_IS_OBJECT(doc);
                yajl_tree_free(doc);
                if (object && !missing)
                        continue;
                if (object)
                        problem(w, "%s:%d: not a Kubernetes resource: no %s", path, docs.line[i],
                                missing);
                else
                        problem(w, "%s:%d: not a Kubernetes resource: not a mapping", path,
                                docs.line[i]);
                break;
        }
        json_docs_free(&docs);
}

static int is_manifest_name(const char *name)
{
        size_t n = strlen(name);
        if (name[0] == '.')
                return 0;
        return (n > 4 && !strcmp(name + n - 4, ".yml")) ||
               (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_dir(const struct where *w, const char *dir)
{
        DIR *dp = opendir(dir);
        if (!dp) {
                problem(w, "%s: %s", dir, strerror(errno));
                return;
        }
        char **files = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(dp))) {
                struct stat st;
                char *p = is_manifest_name(e->d_name) ? join(dir, e->d_name) : NULL;
                /* Subdirectories and anything else that is not a file are left out. */
                if (!p || stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
                        free(p);
                        continue;
                }
                char **grown = realloc(files, (n + 1) * sizeof(*files));
                if (!grown) {
                        free(p);
                        w->d->fatal = 1;
                        break;
                }
                files = grown;
                files[n++] = p;
        }
        closedir(dp);
        if (!n)
                problem(w, "%s: no *.yml or *.yaml file in the directory", dir);
        else
                qsort(files, n, sizeof(*files), by_name);
        for (size_t i = 0; i < n; i++) {
                check_file(w, files[i]);
                free(files[i]);
        }
        free(files);
}

void cfg_manifests_check(const cfg_node *root, const char *base_dir, struct cfg_diags *d)
{
        const cfg_node *list = cfg_map_get(root, "manifests", NULL);
        for (size_t i = 0; list && list->kind == PHAROS_CONFIG_LIST && i < list->len; i++) {
                const cfg_node *entry = list->items[i];
                if (entry->kind != PHAROS_CONFIG_SCALAR || !entry->text)
                        continue;
                struct where w = {d, entry};
                int relative = entry->text[0] != '/' && base_dir && *base_dir &&
                               strcmp(base_dir, ".") != 0;
                char *path = relative ? join(base_dir, entry->text) : strdup(entry->text);
                struct stat st;
                if (!path)
                        d->fatal = 1;
                else if (stat(path, &st) < 0)
                        problem(&w, "%s: %s", path, strerror(errno));
                else if (S_ISDIR(st.st_mode))
                        check_dir(&w, path);
                else
                        check_file(&w, path);
                free(path);
        }
}

int cfg_manifests_verify(const struct cluster_config *cfg, struct pharos_error *err)
{
        int is_stdin = strcmp(cfg->source, "-") == 0;
        char *copy = is_stdin ? NULL : strdup(cfg->source);
        if (!is_stdin && !copy)
                return perr_set(err, PERR_NOMEM, "out of memory");
        struct cfg_diags d = {0};
        cfg_manifests_check(cfg->doc->tree, copy ? dirname(copy) : NULL, &d);
        free(copy);
        cfg_diag_print(&d, cfg->source, stderr);
        int rc = 0;
        if (d.n_errors)
                rc = perr_set(err, PERR_USAGE, "%s: %zu error%s in the configuration", cfg->source,
                              d.n_errors, d.n_errors == 1 ? "" : "s");
        else if (d.fatal)
                rc = perr_set(err, PERR_NOMEM, "out of memory");
        cfg_diag_free(&d);
        return rc;
}
