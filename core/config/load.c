#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/defaults.h"
#include "config/load.h"
#include "config/parse.h"
#include "config/plugin_rules.h"
#include "config/rules.h"
#include "config/typed.h"
#include "config/validate.h"

int cfg_load_buffer(const char *buf, size_t len, const char *name, const struct registry *reg,
                    struct cluster_config **out, struct cfg_diags *d, struct pharos_error *err)
{
        cfg_node *root = NULL;
        *out = NULL;
        if (len > CFG_MAX_FILE_SIZE) {
                cfg_error(d, 1, 1, "file is larger than %u MiB, the limit for cluster.yml",
                          CFG_MAX_FILE_SIZE >> 20);
                return perr_set(err, PERR_USAGE, "%s: 1 error in the configuration", name);
        }
        if (cfg_parse(buf, len, &root, d) == 0) {
                cfg_validate(&root, reg, d);
                cfg_rules(root, d);
                cfg_plugin_rules(root, reg, d);
        }
        if (d->fatal && !d->n_errors)
                cfg_error(d, 0, 0, "out of memory");
        if (d->n_errors) {
                cfg_node_free(root);
                return perr_set(err, PERR_USAGE, "%s: %zu error%s in the configuration", name,
                                d->n_errors, d->n_errors == 1 ? "" : "s");
        }
        struct cluster_config *cfg = calloc(1, sizeof(*cfg));
        if (!cfg || !(cfg->source = strdup(name))) {
                free(cfg);
                cfg_node_free(root);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        int rc = cfg_typed_build(root, &cfg->doc, err);
        if (rc < 0) {
                free(cfg->source);
                free(cfg);
                return rc;
        }
        cfg->name = cfg->doc->name;
        cfg->hosts = cfg->doc->hosts;
        cfg->n_hosts = cfg->doc->n_hosts;
        *out = cfg;
        return 0;
}

/* Reads at most CFG_MAX_FILE_SIZE + 1 bytes, enough to tell a too-large file. */
static int read_all(int fd, char **buf, size_t *len)
{
        size_t cap = 65536, n = 0;
        char *b = malloc(cap);
        if (!b)
                return -ENOMEM;
        for (;;) {
                if (n == cap) {
                        if (cap > CFG_MAX_FILE_SIZE)
                                break;
                        char *g = realloc(b, cap * 2);
                        if (!g) {
                                free(b);
                                return -ENOMEM;
                        }
                        b = g;
                        cap *= 2;
                }
                ssize_t r = read(fd, b + n, cap - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(b);
                        return -e;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        *buf = b;
        *len = n;
        return 0;
}

int cfg_load(const char *path, const struct registry *reg, struct cluster_config **out,
             struct pharos_error *err)
{
        if (!path)
                path = PHAROS_DEFAULT_CONFIG_FILE;
        char *expanded = NULL;
        const char *home = getenv("HOME");
        if (strncmp(path, "~/", 2) == 0 && home && asprintf(&expanded, "%s%s", home, path + 1) < 0)
                return perr_set(err, PERR_NOMEM, "out of memory");
        const char *file = expanded ? expanded : path;
        int is_stdin = strcmp(path, "-") == 0;
        int fd = is_stdin ? 0 : open(file, O_RDONLY | O_CLOEXEC);
        char *buf = NULL;
        size_t len = 0;
        int rc = fd < 0 ? -errno : read_all(fd, &buf, &len);
        if (!is_stdin && fd >= 0)
                close(fd);
        if (rc < 0) {
                rc = perr_set(err, PERR_USAGE, "cannot read %s: %s", is_stdin ? "stdin" : file,
                              strerror(-rc));
                fprintf(stderr, "error: %s\n", err->msg);
                free(expanded);
                return rc;
        }
        struct cfg_diags d = {0};
        rc = cfg_load_buffer(buf, len, file, reg, out, &d, err);
        cfg_diag_print(&d, file, stderr);
        cfg_diag_free(&d);
        free(buf);
        free(expanded);
        return rc;
}

void cfg_free(struct cluster_config *cfg)
{
        if (!cfg)
                return;
        cfg_typed_free(cfg->doc);
        free(cfg->source);
        free(cfg);
}
