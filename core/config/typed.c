#include <stdlib.h>
#include <string.h>

#include "config/emit.h"
#include "config/schema.h"
#include "config/typed.h"

static const cyaml_config_t cyaml_cfg = {
        .log_fn = NULL,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        /* Plugin sections (network.weave ...) are not the core's to map. */
        .flags = CYAML_CFG_IGNORE_UNKNOWN_KEYS,
};

static int fill_kv(const cfg_node *map, struct cfg_kv **out, size_t *n)
{
        *out = NULL;
        *n = 0;
        if (!map || map->kind != PHAROS_CONFIG_MAP || map->len == 0)
                return 0;
        struct cfg_kv *kv = calloc(map->len, sizeof(*kv));
        if (!kv)
                return PERR_NOMEM;
        *out = kv;
        for (size_t i = 0; i < map->len; i++) {
                const cfg_node *v = map->items[i];
                kv[i].key = strdup(map->keys[i]->text);
                kv[i].value = strdup(v->kind == PHAROS_CONFIG_SCALAR ? v->text : "");
                *n = i + 1;
                if (!kv[i].key || !kv[i].value)
                        return PERR_NOMEM;
        }
        return 0;
}

static void free_kv(struct cfg_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static const cfg_node *at(const cfg_node *map, const char *a, const char *b)
{
        const cfg_node *n = cfg_map_get(map, a, NULL);
        return b ? cfg_map_get(n, b, NULL) : n;
}

static int fill_from_tree(struct cfg_doc *doc, const cfg_node *root)
{
        const cfg_node *hosts = cfg_map_get(root, "hosts", NULL);
        for (size_t i = 0; i < doc->n_hosts; i++) {
                struct cfg_host *h = &doc->hosts[i];
                const cfg_node *hn = hosts->items[i];
                h->mark = (struct cfg_mark){hn->line, hn->col};
                static const struct {
                        const char *key;
                        unsigned bit;
                } given[] = {
                        {"user", CFG_GIVEN_USER},
                        {"ssh_key_path", CFG_GIVEN_SSH_KEY_PATH},
                        {"ssh_port", CFG_GIVEN_SSH_PORT},
                        {"container_runtime", CFG_GIVEN_CONTAINER_RUNTIME},
                };
                for (size_t k = 0; k < sizeof(given) / sizeof(given[0]); k++) {
                        const cfg_node *v = cfg_map_get(hn, given[k].key, NULL);
                        if (v && !v->dflt)
                                h->given |= given[k].bit;
                }
                if (fill_kv(cfg_map_get(hn, "labels", NULL), &h->labels, &h->n_labels) < 0 ||
                    fill_kv(cfg_map_get(hn, "environment", NULL), &h->environment,
                            &h->n_environment) < 0)
                        return PERR_NOMEM;
        }
        if (fill_kv(at(root, "kube_proxy", "conntrack"), &doc->kube_proxy.conntrack,
                    &doc->kube_proxy.n_conntrack) < 0 ||
            fill_kv(at(root, "kubelet", "feature_gates"), &doc->kubelet.feature_gates,
                    &doc->kubelet.n_feature_gates) < 0 ||
            fill_kv(at(root, "kubelet", "system_reserved"), &doc->kubelet.system_reserved,
                    &doc->kubelet.n_system_reserved) < 0 ||
            fill_kv(at(root, "kubelet", "kube_reserved"), &doc->kubelet.kube_reserved,
                    &doc->kubelet.n_kube_reserved) < 0 ||
            fill_kv(at(root, "control_plane", "feature_gates"), &doc->control_plane.feature_gates,
                    &doc->control_plane.n_feature_gates) < 0)
                return PERR_NOMEM;
        const cfg_node *addons = cfg_map_get(root, "addons", NULL);
        if (addons && addons->len) {
                if (!(doc->addons = calloc(addons->len, sizeof(*doc->addons))))
                        return PERR_NOMEM;
                for (size_t i = 0; i < addons->len; i++) {
                        struct cfg_addon *a = &doc->addons[i];
                        if (!(a->name = strdup(addons->keys[i]->text)))
                                return PERR_NOMEM;
                        doc->n_addons = i + 1;
                        a->section = addons->items[i];
                        int on = 0;
                        const char *e = cfg_map_str(addons->items[i], "enabled");
                        a->enabled = e && cfg_parse_bool(e, &on) == 0 && on;
                }
        }
        return 0;
}

int cfg_typed_build(cfg_node *root, struct cfg_doc **out, struct pharos_error *err)
{
        char *yaml = NULL;
        size_t len = 0;
        struct cfg_doc *doc = NULL;
        int rc = cfg_emit_yaml(root, 0, &yaml, &len);
        if (rc < 0) {
                cfg_node_free(root);
                return perr_set(err, PERR_NOMEM, "cannot serialise the configuration");
        }
        cyaml_err_t ce = cyaml_load_data((const uint8_t *)yaml, len, &cyaml_cfg, &cfg_schema_root,
                                         (cyaml_data_t **)&doc, NULL);
        free(yaml);
        if (ce != CYAML_OK) {
                /* Validation accepts only what the schema maps, so this is a pharos bug. */
                cfg_node_free(root);
                return perr_set(err, PERR_FAIL,
                                "internal error mapping the validated "
                                "configuration: %s",
                                cyaml_strerror(ce));
        }
        doc->tree = root;
        if (fill_from_tree(doc, root) < 0) {
                cfg_typed_free(doc);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        *out = doc;
        return 0;
}

void cfg_typed_free(struct cfg_doc *doc)
{
        if (!doc)
                return;
        for (size_t i = 0; i < doc->n_hosts; i++) {
                free_kv(doc->hosts[i].labels, doc->hosts[i].n_labels);
                free_kv(doc->hosts[i].environment, doc->hosts[i].n_environment);
                doc->hosts[i].labels = doc->hosts[i].environment = NULL;
        }
        free_kv(doc->kube_proxy.conntrack, doc->kube_proxy.n_conntrack);
        free_kv(doc->kubelet.feature_gates, doc->kubelet.n_feature_gates);
        free_kv(doc->kubelet.system_reserved, doc->kubelet.n_system_reserved);
        free_kv(doc->kubelet.kube_reserved, doc->kubelet.n_kube_reserved);
        free_kv(doc->control_plane.feature_gates, doc->control_plane.n_feature_gates);
        for (size_t i = 0; i < doc->n_addons; i++)
                free(doc->addons[i].name);
        free(doc->addons);
        cfg_node_free(doc->tree);
        cyaml_free(&cyaml_cfg, &cfg_schema_root, doc, 0);
}

const struct pharos_config_node *cfg_doc_section(const struct cfg_doc *doc, const char *path)
{
        if (!doc || !path)
                return NULL;
        const cfg_node *n = doc->tree;
        char part[256];
        while (n && *path) {
                size_t len = strcspn(path, ".");
                if (len >= sizeof(part))
                        return NULL;
                memcpy(part, path, len);
                part[len] = '\0';
                n = cfg_map_get(n, part, NULL);
                path += len + (path[len] == '.');
        }
        return n;
}
