#include <errno.h>
#include <ffi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/plugin_cmd.h"
#include "util/log.h"

static const char *type_name(uint32_t type)
{
        switch (type) {
        case PHAROS_PARAM_INT:
                return "an integer";
        case PHAROS_PARAM_BOOL:
                return "a boolean (true/false)";
        case PHAROS_PARAM_DOUBLE:
                return "a number";
        default:
                return "a string";
        }
}

static const char *metavar(uint32_t type)
{
        switch (type) {
        case PHAROS_PARAM_INT:
                return "N";
        case PHAROS_PARAM_DOUBLE:
                return "NUM";
        case PHAROS_PARAM_BOOL:
                return "BOOL";
        default:
                return "STRING";
        }
}

int pcmd_convert(uint32_t type, const char *text, struct pcmd_value *out, struct pharos_error *err)
{
        char *end = NULL;
        out->type = type;
        switch (type) {
        case PHAROS_PARAM_STRING:
                out->v.s = text;
                return 0;
        case PHAROS_PARAM_INT: {
                errno = 0;
                long long v = strtoll(text, &end, 10);
                if (!*text || *end || errno == ERANGE)
                        break;
                out->v.i = v;
                return 0;
        }
        case PHAROS_PARAM_BOOL:
                if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcmp(text, "1") ||
                    !strcasecmp(text, "on")) {
                        out->v.b = 1;
                        return 0;
                }
                if (!strcasecmp(text, "false") || !strcasecmp(text, "no") || !strcmp(text, "0") ||
                    !strcasecmp(text, "off")) {
                        out->v.b = 0;
                        return 0;
                }
                break;
        case PHAROS_PARAM_DOUBLE: {
                errno = 0;
                double v = strtod(text, &end);
                if (!*text || *end || errno == ERANGE || !isfinite(v))
                        break;
                out->v.d = v;
                return 0;
        }
        default:
                return perr_set(err, PERR_FAIL, "unknown parameter type %u", type);
        }
        return perr_set(err, PERR_USAGE, "'%s' is not %s", text, type_name(type));
}

static int find_option(const struct pharos_command *c, const char *name, size_t len, int *negated)
{
        *negated = 0;
        for (uint32_t i = 0; i < c->n_params; i++) {
                const struct pharos_param *p = &c->params[i];
                if (!(p->flags & PHAROS_PARAM_OPTION))
                        continue;
                if (strlen(p->name) == len && strncmp(p->name, name, len) == 0)
                        return (int)i;
                if (p->type == PHAROS_PARAM_BOOL && len == strlen(p->name) + 3 &&
                    strncmp(name, "no-", 3) == 0 && strncmp(p->name, name + 3, len - 3) == 0) {
                        *negated = 1;
                        return (int)i;
                }
        }
        return -1;
}

static void set_default(const struct pharos_param *p, struct pcmd_value *v)
{
        v->type = p->type;
        memset(&v->v, 0, sizeof(v->v));
}

int pcmd_parse(const struct pharos_command *c, int argc, char **argv, struct pcmd_value *vals,
               struct pharos_error *err)
{
        unsigned char given[64] = {0};
        uint32_t next_pos = 0;
        int options_done = 0;

        if (c->n_params > sizeof(given))
                return perr_set(err, PERR_FAIL, "command '%s' declares too many parameters",
                                c->name);
        for (uint32_t i = 0; i < c->n_params; i++)
                set_default(&c->params[i], &vals[i]);

        for (int a = 0; a < argc; a++) {
                const char *arg = argv[a];
                if (!options_done && (!strcmp(arg, "--help") || !strcmp(arg, "-h")))
                        return 1;
                if (!options_done && !strcmp(arg, "--")) {
                        options_done = 1;
                        continue;
                }
                if (!options_done && arg[0] == '-' && arg[1] == '-' && arg[2]) {
                        const char *name = arg + 2, *eq = strchr(name, '=');
                        size_t len = eq ? (size_t)(eq - name) : strlen(name);
                        int neg;
                        int idx = find_option(c, name, len, &neg);
                        if (idx < 0)
                                return perr_set(err, PERR_USAGE, "unknown option --%.*s", (int)len,
                                                name);
                        const struct pharos_param *p = &c->params[idx];
                        const char *text;
                        if (p->type == PHAROS_PARAM_BOOL && !eq) {
                                text = neg ? "false" : "true";
                        } else if (eq) {
                                if (neg)
                                        return perr_set(err, PERR_USAGE, "--%.*s takes no value",
                                                        (int)len, name);
                                text = eq + 1;
                        } else if (a + 1 < argc) {
                                text = argv[++a];
                        } else {
                                return perr_set(err, PERR_USAGE, "--%s needs a value (%s)", p->name,
                                                type_name(p->type));
                        }
                        struct pharos_error inner = {0};
                        if (pcmd_convert(p->type, text, &vals[idx], &inner) < 0)
                                return perr_set(err, PERR_USAGE, "--%s: %s", p->name, inner.msg);
                        given[idx] = 1;
                        continue;
                }
                while (next_pos < c->n_params && (c->params[next_pos].flags & PHAROS_PARAM_OPTION))
                        next_pos++;
                if (next_pos >= c->n_params)
                        return perr_set(err, PERR_USAGE, "unexpected argument '%s'", arg);
                const struct pharos_param *p = &c->params[next_pos];
                struct pharos_error inner = {0};
                if (pcmd_convert(p->type, arg, &vals[next_pos], &inner) < 0)
                        return perr_set(err, PERR_USAGE, "%s: %s", p->name, inner.msg);
                given[next_pos++] = 1;
        }

        for (uint32_t i = 0; i < c->n_params; i++) {
                const struct pharos_param *p = &c->params[i];
                if (given[i])
                        continue;
                if (!(p->flags & PHAROS_PARAM_OPTIONAL)) {
                        if (p->flags & PHAROS_PARAM_OPTION)
                                return perr_set(err, PERR_USAGE, "missing --%s", p->name);
                        return perr_set(err, PERR_USAGE, "missing argument %s", p->name);
                }
                if (p->default_value) {
                        struct pharos_error inner = {0};
                        if (pcmd_convert(p->type, p->default_value, &vals[i], &inner) < 0)
                                return perr_set(err, PERR_FAIL, "plugin default of %s: %s", p->name,
                                                inner.msg);
                }
        }
        return 0;
}

static ffi_type *ffi_type_of(uint32_t type)
{
        switch (type) {
        case PHAROS_PARAM_INT:
                return &ffi_type_sint64;
        case PHAROS_PARAM_BOOL:
                return &ffi_type_sint;
        case PHAROS_PARAM_DOUBLE:
                return &ffi_type_double;
        default:
                return &ffi_type_pointer;
        }
}

int pcmd_call(const struct pharos_command *c, void *state, const struct pcmd_value *vals, int *ret,
              struct pharos_error *err)
{
        size_t n = (size_t)c->n_params + 1;
        ffi_type **types = calloc(n, sizeof(ffi_type *));
        void **args = calloc(n, sizeof(*args));
        if (!types || !args) {
                free(types);
                free(args);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        types[0] = &ffi_type_pointer;
        args[0] = &state;
        for (size_t i = 1; i < n; i++) {
                const struct pcmd_value *v = &vals[i - 1];
                types[i] = ffi_type_of(v->type);
                /* Point at the union member of the declared type: libffi reads its size. */
                switch (v->type) {
                case PHAROS_PARAM_INT:
                        args[i] = (void *)&v->v.i;
                        break;
                case PHAROS_PARAM_BOOL:
                        args[i] = (void *)&v->v.b;
                        break;
                case PHAROS_PARAM_DOUBLE:
                        args[i] = (void *)&v->v.d;
                        break;
                default:
                        args[i] = (void *)&v->v.s;
                }
        }
        ffi_cif cif;
        int rc = 0;
        if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)n, &ffi_type_sint, types) != FFI_OK) {
                rc = perr_set(err, PERR_FAIL, "command '%s': cannot prepare the call", c->name);
        } else {
                ffi_arg result = 0;
                ffi_call(&cif, FFI_FN(c->fn), &result, args);
                *ret = (int)result;
        }
        free(types);
        free(args);
        return rc;
}

void pcmd_usage(const struct pharos_command *c, FILE *f)
{
        fprintf(f, "usage: pharos %s", c->name);
        for (uint32_t i = 0; i < c->n_params; i++) {
                const struct pharos_param *p = &c->params[i];
                int opt = (p->flags & PHAROS_PARAM_OPTIONAL) != 0;
                if (p->flags & PHAROS_PARAM_OPTION) {
                        if (p->type == PHAROS_PARAM_BOOL)
                                fprintf(f, " %s--[no-]%s%s", opt ? "[" : "", p->name,
                                        opt ? "]" : "");
                        else
                                fprintf(f, " %s--%s %s%s", opt ? "[" : "", p->name,
                                        metavar(p->type), opt ? "]" : "");
                } else {
                        char upper[64];
                        size_t k = 0;
                        for (; k < sizeof(upper) - 1 && p->name[k]; k++)
                                upper[k] = (char)(p->name[k] == '-' ? '_' : p->name[k] & ~0x20);
                        upper[k] = '\0';
                        fprintf(f, " %s%s%s", opt ? "[" : "", upper, opt ? "]" : "");
                }
        }
        fprintf(f, "\n");
        if (c->summary)
                fprintf(f, "\n%s\n", c->summary);
        if (c->n_params)
                fprintf(f, "\nparameters:\n");
        for (uint32_t i = 0; i < c->n_params; i++) {
                const struct pharos_param *p = &c->params[i];
                char label[96];
                snprintf(label, sizeof(label), "%s%s", p->flags & PHAROS_PARAM_OPTION ? "--" : "",
                         p->name);
                fprintf(f, "  %-20s %s (%s", label, p->help ? p->help : "", type_name(p->type));
                if (p->default_value)
                        fprintf(f, ", default %s", p->default_value);
                else if (!(p->flags & PHAROS_PARAM_OPTIONAL))
                        fprintf(f, ", required");
                fprintf(f, ")\n");
        }
}

const struct reg_command *pcmd_find(const struct registry *r, int argc, char **argv, int *words)
{
        const struct reg_command *best = NULL;
        int best_words = 0;
        for (size_t i = 0; i < r->n_cmds; i++) {
                const char *name = r->cmds[i].cmd.name;
                int w = 0;
                const char *p = name;
                while (w < argc) {
                        size_t len = strcspn(p, " ");
                        if (strlen(argv[w]) != len || strncmp(argv[w], p, len) != 0)
                                break;
                        w++;
                        p += len;
                        if (!*p)
                                break;
                        p++;
                }
                if (*p == '\0' && w > best_words) {
                        best = &r->cmds[i];
                        best_words = w;
                }
        }
        *words = best_words;
        return best;
}

int pcmd_run(const struct reg_command *rc, int argc, char **argv)
{
        const struct pharos_command *c = &rc->cmd;
        struct pcmd_value *vals = calloc(c->n_params ? c->n_params : 1, sizeof(*vals));
        struct pharos_error err = {0};
        int ret = 2;
        if (!vals) {
                log_error("out of memory");
                return 1;
        }
        int rc_parse = pcmd_parse(c, argc, argv, vals, &err);
        if (rc_parse == 1) {
                pcmd_usage(c, stdout);
                ret = 0;
        } else if (rc_parse < 0) {
                fprintf(stderr, "pharos %s: %s\n", c->name, err.msg);
                pcmd_usage(c, stderr);
                ret = perr_exit_code(rc_parse);
        } else if (pcmd_call(c, rc->owner->state, vals, &ret, &err) < 0) {
                log_error("%s", err.msg);
                ret = 1;
        }
        free(vals);
        return ret;
}
