#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

/* The node at a dotted path under n. */
static const struct pharos_config_node *walk(const struct pharos_host *H,
                                             const struct pharos_config_node *n, const char *path)
{
        char key[128];
        while (n && *path) {
                size_t len = strcspn(path, ".");
                snprintf(key, sizeof(key), "%.*s", (int)len, path);
                n = H->config_get(n, key);
                path += len + (path[len] == '.');
        }
        return n;
}

int addon_enabled(const struct addon *a, const char *key)
{
        const struct pharos_host *H = a->H;
        const struct pharos_config_node *addons = H->config_get(H->config_root(a->self), "addons");
        int on = 0;
        if (H->config_bool(H->config_get(H->config_get(addons, key), "enabled"), &on) < 0)
                return 0;
        return on;
}

const struct pharos_config_node *addon_opt(const struct addon *a, const char *path)
{
        return walk(a->H, a->H->config_section(a->self), path);
}

const char *addon_str(const struct addon *a, const char *path, const char *def)
{
        const char *s = a->H->config_string(addon_opt(a, path));
        return s ? s : def;
}

int addon_bool(const struct addon *a, const char *path, int def)
{
        int v = def;
        if (a->H->config_bool(addon_opt(a, path), &v) < 0)
                return def;
        return v;
}

const char **addon_strings(const struct addon *a, const char *path, size_t *n)
{
        const struct pharos_config_node *list = addon_opt(a, path);
        *n = a->H->config_len(list);
        const char **v = calloc(*n ? *n : 1, sizeof(*v));
        for (size_t i = 0; v && i < *n; i++)
                v[i] = a->H->config_string(a->H->config_at(list, i));
        return v;
}

void addon_json(const struct addon *a, const struct pharos_config_node *n, int strings,
                struct abuf *b)
{
        const struct pharos_host *H = a->H;
        switch (H->config_kind(n)) {
        case PHAROS_CONFIG_MAP:
                abuf_puts(b, "{");
                for (size_t i = 0; i < H->config_len(n); i++) {
                        if (i)
                                abuf_puts(b, ", ");
                        abuf_json_str(b, H->config_key_at(n, i));
                        abuf_puts(b, ": ");
                        addon_json(a, H->config_at(n, i), strings, b);
                }
                abuf_puts(b, "}");
                break;
        case PHAROS_CONFIG_LIST:
                abuf_puts(b, "[");
                for (size_t i = 0; i < H->config_len(n); i++) {
                        if (i)
                                abuf_puts(b, ", ");
                        addon_json(a, H->config_at(n, i), strings, b);
                }
                abuf_puts(b, "]");
                break;
        case PHAROS_CONFIG_SCALAR:
                if (strings)
                        abuf_json_str(b, H->config_string(n));
                else
                        abuf_json_scalar(b, H->config_string(n));
                break;
        default:
                abuf_puts(b, "null");
        }
}
