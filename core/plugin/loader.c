#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/builtin.h"
#include "plugin/host_services.h"
#include "plugin/loader.h"
#include "plugin/path_trust.h"
#include "util/log.h"

static int valid_name(const char *s)
{
        if (!s || !*s)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
                        return 0;
        return 1;
}

int loader_accept_desc(const struct pharos_plugin_desc *d, const char *origin,
                       struct pharos_plugin_desc *out, struct pharos_error *err)
{
        struct pharos_error inner = {0};

        if (!d)
                return perr_set(err, PERR_FAIL,
                                "%s: rejected: pharos_plugin_describe() returned NULL", origin);
        if (d->abi_major != PHAROS_ABI_MAJOR)
                return perr_set(
                        err, PERR_FAIL,
                        "%s: rejected: built for plugin ABI %u.%u, this pharos has ABI %d.%d "
                        "(the major version must match)",
                        origin, d->abi_major, d->abi_minor, PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR);
        if (d->abi_minor > PHAROS_ABI_MINOR)
                return perr_set(
                        err, PERR_FAIL,
                        "%s: rejected: built for plugin ABI %u.%u, this pharos has ABI %d.%d "
                        "(the plugin needs a newer pharos)",
                        origin, d->abi_major, d->abi_minor, PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR);
        if (abi_copy_struct(out, sizeof(*out), d, d->struct_size, PHAROS_PLUGIN_DESC_SIZE_1_0,
                            "plugin descriptor", &inner) < 0)
                return perr_set(err, PERR_FAIL, "%s: rejected: %s", origin, inner.msg);
        if (!valid_name(out->name))
                return perr_set(err, PERR_FAIL, "%s: rejected: plugin name '%s' is not [a-z0-9-]+",
                                origin, out->name ? out->name : "(null)");
        if (out->kind < PHAROS_KIND_OS || out->kind > PHAROS_KIND_OTHER)
                return perr_set(err, PERR_FAIL, "%s: rejected: plugin '%s' has unknown kind %u",
                                origin, out->name, out->kind);
        if (!out->version || !out->description)
                return perr_set(err, PERR_FAIL,
                                "%s: rejected: plugin '%s' has no version or description", origin,
                                out->name);
        if (out->config_schema && !out->config_section)
                return perr_set(
                        err, PERR_FAIL,
                        "%s: rejected: plugin '%s' declares a config schema without a section",
                        origin, out->name);
        return 0;
}

/* Accepts the descriptor, checks for a duplicate name, and runs init. */
static int add_plugin(struct registry *r, const struct pharos_plugin_desc *d, const char *origin,
                      void *dl, struct pharos_error *err)
{
        struct pharos_plugin *p = calloc(1, sizeof(*p));
        if (!p)
                return perr_set(err, PERR_NOMEM, "out of memory");
        if (loader_accept_desc(d, origin, &p->desc, err) < 0) {
                free(p);
                return PERR_FAIL;
        }
        const struct pharos_plugin *dup = registry_find(r, p->desc.name);
        if (dup) {
                perr_set(err, 1, "plugin '%s' from %s ignored: already loaded from %s",
                         p->desc.name, origin, dup->origin);
                free(p);
                return 1;
        }
        p->dl = dl;
        p->origin = strdup(origin);
        if (!p->origin) {
                free(p);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        struct pharos_error inner = {0};
        if (registry_add(r, p, host_services(), &inner) < 0)
                return perr_set(err, PERR_FAIL, "%s: rejected: %s", origin, inner.msg);
        return 0;
}

int loader_load_file(struct registry *r, const char *path, struct pharos_error *err)
{
        struct stat st;
        char real[PATH_MAX];
        if (plugin_path_trusted(path, real, sizeof(real), err) < 0)
                return PERR_FAIL;
        if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
                return perr_set(err, PERR_FAIL, "%s: rejected: not a regular file", path);
        /* The checked absolute path: a name without '/' would send dlopen searching
         * LD_LIBRARY_PATH and the system library directories instead. */
        void *dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return perr_set(err, PERR_FAIL, "%s: rejected: cannot load: %s", path, dlerror());
        /* POSIX guarantees dlsym for functions, so the entry point is one. */
        void *sym = dlsym(dl, PHAROS_PLUGIN_DESCRIBE_SYMBOL);
        if (!sym) {
                dlclose(dl);
                return perr_set(err, PERR_FAIL, "%s: rejected: no %s symbol (not a pharos plugin)",
                                path, PHAROS_PLUGIN_DESCRIBE_SYMBOL);
        }
        pharos_describe_fn describe;
        memcpy(&describe, &sym, sizeof(describe));
        /* From here pointers into the module may be registered: it stays open. */
        return add_plugin(r, describe(), path, dl, err);
}

/*
 * What one search-path entry (or the built-in set) left out. Duplicates are
 * expected when a build tree is searched before an installed copy, so they are
 * counted and said once per entry; each is named only at -v.
 */
struct tally {
        size_t rejected;
        size_t dups;
        char first_dup[sizeof(((struct pharos_error *)0)->msg)];
};

static void report(int rc, const struct pharos_error *err, struct tally *t)
{
        if (rc == 0)
                return;
        if (rc > 0) {
                log_debug("%s", err->msg);
                if (t->dups++ == 0)
                        snprintf(t->first_dup, sizeof(t->first_dup), "%s", err->msg);
                return;
        }
        log_warn("%s", err->msg);
        t->rejected++;
}

/* Says the duplicates of one entry in one line (`what`: "plugins from DIR");
 * its rejections join the total. */
static void tally_close(struct tally *t, const char *what, size_t *rejected)
{
        if (t->dups == 1)
                log_warn("%s", t->first_dup);
        else if (t->dups > 1)
                log_warn("%zu %s ignored: already loaded from earlier in the search path (-v "
                         "names them)",
                         t->dups, what);
        *rejected += t->rejected;
        *t = (struct tally){0};
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Paths already scanned, so one directory named twice is not loaded twice. */
struct seen {
        char **paths;
        size_t n;
};

static int seen_before(struct seen *s, const char *path)
{
        char real[PATH_MAX];
        if (!realpath(path, real))
                return 0;
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->paths[i], real) == 0)
                        return 1;
        char **grown = realloc(s->paths, (s->n + 1) * sizeof(*grown));
        if (grown) {
                s->paths = grown;
                s->paths[s->n] = strdup(real);
                if (s->paths[s->n])
                        s->n++;
        }
        return 0;
}

static void load_dir(struct registry *r, const char *dir, struct tally *t)
{
        DIR *d = opendir(dir);
        if (!d) {
                log_debug("plugin directory %s: not readable, skipped", dir);
                return;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                size_t len = strlen(e->d_name);
                if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
                        continue;
                char **grown = realloc(names, (n + 1) * sizeof(*grown));
                if (!grown)
                        break;
                names = grown;
                if ((names[n] = strdup(e->d_name)))
                        n++;
        }
        closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                char path[PATH_MAX];
                struct pharos_error err = {0};
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                report(loader_load_file(r, path, &err), &err, t);
                free(names[i]);
        }
        free(names);
}

static void load_entry(struct registry *r, const char *path, struct seen *seen, size_t *rejected)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                log_debug("plugin path %s: does not exist, skipped", path);
                return;
        }
        if (seen_before(seen, path))
                return;
        char real[PATH_MAX];
        struct tally t = {0};
        struct pharos_error err = {0};
        if (plugin_path_trusted(path, real, sizeof(real), &err) < 0)
                report(PERR_FAIL, &err, &t);
        else if (S_ISDIR(st.st_mode))
                load_dir(r, path, &t);
        else
                report(loader_load_file(r, path, &err), &err, &t);
        char what[PATH_MAX + 16];
        snprintf(what, sizeof(what), "plugins from %s", path);
        tally_close(&t, what, rejected);
}

size_t loader_load_all(struct registry *r, const struct loader_opts *o)
{
        size_t rejected = 0;
        struct seen seen = {0};

        for (size_t i = 0; i < o->n_paths; i++)
                load_entry(r, o->paths[i], &seen, &rejected);
        if (o->env_path && *o->env_path) {
                char *copy = strdup(o->env_path), *save = NULL;
                for (char *tok = copy ? strtok_r(copy, ":", &save) : NULL; tok;
                     tok = strtok_r(NULL, ":", &save))
                        load_entry(r, tok, &seen, &rejected);
                free(copy);
        }
        if (o->builtins) {
                struct tally t = {0};
                for (const pharos_describe_fn *f = pharos_builtin_plugins; *f; f++) {
                        struct pharos_error err = {0};
                        report(add_plugin(r, (*f)(), "builtin", NULL, &err), &err, &t);
                }
                tally_close(&t, "built-in plugins", &rejected);
        }
        if (o->system_dir)
                load_entry(r, o->system_dir, &seen, &rejected);
        for (size_t i = 0; i < seen.n; i++)
                free(seen.paths[i]);
        free(seen.paths);
        return rejected;
}
