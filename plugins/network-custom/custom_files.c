#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "custom_files.h"

/* The whole file, NUL-terminated, or NULL with errno set. */
static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        size_t cap = 4096, len = 0;
        char *s = malloc(cap);
        while (s) {
                size_t got = fread(s + len, 1, cap - len - 1, f);
                len += got;
                if (len + 1 < cap)
                        break;
                char *grown = realloc(s, cap * 2);
                if (!grown) {
                        free(s);
                        s = NULL;
                        break;
                }
                s = grown;
                cap *= 2;
        }
        int failed = ferror(f);
        fclose(f);
        if (s && failed) {
                free(s);
                errno = EIO;
                return NULL;
        }
        if (s)
                s[len] = '\0';
        return s;
}

static int is_manifest(const char *name)
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

static int add(struct custom_set *s, char *path, char *why, size_t why_size)
{
        char *text = slurp(path);
        if (!text) {
                snprintf(why, why_size, "%s: %s", path, strerror(errno));
                free(path);
                return -1;
        }
        struct custom_file *grown = realloc(s->files, (s->n + 1) * sizeof(*grown));
        if (!grown) {
                snprintf(why, why_size, "out of memory");
                free(path);
                free(text);
                return -1;
        }
        s->files = grown;
        s->files[s->n++] = (struct custom_file){path, text};
        return 0;
}

/* The directory's manifest names, sorted; *n of them. */
static char **list_dir(const char *dir, size_t *n, char *why, size_t why_size)
{
        DIR *d = opendir(dir);
        if (!d) {
                snprintf(why, why_size, "%s: %s", dir, strerror(errno));
                return NULL;
        }
        char **names = NULL;
        *n = 0;
        struct dirent *e;
        int failed = 0;
        while (!failed && (e = readdir(d))) {
                if (!is_manifest(e->d_name))
                        continue;
                char **grown = realloc(names, (*n + 1) * sizeof(*grown));
                char *copy = strdup(e->d_name);
                if (!grown || !copy) {
                        free(copy);
                        if (grown)
                                names = grown;
                        failed = 1;
                        break;
                }
                names = grown;
                names[(*n)++] = copy;
        }
        closedir(d);
        if (failed) {
                for (size_t i = 0; i < *n; i++)
                        free(names[i]);
                free(names);
                snprintf(why, why_size, "out of memory");
                return NULL;
        }
        if (!*n) {
                snprintf(why, why_size, "%s: no *.yml or *.yaml file in the directory", dir);
                free(names);
                return NULL;
        }
        qsort(names, *n, sizeof(*names), by_name);
        return names;
}

static char *join_path(const char *a, const char *b)
{
        size_t la = strlen(a);
        char *p = malloc(la + strlen(b) + 2);
        if (p)
                sprintf(p, "%s%s%s", a, la && a[la - 1] != '/' ? "/" : "", b);
        return p;
}

int custom_read(const char *path, const char *base_dir, struct custom_set *out, char *why,
                size_t why_size)
{
        memset(out, 0, sizeof(*out));
        char *full = path[0] == '/' || !base_dir || !base_dir[0] ? strdup(path)
                                                                 : join_path(base_dir, path);
        if (!full) {
                snprintf(why, why_size, "out of memory");
                return -1;
        }
        struct stat st;
        if (stat(full, &st) < 0) {
                snprintf(why, why_size, "%s: %s", full, strerror(errno));
                free(full);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return add(out, full, why, why_size);
        size_t n = 0;
        char **names = list_dir(full, &n, why, why_size);
        if (!names) {
                free(full);
                return -1;
        }
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                char *p = rc == 0 ? join_path(full, names[i]) : NULL;
                if (rc == 0 && !p) {
                        snprintf(why, why_size, "out of memory");
                        rc = -1;
                }
                if (rc == 0)
                        rc = add(out, p, why, why_size);
                free(names[i]);
        }
        free(names);
        free(full);
        if (rc < 0)
                custom_free(out);
        return rc;
}

void custom_free(struct custom_set *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->files[i].path);
                free(s->files[i].text);
        }
        free(s->files);
        memset(s, 0, sizeof(*s));
}

/* 0 when text is well-formed YAML, else -1 with why[] naming path, line and column. */
static int yaml_check(const char *path, const char *text, char *why, size_t why_size)
{
        yaml_parser_t p;
        if (!yaml_parser_initialize(&p)) {
                snprintf(why, why_size, "out of memory");
                return -1;
        }
        yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
        int rc = 0, done = 0;
        while (!done) {
                yaml_event_t e;
                if (!yaml_parser_parse(&p, &e)) {
                        snprintf(why, why_size, "%s:%zu:%zu: %s", path, p.problem_mark.line + 1,
                                 p.problem_mark.column + 1,
                                 p.problem ? p.problem : "not valid YAML");
                        rc = -1;
                        break;
                }
                done = e.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&p);
        return rc;
}

char *custom_render(const struct custom_set *s, const struct tmpl_var *vars, size_t n_vars,
                    char *why, size_t why_size)
{
        char *out = NULL;
        size_t len = 0;
        for (size_t i = 0; i < s->n; i++) {
                struct tmpl_error err;
                char *doc = tmpl_render(s->files[i].text, vars, n_vars, &err);
                if (!doc) {
                        if (err.line)
                                snprintf(why, why_size, "%s:%d: ${%s} %s", s->files[i].path,
                                         err.line, err.name, err.what);
                        else
                                snprintf(why, why_size, "%s", err.what);
                        free(out);
                        return NULL;
                }
                if (yaml_check(s->files[i].path, doc, why, why_size) < 0) {
                        free(doc);
                        free(out);
                        return NULL;
                }
                /* Each file starts a new document, whatever its last line was. */
                char *grown = realloc(out, len + strlen(doc) + 6);
                if (!grown) {
                        free(doc);
                        free(out);
                        snprintf(why, why_size, "out of memory");
                        return NULL;
                }
                out = grown;
                len += (size_t)sprintf(out + len, "\n---\n%s", doc);
                free(doc);
        }
        if (!out)
                snprintf(why, why_size, "no manifests");
        return out;
}
