#include <inttypes.h>
#include <string.h>

#include "config/keys.h"
#include "config/retired.h"
#include "config/schema.h"
#include "plugin/registry.h"

struct kw {
        FILE *out;
        const struct registry *reg;
        char spath[512]; /* schema path: hosts.*.role */
        char dpath[512]; /* shown path: hosts[].role */
        int missing;
};

static size_t push(char *buf, size_t cap, const char *sep, const char *key)
{
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s%s", len && *sep ? sep : "", key);
        return len;
}

/* One key: "PATH: WHAT" and its help line. */
static void line(struct kw *k, const char *what, int required, const char *def,
                 const char *const *enums, long long min, long long max, const char *help)
{
        fprintf(k->out, "%s: %s%s", k->dpath, what, required ? ", required" : "");
        if (enums) {
                fprintf(k->out, ", one of:");
                for (const char *const *e = enums; *e; e++)
                        fprintf(k->out, "%s %s", e == enums ? "" : ",", *e);
        }
        if (max > min)
                fprintf(k->out, ", %lld..%lld", min, max);
        if (def)
                fprintf(k->out, ", default %s", def);
        fprintf(k->out, "\n    %s\n", help ? help : "");
}

static const char *ptype(const struct pharos_config_field *f)
{
        switch (f->type) {
        case PHAROS_CFG_STRING:
                return "string";
        case PHAROS_CFG_INT:
                return "integer";
        case PHAROS_CFG_BOOL:
                return "true or false";
        case PHAROS_CFG_DOUBLE:
                return "number";
        case PHAROS_CFG_MAP:
                return "mapping";
        case PHAROS_CFG_LIST:
                return "list";
        case PHAROS_CFG_STRING_MAP:
                return "mapping of names to values";
        default:
                return "any value";
        }
}

static void walk_plugin(struct kw *k, const struct pharos_config_field *fields, int depth)
{
        for (size_t i = 0; fields && fields[i].key && depth < 16; i++) {
                const struct pharos_config_field *f = &fields[i];
                size_t dl = push(k->dpath, sizeof(k->dpath), ".", f->key);
                line(k, ptype(f), f->flags & PHAROS_CFG_REQUIRED, f->default_value, f->enum_values,
                     f->min, f->max, f->help);
                if (f->type == PHAROS_CFG_MAP)
                        walk_plugin(k, f->fields, depth + 1);
                else if (f->type == PHAROS_CFG_LIST && f->item && f->item->type == PHAROS_CFG_MAP) {
                        size_t dl2 = push(k->dpath, sizeof(k->dpath), "", "[]");
                        walk_plugin(k, f->item->fields, depth + 1);
                        k->dpath[dl2] = '\0';
                }
                k->dpath[dl] = '\0';
        }
}

/* The sections of the loaded plugins under the core key at k->spath (network, addons). */
static void plugin_sections(struct kw *k, const struct cfg_extra *x)
{
        size_t plen = strlen(k->spath);
        for (size_t i = 0; k->reg && i < k->reg->n_plugins; i++) {
                const struct pharos_plugin *p = k->reg->plugins[i];
                const char *s = p->desc.config_section;
                if (!s || strncmp(s, k->spath, plen) != 0 || s[plen] != '.')
                        continue;
                size_t dl = push(k->dpath, sizeof(k->dpath), ".", s + plen + 1);
                char what[160];
                snprintf(what, sizeof(what), "mapping, the section of plugin '%s'", p->desc.name);
                line(k, what, 0, NULL, NULL, 0, 0, p->desc.description);
                if (!strcmp(x->plugin_prefix, "addon")) {
                        size_t d2 = push(k->dpath, sizeof(k->dpath), ".", "enabled");
                        line(k, "true or false", 0, "false", NULL, 0, 0,
                             "install the addon; false removes what it installed");
                        k->dpath[d2] = '\0';
                }
                const struct pharos_config_schema *sc = p->desc.config_schema;
                if (sc && sc->struct_size >= sizeof(*sc))
                        walk_plugin(k, sc->fields, 0);
                k->dpath[dl] = '\0';
        }
}

static void walk(struct kw *k, const cyaml_schema_field_t *fields);

static void key(struct kw *k, const cyaml_schema_field_t *f)
{
        size_t sl = push(k->spath, sizeof(k->spath), ".", f->key);
        size_t dl = push(k->dpath, sizeof(k->dpath), ".", f->key);
        const cyaml_schema_value_t *v = &f->value;
        const struct cfg_extra *x = cfg_extra_find(k->spath);
        const struct cfg_extra *item = NULL;
        const char *what = "mapping";
        const cyaml_schema_field_t *sub = NULL;
        switch (v->type) {
        case CYAML_INT:
                what = "integer";
                break;
        case CYAML_BOOL:
                what = "true or false";
                break;
        case CYAML_STRING:
                what = "string";
                break;
        case CYAML_MAPPING:
                sub = v->mapping.fields;
                break;
        case CYAML_SEQUENCE:
                if (v->sequence.entry->type == CYAML_MAPPING) {
                        what = "list of mappings";
                        sub = v->sequence.entry->mapping.fields;
                } else {
                        char ipath[600];
                        snprintf(ipath, sizeof(ipath), "%s.*", k->spath);
                        item = cfg_extra_find(ipath);
                        what = "list of strings";
                }
                break;
        default:
                what = x && (x->flags & CFG_X_STRING_MAP) ? "mapping of names to values"
                                                          : "mapping";
        }
        const char *help = cfg_key_help(k->spath);
        k->missing += !help;
        line(k, what, !(v->flags & CYAML_FLAG_OPTIONAL), x ? x->def : NULL,
             x && x->enums ? x->enums
             : item        ? item->enums
                           : NULL,
             x ? x->min : 0, x ? x->max : 0, help);
        if (sub && v->type == CYAML_SEQUENCE) {
                push(k->spath, sizeof(k->spath), ".", "*");
                push(k->dpath, sizeof(k->dpath), "", "[]");
        }
        if (sub)
                walk(k, sub);
        if (x && (x->flags & CFG_X_PLUGIN_SECTIONS))
                plugin_sections(k, x);
        k->spath[sl] = '\0';
        k->dpath[dl] = '\0';
}

static void walk(struct kw *k, const cyaml_schema_field_t *fields)
{
        for (const cyaml_schema_field_t *f = fields; f->key; f++)
                key(k, f);
}

int cfg_keys_print(FILE *out, const struct registry *reg)
{
        struct kw k = {.out = out, .reg = reg};
        walk(&k, cfg_schema_root.mapping.fields);
        fprintf(out, "\nRefused, with what to use instead:\n");
        const char *path, *value, *why;
        for (size_t i = 0; (why = cfg_retired_at(i, &path, &value)); i++) {
                const char *star = strstr(path, ".*");
                if (star)
                        fprintf(out, "%.*s[]%s", (int)(star - path), path, star + 2);
                else
                        fprintf(out, "%s", path);
                if (value)
                        fprintf(out, ": %s", value);
                fprintf(out, "\n    %s\n", why);
        }
        return k.missing;
}
