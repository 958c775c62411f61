#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifests_files.h"

static char *join(const char *dir, const char *name)
{
        char *p = NULL;
        size_t n = strlen(dir);
        if (asprintf(&p, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name) < 0)
                return NULL;
        return p;
}

/* Appends "\n---\n" and the file, so each file starts a document whatever its last line was. */
static int append(const char *path, char **stream, size_t *len, char *why, size_t why_size)
{
        FILE *f = fopen(path, "rb");
        struct stat st;
        if (!f || fstat(fileno(f), &st) < 0) {
                snprintf(why, why_size, "%s: %s", path, strerror(errno));
                if (f)
                        fclose(f);
                return -1;
        }
        if (!S_ISREG(st.st_mode)) {
                fclose(f);
                snprintf(why, why_size, "%s: not a file or a directory", path);
                return -1;
        }
        size_t size = (size_t)st.st_size;
        char *grown = realloc(*stream, *len + size + 6);
        if (!grown) {
                fclose(f);
                snprintf(why, why_size, "out of memory");
                return -1;
        }
        *stream = grown;
        memcpy(grown + *len, "\n---\n", 5);
        size_t got = fread(grown + *len + 5, 1, size, f);
        int failed = ferror(f);
        fclose(f);
        if (failed || got != size) {
                snprintf(why, why_size, "%s: %s", path,
                         failed ? strerror(EIO) : "changed while read");
                return -1;
        }
        *len += 5 + size;
        grown[*len] = '\0';
        return 0;
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

static int append_dir(const char *dir, char **stream, size_t *len, size_t *n_files, char *why,
                      size_t why_size)
{
        DIR *dp = opendir(dir);
        if (!dp) {
                snprintf(why, why_size, "%s: %s", dir, strerror(errno));
                return -1;
        }
        char **files = NULL;
        size_t n = 0;
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(dp))) {
                struct stat st;
                char *p = is_manifest_name(e->d_name) ? join(dir, e->d_name) : NULL;
                if (!p || stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
                        free(p);
                        continue;
                }
                char **grown = realloc(files, (n + 1) * sizeof(*files));
                if (!grown) {
                        free(p);
                        snprintf(why, why_size, "out of memory");
                        rc = -1;
                        break;
                }
                files = grown;
                files[n++] = p;
        }
        closedir(dp);
        if (rc == 0 && !n) {
                snprintf(why, why_size, "%s: no *.yml or *.yaml file in the directory", dir);
                rc = -1;
        }
        if (n)
                qsort(files, n, sizeof(*files), by_name);
        for (size_t i = 0; i < n; i++) {
                if (rc == 0)
                        rc = append(files[i], stream, len, why, why_size);
                free(files[i]);
        }
        free(files);
        *n_files += rc == 0 ? n : 0;
        return rc;
}

int manifests_read(const char *entry, const char *base_dir, char **stream, size_t *len,
                   size_t *n_files, char *why, size_t why_size)
{
        int relative = entry[0] != '/' && base_dir && *base_dir && strcmp(base_dir, ".") != 0;
        char *path = relative ? join(base_dir, entry) : strdup(entry);
        if (!path) {
                snprintf(why, why_size, "out of memory");
                return -1;
        }
        struct stat st;
        int rc;
        if (stat(path, &st) < 0) {
                snprintf(why, why_size, "%s: %s", path, strerror(errno));
                rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
                rc = append_dir(path, stream, len, n_files, why, why_size);
        } else {
                rc = append(path, stream, len, why, why_size);
                *n_files += rc == 0;
        }
        free(path);
        return rc;
}
